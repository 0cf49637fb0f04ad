/**
 * What the synthesized template must do: the settings that keep events safe
 * (redrive, visibility, partial batches), least-privilege IAM, the API surface,
 * alarms and the absence of physical names. Settings come from lib/config.ts, never
 * copied numbers.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { isDeepStrictEqual as equal } from "node:util";
import { App, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CONTEXT_PREFIX,
  type EventFlowSettings,
  queueVisibilityTimeoutSeconds,
  resolveSettings,
} from "../../lib/config.js";
import { REPO_ROOT, SIDE_BUNDLES } from "../../lib/constructs/eventflow-function.js";
import { ENV } from "../../lib/contracts/environment.js";
import {
  DLQ_MAX_CONCURRENCY,
  FUNCTION_ENTRIES,
  type FunctionName,
  functionEnvironment,
  functionSizing,
  ROUTES,
} from "../../lib/contracts/functions.js";
import { METRIC } from "../../lib/contracts/observability.js";
import { CONFIG_TABLE, TABLE } from "../../lib/contracts/tables.js";
import { createEventFlowStack, type EventFlowStack } from "../../lib/eventflow-stack.js";
import { getAtt, logicalId } from "../support/cdk.js";

const FUNCTION_NAMES = Object.keys(FUNCTION_ENTRIES) as FunctionName[];
/** A message in ajv's core (ajv/dist/core.js), which minification keeps. */
const AJV_TEXT = "`validateFormats: false` can be used instead.";
/** A message of jsonata's: in the expression engine's side file, in no main file. */
const JSONATA_TEXT = "Attempted to invoke a non-function";
const DEFAULTS = resolveSettings({});

/**
 * The real handlers when all exist; otherwise a temporary project root with stub
 * handlers at the same paths, so the infrastructure can be tested on its own.
 */
const PROJECT_ROOT: string | undefined = (() => {
  if (FUNCTION_NAMES.every((n) => existsSync(resolve(REPO_ROOT, FUNCTION_ENTRIES[n])))) {
    return undefined;
  }
  const root = mkdtempSync(join(tmpdir(), "eventflow-cdk-"));
  writeFileSync(join(root, "package-lock.json"), '{"lockfileVersion":3,"packages":{}}');
  // Bundling runs `npx --no-install esbuild` in the project root.
  symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  for (const name of FUNCTION_NAMES) {
    const file = join(root, FUNCTION_ENTRIES[name]);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `export const handler = async () => "${name}";\n`);
  }
  // The side bundles the construct builds next to their functions' main files.
  for (const side of SIDE_BUNDLES) {
    const file = join(root, side.entry);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, "export const stub = true;\n");
  }
  return root;
})();

afterAll(() => {
  // rm removes the node_modules symlink, never what it points at.
  if (PROJECT_ROOT) rmSync(PROJECT_ROOT, { recursive: true, force: true });
});

interface Synth {
  app: App;
  stack: EventFlowStack;
  template: Template;
}

/** Synthesizes through createEventFlowStack, exactly as bin/eventflow.ts does. */
function synth(settings: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Synth {
  const context: Record<string, unknown> = { "aws:cdk:bundling-stacks": [], ...extra };
  for (const [key, value] of Object.entries(settings)) context[`${CONTEXT_PREFIX}${key}`] = value;
  const app = new App({ context });
  const stack = createEventFlowStack(app, { projectRoot: PROJECT_ROOT });
  return { app, stack, template: Template.fromStack(stack) };
}

const fnId = (stack: EventFlowStack, name: FunctionName): string =>
  logicalId(stack.functions[name].function);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement granted to the function's role, with actions as a list. */
function statementsOf(
  template: Template,
  stack: EventFlowStack,
  name: FunctionName,
): { actions: string[]; resource: unknown }[] {
  const roleId = logicalId(stack.functions[name].role);
  const policies = template.findResources("AWS::IAM::Policy", {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  });
  expect(Object.keys(policies).length).toBeGreaterThan(0);
  return Object.values(policies).flatMap((p) =>
    (p.Properties.PolicyDocument.Statement as Statement[]).map((s) => {
      expect(s.Effect).toBe("Allow");
      return { actions: [s.Action].flat(), resource: s.Resource };
    }),
  );
}

const actionsOn = (statements: ReturnType<typeof statementsOf>, service: string): string[] =>
  statements.flatMap((s) => s.actions).filter((a) => a.startsWith(`${service}:`));

/** API Gateway resource paths by logical id, rebuilt from ParentId/PathPart. */
function resourcePaths(template: Template): Map<string, string> {
  const resources = template.findResources("AWS::ApiGateway::Resource");
  const paths = new Map<string, string>();
  const pathOf = (id: string): string => {
    const known = paths.get(id);
    if (known) return known;
    const props = resources[id]?.Properties;
    const parent = props.ParentId.Ref as string | undefined;
    const path = `${parent ? pathOf(parent) : ""}/${props.PathPart}`;
    paths.set(id, path);
    return path;
  };
  for (const id of Object.keys(resources)) pathOf(id);
  return paths;
}

function methodFor(template: Template, method: string, path: string) {
  const resourceId = [...resourcePaths(template)].find(([, p]) => p === path)?.[0];
  expect(resourceId, `resource ${path}`).toBeDefined();
  const methods = Object.values(
    template.findResources("AWS::ApiGateway::Method", {
      Properties: { HttpMethod: method, ResourceId: { Ref: resourceId } },
    }),
  );
  expect(methods, `${method} ${path}`).toHaveLength(1);
  return methods[0]?.Properties;
}

describe("EventFlow stack with default settings", () => {
  let s: Synth;
  let template: Template;
  let queueId: string;
  let dlqId: string;

  beforeAll(() => {
    // The one synth that bundles the four functions with esbuild.
    const app = new App();
    const stack = createEventFlowStack(app, { projectRoot: PROJECT_ROOT });
    s = { app, stack, template: Template.fromStack(stack) };
    template = s.template;
    queueId = logicalId(s.stack.storage.queue);
    dlqId = logicalId(s.stack.storage.deadLetterQueue);
    // Bundling four functions takes seconds; more on a busy 2-core machine.
  }, 120_000);

  describe("storage", () => {
    it("keeps events in a pay-per-request table with PITR, TTL and AWS-managed encryption", () => {
      // The events table, the API keys table (test/cdk/auth.test.ts), the tenant
      // configuration table and the deliveries log (test/cdk/delivery.test.ts).
      template.resourceCountIs("AWS::DynamoDB::Table", 4);
      template.hasResourceProperties("AWS::DynamoDB::Table", {
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: "HASH" },
          { AttributeName: TABLE.sortKey, KeyType: "RANGE" },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      });
      template.hasResource("AWS::DynamoDB::Table", {
        DeletionPolicy: "Retain",
        UpdateReplacePolicy: "Retain",
      });
    });

    it("keeps tenant configuration in its own on-demand table with PITR, retained, no TTL", () => {
      const config = template.toJSON().Resources[logicalId(s.stack.storage.configTable)];
      expect(config.Properties).toMatchObject({
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: CONFIG_TABLE.partitionKey, KeyType: "HASH" },
          { AttributeName: CONFIG_TABLE.sortKey, KeyType: "RANGE" },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      });
      expect(config.Properties.TimeToLiveSpecification).toBeUndefined();
      expect(config.DeletionPolicy).toBe("Retain");
    });

    it("has the three indexes with the keys and projections of the table contract", () => {
      const index = (def: (typeof TABLE)["byTypeIndex" | "failedIndex" | "byTimeIndex"]) => ({
        IndexName: def.name,
        KeySchema: [
          { AttributeName: def.partitionKey, KeyType: "HASH" },
          { AttributeName: def.sortKey, KeyType: "RANGE" },
        ],
        Projection:
          def.projection.type === "ALL"
            ? { ProjectionType: "ALL" }
            : { ProjectionType: "INCLUDE", NonKeyAttributes: [...def.projection.attributes] },
      });
      const table =
        template.findResources("AWS::DynamoDB::Table")[logicalId(s.stack.storage.table)];
      const indexes = table?.Properties.GlobalSecondaryIndexes;
      expect(indexes).toHaveLength(3);
      expect(indexes).toEqual(
        expect.arrayContaining([
          index(TABLE.byTypeIndex),
          index(TABLE.failedIndex),
          index(TABLE.byTimeIndex),
        ]),
      );
    });

    it("redrives the queue to the DLQ after maxReceiveCount receives", () => {
      // The events queue and DLQ; history's jobs queue and DLQ and the archive's failures;
      // the delivery queues: standard, FIFO and their DLQs (test/cdk/delivery.test.ts).
      template.resourceCountIs("AWS::SQS::Queue", 9);
      template.hasResourceProperties("AWS::SQS::Queue", {
        RedrivePolicy: {
          deadLetterTargetArn: getAtt(dlqId),
          maxReceiveCount: DEFAULTS.maxReceiveCount,
        },
        MessageRetentionPeriod: DEFAULTS.queueRetentionDays * 86_400,
      });
    });

    it("keeps dead letters longer than the queue keeps messages", () => {
      const queues = template.findResources("AWS::SQS::Queue");
      const retention = (id: string) => queues[id]?.Properties.MessageRetentionPeriod as number;
      expect(retention(dlqId)).toBe(DEFAULTS.dlqRetentionDays * 86_400);
      expect(retention(dlqId)).toBeGreaterThan(retention(queueId));
    });

    it("gives the queue at least six times the process timeout of visibility", () => {
      const queues = template.findResources("AWS::SQS::Queue");
      const mappings = template.findResources("AWS::Lambda::EventSourceMapping", {
        Properties: { EventSourceArn: getAtt(queueId) },
      });
      const mapping = Object.values(mappings)[0];
      const processId = mapping?.Properties.FunctionName.Ref as string;
      const fn = template.findResources("AWS::Lambda::Function")[processId];
      const visibility = queues[queueId]?.Properties.VisibilityTimeout as number;
      expect(visibility).toBeGreaterThanOrEqual(6 * (fn?.Properties.Timeout as number));
      expect(visibility).toBe(queueVisibilityTimeoutSeconds(DEFAULTS));
    });

    it("encrypts both queues and denies them to anything but TLS", () => {
      for (const id of [queueId, dlqId]) {
        expect(template.findResources("AWS::SQS::Queue")[id]?.Properties).toMatchObject({
          SqsManagedSseEnabled: true,
        });
        template.hasResourceProperties("AWS::SQS::QueuePolicy", {
          Queues: [{ Ref: id }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: "Deny",
                Action: "sqs:*",
                Principal: { AWS: "*" },
                Condition: { Bool: { "aws:SecureTransport": "false" } },
                Resource: getAtt(id),
              }),
            ]),
          },
        });
      }
    });
  });

  describe("processing", () => {
    it("drains the queue in partial batches with bounded concurrency", () => {
      // process, dlq; history's archive (table stream) and jobs (test/cdk/history.test.ts);
      // the deliver function's two (test/cdk/delivery.test.ts).
      template.resourceCountIs("AWS::Lambda::EventSourceMapping", 6);
      template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        EventSourceArn: getAtt(queueId),
        FunctionName: { Ref: fnId(s.stack, "process") },
        BatchSize: DEFAULTS.processBatchSize,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: DEFAULTS.processMaxConcurrency },
        // A zero window means "no batching window", not a zero-second one.
        MaximumBatchingWindowInSeconds: Match.absent(),
      });
    });

    it("drains the DLQ into the dlq function", () => {
      template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        EventSourceArn: getAtt(dlqId),
        FunctionName: { Ref: fnId(s.stack, "dlq") },
        BatchSize: DEFAULTS.dlqBatchSize,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: DLQ_MAX_CONCURRENCY },
      });
    });
  });

  describe("functions", () => {
    it("creates exactly the four functions (no hidden custom-resource functions)", () => {
      template.resourceCountIs("AWS::Lambda::Function", FUNCTION_NAMES.length);
    });

    it.each(FUNCTION_NAMES)(
      "%s runs Node 24 on arm64 with tracing, its sizing and its environment",
      (name) => {
        const props =
          template.findResources("AWS::Lambda::Function")[fnId(s.stack, name)]?.Properties;
        const sizing = functionSizing(name, DEFAULTS);
        expect(props).toMatchObject({
          Runtime: "nodejs24.x",
          Architectures: ["arm64"],
          Handler: "index.handler",
          TracingConfig: { Mode: "Active" },
          MemorySize: sizing.memoryMb,
          Timeout: sizing.timeoutSeconds,
          Role: getAtt(logicalId(s.stack.functions[name].role)),
        });
        const refs = {
          tableName: "t",
          queueUrl: "q",
          dlqUrl: "d",
          keysTableName: "k",
          configTableName: "cfg",
          cursorSecretId: "c",
          archiveBucketName: "a",
          jobsQueueUrl: "j",
          deliveryQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/d",
          deliveryFifoQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/d.fifo",
          deliveryDlqUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/d-dlq",
          deliveriesTableName: "d",
          destinationSecretId: "k",
        };
        const expected = functionEnvironment(name, DEFAULTS, refs);
        const actual = props?.Environment.Variables as Record<string, unknown>;
        expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
        for (const [key, value] of Object.entries(expected)) {
          if (!Object.values(refs).includes(value)) expect(actual[key]).toBe(value);
        }
      },
    );

    it("logs every function to its own explicit log group with retention", () => {
      for (const name of FUNCTION_NAMES) {
        const fn = s.stack.functions[name];
        const groupId = logicalId(fn.logGroup);
        template.hasResourceProperties("AWS::Lambda::Function", {
          FunctionName: Match.absent(),
          LoggingConfig: { LogGroup: { Ref: groupId } },
          Role: getAtt(logicalId(fn.role)),
        });
        expect(template.findResources("AWS::Logs::LogGroup")[groupId]?.Properties).toMatchObject({
          RetentionInDays: 30,
        });
      }
      // Four function log groups and the API access log group; no logRetention custom resource.
      template.resourceCountIs("AWS::Logs::LogGroup", FUNCTION_NAMES.length + 1);
    });

    it("bundles each function as minified CommonJS with a source map", () => {
      const assembly = s.app.synth();
      const functions = template.findResources("AWS::Lambda::Function");
      for (const fn of Object.values(functions)) {
        const hash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, "");
        const dir = join(assembly.directory, `asset.${hash}`);
        const code = readFileSync(join(dir, "index.js"), "utf8");
        expect(code).not.toMatch(/^import /m);
        expect(code).toMatch(/module\.exports\s*=|handler:\s*\(\)\s*=>/);
        expect(code).toContain("//# sourceMappingURL=index.js.map");
        expect(existsSync(join(dir, "index.js.map"))).toBe(true);
      }
    });

    it("ships each side bundle next to the main file of the functions that load it, and only there", () => {
      const assembly = s.app.synth();
      for (const name of FUNCTION_NAMES) {
        const props =
          template.findResources("AWS::Lambda::Function")[fnId(s.stack, name)]?.Properties;
        const dir = join(
          assembly.directory,
          `asset.${String(props.Code.S3Key).replace(/\.zip$/, "")}`,
        );
        const main = readFileSync(join(dir, "index.js"), "utf8");
        for (const side of SIDE_BUNDLES) {
          const ships = side.functions.includes(name);
          expect(existsSync(join(dir, side.file)), `${name}: ${side.file}`).toBe(ships);
          if (!ships) continue;
          expect(existsSync(join(dir, `${side.file}.map`))).toBe(true);
          const code = readFileSync(join(dir, side.file), "utf8");
          expect(code).not.toMatch(/^import /m);
          if (PROJECT_ROOT) continue; // stub handlers: nothing more to check
          // The main file loads it by its name and does not carry it too.
          expect(main, name).toContain(`import("./${side.file}")`);
        }
        if (PROJECT_ROOT) continue;
        // A text of ajv's core: in the schema validator's side file, in no main file.
        expect(main, name).not.toContain(AJV_TEXT);
        expect(main, name).not.toContain(JSONATA_TEXT);
        if (name === "ingest") {
          expect(readFileSync(join(dir, "schema-validator.js"), "utf8")).toContain(AJV_TEXT);
        }
        if (name === "process" || name === "rules") {
          expect(readFileSync(join(dir, "expression-engine.js"), "utf8")).toContain(JSONATA_TEXT);
        }
      }
    });

    it("ships a schema validator that validates: a type's schema refuses a bad event", () => {
      if (PROJECT_ROOT) return; // stub handlers: no validator to run
      const assembly = s.app.synth();
      const props =
        template.findResources("AWS::Lambda::Function")[fnId(s.stack, "ingest")]?.Properties;
      const dir = join(
        assembly.directory,
        `asset.${String(props.Code.S3Key).replace(/\.zip$/, "")}`,
      );
      const validator = createRequire(import.meta.url)(join(dir, "schema-validator.js")) as {
        compileSchemaDocument: (doc: unknown) => (event: unknown) => { pointer: string }[];
      };
      const validate = validator.compileSchemaDocument({
        data: {
          type: "object",
          required: ["amount"],
          properties: {
            amount: { type: "number" },
            code: { type: "string", pattern: "^[A-Z]{3}$" },
          },
        },
      });
      expect(validate({ data: { amount: 12, code: "EUR" } })).toEqual([]);
      expect(
        validate({ data: { amount: "12", code: "euro" } })
          .map((e) => e.pointer)
          .sort(),
      ).toEqual(["/data/amount", "/data/code"]);
    });
  });

  describe("no physical names", () => {
    const NAME_PROPERTIES: Record<string, string> = {
      "AWS::DynamoDB::Table": "TableName",
      "AWS::SQS::Queue": "QueueName",
      "AWS::Lambda::Function": "FunctionName",
      "AWS::IAM::Role": "RoleName",
      "AWS::IAM::Policy": "PolicyName_is_generated",
      "AWS::SNS::Topic": "TopicName",
      "AWS::Logs::LogGroup": "LogGroupName",
      "AWS::CloudWatch::Alarm": "AlarmName",
      "AWS::CloudWatch::Dashboard": "DashboardName",
      "AWS::KMS::Alias": "AliasName",
    };
    it("lets CloudFormation name every resource", () => {
      const resources = template.toJSON().Resources as Record<
        string,
        { Type: string; Properties?: Record<string, unknown> }
      >;
      for (const [id, r] of Object.entries(resources)) {
        const nameProperty = NAME_PROPERTIES[r.Type];
        if (nameProperty) expect(r.Properties ?? {}, id).not.toHaveProperty(nameProperty);
      }
    });
  });

  describe("IAM least privilege", () => {
    it("gives no role a managed policy or an inline policy outside its DefaultPolicy", () => {
      for (const role of Object.values(template.findResources("AWS::IAM::Role"))) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
        expect(role.Properties.Policies).toBeUndefined();
      }
    });

    it("uses `*` resources only for X-Ray, and never `*` actions", () => {
      for (const name of FUNCTION_NAMES) {
        for (const st of statementsOf(template, s.stack, name)) {
          expect(st.actions.some((a) => a.includes("*"))).toBe(false);
          if (st.resource === "*") {
            // The table's stream event source (archive): ListStreams has no resource level.
            const allowed =
              name === "archive" && st.actions.includes("dynamodb:ListStreams")
                ? ["dynamodb:ListStreams"]
                : ["xray:PutTelemetryRecords", "xray:PutTraceSegments"];
            expect(st.actions.sort()).toEqual(allowed);
          }
        }
      }
    });

    it("lets ingest send to the queue and read schemas by key: no events table, no writes", () => {
      const st = statementsOf(template, s.stack, "ingest");
      expect(actionsOn(st, "dynamodb")).toEqual(["dynamodb:GetItem"]);
      expect(st.find((x) => x.actions.includes("dynamodb:GetItem"))?.resource).toEqual(
        getAtt(logicalId(s.stack.storage.configTable)),
      );
      expect(actionsOn(st, "sqs")).toEqual(["sqs:SendMessage"]);
      expect(st.find((x) => x.actions.includes("sqs:SendMessage"))?.resource).toEqual(
        getAtt(queueId),
      );
    });

    it("lets query read the table and its indexes but never write", () => {
      const st = statementsOf(template, s.stack, "query");
      expect(actionsOn(st, "dynamodb").sort()).toEqual([
        "dynamodb:BatchGetItem",
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:Query",
        // The configuration table's schema items (GET /v1/openapi.json?include=schemas).
        "dynamodb:Query",
      ]);
      const tableId = logicalId(s.stack.storage.table);
      const dynamo = st.find((x) => x.actions.includes("dynamodb:Query"));
      expect(dynamo?.resource).toEqual([
        getAtt(tableId),
        ...[TABLE.byTypeIndex, TABLE.failedIndex, TABLE.byTimeIndex].map((i) => ({
          "Fn::Join": ["", [getAtt(tableId), `/index/${i.name}`]],
        })),
      ]);
      expect(actionsOn(st, "sqs")).toEqual(["sqs:GetQueueAttributes", "sqs:GetQueueAttributes"]);
      expect(
        st.filter((x) => x.actions.includes("sqs:GetQueueAttributes")).map((x) => x.resource),
      ).toEqual(expect.arrayContaining([getAtt(queueId), getAtt(dlqId)]));
    });

    it.each(["process", "dlq"] as const)(
      "lets %s write events (Put/Update/Get) on the table only, no deletes, scans or index reads",
      (name) => {
        const st = statementsOf(template, s.stack, name);
        const onEvents = st.filter((x) =>
          equal(x.resource, getAtt(logicalId(s.stack.storage.table))),
        );
        expect(actionsOn(onEvents, "dynamodb").sort()).toEqual([
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
        ]);
        expect(st.find((x) => x.actions.includes("dynamodb:PutItem"))?.resource).toEqual(
          getAtt(logicalId(s.stack.storage.table)),
        );
      },
    );

    it("lets process and dlq only Query the configuration table (rules; window and pattern declarations)", () => {
      const configId = logicalId(s.stack.storage.configTable);
      const onConfig = (name: FunctionName) =>
        statementsOf(template, s.stack, name).filter((x) => equal(x.resource, getAtt(configId)));
      expect([...new Set(onConfig("process").flatMap((x) => x.actions))]).toEqual([
        "dynamodb:Query",
      ]);
      expect(onConfig("dlq").flatMap((x) => x.actions)).toEqual(["dynamodb:Query"]);
      // Schemas: ingest and replay GetItem a type's schema, query Queries a tenant's
      // (GET /v1/openapi.json?include=schemas); the authorizer reads keys only.
      expect(onConfig("ingest").flatMap((x) => x.actions)).toEqual(["dynamodb:GetItem"]);
      expect(onConfig("replay").flatMap((x) => x.actions)).toEqual(["dynamodb:GetItem"]);
      expect(onConfig("query").flatMap((x) => x.actions)).toEqual(["dynamodb:Query"]);
      expect(onConfig("authorizer")).toEqual([]);
    });

    it("lets rules Query and PutItem rule versions, and read events only through byType", () => {
      const st = statementsOf(template, s.stack, "rules");
      const configId = logicalId(s.stack.storage.configTable);
      const tableId = logicalId(s.stack.storage.table);
      const config = st.filter((x) => equal(x.resource, getAtt(configId)));
      expect(config.flatMap((x) => x.actions).sort()).toEqual([
        "dynamodb:PutItem",
        "dynamodb:Query",
      ]);
      const events = st.find((x) => x.actions.includes("dynamodb:BatchGetItem"));
      expect(events?.resource).toEqual([
        getAtt(tableId),
        { "Fn::Join": ["", [getAtt(tableId), `/index/${TABLE.byTypeIndex.name}`]] },
      ]);
      expect(actionsOn(st, "dynamodb")).not.toContain("dynamodb:UpdateItem");
      expect(actionsOn(st, "dynamodb")).not.toContain("dynamodb:DeleteItem");
      expect(actionsOn(st, "sqs")).toEqual([]);
    });

    it("lets only query, replay, schemas, rules, windows (backfill pages) and destinations (replay pages) read the cursors' key, a secret generated at deploy", () => {
      const secretId = logicalId(s.stack.storage.cursorKey);
      template.hasResourceProperties("AWS::SecretsManager::Secret", {
        GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
      });
      for (const name of FUNCTION_NAMES) {
        const st = statementsOf(template, s.stack, name);
        const reads = st
          .filter((x) => x.actions.includes("secretsmanager:GetSecretValue"))
          .filter((x) => JSON.stringify(x.resource) === JSON.stringify({ Ref: secretId }));
        expect(reads.length, name).toBe(
          ["query", "replay", "schemas", "rules", "windows", "destinations"].includes(name) ? 1 : 0,
        );
      }
      for (const name of ["query", "replay", "schemas", "rules", "windows"] as const) {
        const fn =
          template.findResources("AWS::Lambda::Function")[
            logicalId(s.stack.functions[name].function)
          ];
        expect(fn?.Properties.Environment.Variables[ENV.cursorSecretId], name).toEqual({
          Ref: secretId,
        });
      }
    });

    it("lets process change message visibility on the queue (retry back-off) and not send to it", () => {
      const st = statementsOf(template, s.stack, "process");
      const onQueue = st.filter(
        (x) =>
          actionsOn([x], "sqs").length > 0 &&
          JSON.stringify(x.resource) === JSON.stringify(getAtt(queueId)),
      );
      expect(onQueue.length).toBeGreaterThan(0);
      expect(actionsOn(onQueue, "sqs")).toEqual(
        expect.arrayContaining(["sqs:ChangeMessageVisibility", "sqs:ReceiveMessage"]),
      );
      expect(actionsOn(onQueue, "sqs")).not.toContain("sqs:SendMessage");
      // It sends only deliveries (a rule's route), to the two delivery queues.
      const sends = st.filter((x) => x.actions.includes("sqs:SendMessage")).map((x) => x.resource);
      expect(sends).toEqual([
        getAtt(logicalId(s.stack.storage.deliveryQueue)),
        getAtt(logicalId(s.stack.storage.deliveryFifoQueue)),
      ]);
    });
  });

  describe("API", () => {
    it("serves every route with a Lambda proxy integration to its function", () => {
      template.resourceCountIs("AWS::ApiGateway::RestApi", 1);
      // No CORS by default: no OPTIONS methods.
      template.resourceCountIs("AWS::ApiGateway::Method", ROUTES.length);
      for (const route of ROUTES) {
        const method = methodFor(template, route.method, route.path);
        // Every method behind the key authorizer: test/cdk/auth.test.ts.
        expect(method.AuthorizationType).toBe("CUSTOM");
        expect(method.Integration).toMatchObject({
          Type: "AWS_PROXY",
          IntegrationHttpMethod: "POST",
        });
        expect(JSON.stringify(method.Integration.Uri)).toContain(
          JSON.stringify(getAtt(fnId(s.stack, route.function))),
        );
      }
    });

    it("allows API Gateway to invoke each function only through its own routes", () => {
      // One per method, and one for the authorizer; besides, EventBridge may invoke the sweep.
      const permissions = Object.values(template.findResources("AWS::Lambda::Permission"));
      const apigw = permissions.filter(
        (p) => p.Properties.Principal === "apigateway.amazonaws.com",
      );
      expect(apigw).toHaveLength(ROUTES.length + 1);
      for (const p of apigw) {
        expect(p.Properties).toMatchObject({
          Action: "lambda:InvokeFunction",
          SourceArn: expect.anything(),
        });
      }
      expect(
        permissions.filter((p) => p.Properties.Principal === "events.amazonaws.com"),
      ).toHaveLength(3); // and history's daily compaction and splitter
      expect(permissions).toHaveLength(ROUTES.length + 4);
    });

    it("logs access as JSON to an explicit log group, throttles, traces and emits metrics", () => {
      const stage = Object.values(template.findResources("AWS::ApiGateway::Stage"))[0]?.Properties;
      expect(stage.StageName).toBe("prod");
      expect(stage.TracingEnabled).toBe(true);
      expect(stage.AccessLogSetting.DestinationArn).toEqual(
        getAtt(logicalId(s.stack.api.accessLogGroup)),
      );
      const format = JSON.parse(stage.AccessLogSetting.Format);
      for (const field of ["requestId", "ip", "method", "path", "status", "latency"]) {
        expect(format, field).toHaveProperty(field);
      }
      expect(format.requestId).toBe("$context.requestId");
      expect(stage.MethodSettings).toEqual([
        expect.objectContaining({
          HttpMethod: "*",
          ResourcePath: "/*",
          MetricsEnabled: true,
          DataTraceEnabled: false,
          ThrottlingRateLimit: DEFAULTS.apiThrottleRateLimit,
          ThrottlingBurstLimit: DEFAULTS.apiThrottleBurstLimit,
        }),
      ]);
    });

    it("answers its own errors in the handlers' envelope with a request id", () => {
      const responses = template.findResources("AWS::ApiGateway::GatewayResponse");
      const byType = new Map(
        Object.values(responses).map((r) => [r.Properties.ResponseType, r.Properties]),
      );
      expect([...byType.keys()].sort()).toEqual([
        "ACCESS_DENIED",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
        "INTEGRATION_TIMEOUT",
        "INVALID_API_KEY",
        "MISSING_AUTHENTICATION_TOKEN",
        "QUOTA_EXCEEDED",
        "REQUEST_TOO_LARGE",
        "THROTTLED",
        "UNAUTHORIZED",
      ]);
      for (const props of byType.values()) {
        const body = props.ResponseTemplates["application/json"] as string;
        expect(body).toMatch(
          /^\{"error":\{"code":"[a-z_]+","message":.+,"requestId":"\$context\.requestId"\}\}$/,
        );
      }
      // Never API Gateway's "Missing Authentication Token" for an unknown route.
      expect(byType.get("MISSING_AUTHENTICATION_TOKEN")?.StatusCode).toBe("404");
      expect(
        byType.get("MISSING_AUTHENTICATION_TOKEN")?.ResponseTemplates["application/json"],
      ).toContain('"code":"route_not_found"');
    });
  });

  describe("monitoring", () => {
    let topicId: string;
    const alarm = (props: Record<string, unknown>) =>
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "notBreaching",
        AlarmActions: [{ Ref: topicId }],
        AlarmDescription: Match.stringLikeRegexp("See README#runbook-"),
        ...props,
      });
    const serviceDimension = [{ Name: "service", Value: "eventflow" }];

    beforeAll(() => {
      topicId = logicalId(s.stack.monitoring.alarmTopic);
    });

    it("publishes alarms to a KMS-encrypted, TLS-only topic CloudWatch may use", () => {
      const keyId = logicalId(s.stack.monitoring.alarmTopicKey);
      template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: getAtt(keyId) });
      template.hasResourceProperties("AWS::KMS::Key", {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            }),
          ]),
        },
      });
      template.hasResourceProperties("AWS::SNS::TopicPolicy", {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: "Deny",
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            }),
            Match.objectLike({
              Effect: "Allow",
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: "sns:Publish",
            }),
          ]),
        },
      });
    });

    it("alarms on any message in the DLQ", () => {
      alarm({
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [{ Name: "QueueName", Value: getAtt(dlqId, "QueueName") }],
        Statistic: "Maximum",
        Threshold: 0,
        AlarmDescription: Match.stringLikeRegexp("README#runbook-dlq-depth"),
      });
    });

    it("alarms on dead-lettered events (custom metric with the service dimension)", () => {
      alarm({
        Namespace: "EventFlow",
        MetricName: METRIC.deadLettered,
        Dimensions: serviceDimension,
        Statistic: "Sum",
        Threshold: 0,
      });
    });

    it("alarms on rule expressions failing (alarmRuleErrors in 5 minutes)", () => {
      alarm({
        Namespace: "EventFlow",
        MetricName: METRIC.ruleErrors,
        Dimensions: serviceDimension,
        Statistic: "Sum",
        Period: 300,
        Threshold: DEFAULTS.alarmRuleErrors,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
      });
    });

    it("alarms when the oldest queued message is older than alarmQueueAgeSeconds", () => {
      alarm({
        Namespace: "AWS/SQS",
        MetricName: "ApproximateAgeOfOldestMessage",
        Dimensions: [{ Name: "QueueName", Value: getAtt(queueId, "QueueName") }],
        Threshold: DEFAULTS.alarmQueueAgeSeconds,
      });
    });

    it.each(FUNCTION_NAMES)("alarms on %s errors and throttles", (name) => {
      for (const metric of ["Errors", "Throttles"]) {
        alarm({
          Namespace: "AWS/Lambda",
          MetricName: metric,
          Dimensions: [{ Name: "FunctionName", Value: { Ref: fnId(s.stack, name) } }],
          Statistic: "Sum",
          Threshold: 0,
        });
      }
    });

    it("alarms on the API 5XX rate, p99 latency and end-to-end p99", () => {
      alarm({
        Threshold: DEFAULTS.alarmApi5xxRatePercent,
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: "100 * errors", ReturnData: true }),
          Match.objectLike({
            Id: "errors",
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({ Namespace: "AWS/ApiGateway", MetricName: "5XXError" }),
              Stat: "Average",
            }),
          }),
        ]),
      });
      alarm({
        Namespace: "AWS/ApiGateway",
        MetricName: "Latency",
        ExtendedStatistic: "p99",
        Threshold: DEFAULTS.alarmApiLatencyP99Ms,
      });
      // Ingest refused events because it could not read their schemas (a 503 to producers).
      alarm({
        Namespace: "EventFlow",
        MetricName: METRIC.schemaLookupFailed,
        Dimensions: serviceDimension,
        Statistic: "Sum",
        Threshold: 0,
      });
      alarm({
        Namespace: "EventFlow",
        MetricName: METRIC.endToEndLatency,
        Dimensions: serviceDimension,
        ExtendedStatistic: "p99",
        Threshold: DEFAULTS.alarmEndToEndP99Ms,
      });
    });

    it("has exactly the expected alarms, all with alarm and OK actions", () => {
      // DLQ depth, dead-lettered, malformed messages, stats write failures, schema lookups
      // failed, rule errors, queue age, 5XX rate, API p99, end-to-end p99, sweep failed,
      // derived-event lag, 2 per function; history: archive behind, archive failures,
      // splitter behind, jobs DLQ depth; delivery: DeliveryDlqDepth, DeliveriesFailed,
      // DestinationsDisabled; DynamoDB write throttles on the events table and its 3 indexes,
      // and 3 near-a-limit alarms (issue 20).
      template.resourceCountIs("AWS::CloudWatch::Alarm", 19 + 2 * FUNCTION_NAMES.length + 4 + 3);
      template.allResourcesProperties("AWS::CloudWatch::Alarm", {
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
      });
      template.resourceCountIs("AWS::SNS::Subscription", 0);
    });

    it("alarms before a quota or scaling setting binds, and on any DynamoDB write throttle", () => {
      const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")).map(
        (a) => a.Properties,
      );
      const named = (metric: string) => alarms.filter((a) => a.MetricName === metric);
      // The table and each of its indexes.
      expect(named("WriteThrottleEvents")).toHaveLength(4);
      for (const a of named("WriteThrottleEvents")) expect(a.Threshold).toBe(0);
      const concurrency = named("ConcurrentExecutions");
      expect(concurrency.map((a) => a.Threshold).sort((x, y) => x - y)).toEqual([
        Math.floor(0.8 * DEFAULTS.processMaxConcurrency),
        Math.floor(0.8 * DEFAULTS.lambdaAccountConcurrency),
      ]);
      expect(named("Count")[0]?.Threshold).toBe(
        Math.floor(0.8 * DEFAULTS.apiThrottleRateLimit * 60),
      );
      for (const a of [...named("WriteThrottleEvents"), ...concurrency, ...named("Count")]) {
        expect(a.AlarmDescription).toMatch(/README#runbook-(dynamodb-throttles|scaling-limit)/);
      }
    });

    it("draws one dashboard with the whole pipeline", () => {
      template.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
      const dashboard = Object.values(template.findResources("AWS::CloudWatch::Dashboard"))[0];
      const body = JSON.stringify(dashboard?.Properties.DashboardBody);
      // Every metric a function emits; the canary's appear only with the canary (canary.test.ts).
      const canary: string[] = [METRIC.canarySuccess, METRIC.canaryLatency];
      for (const name of [
        ...Object.values(METRIC).filter((name) => !canary.includes(name)),
        "5XXError",
        "4XXError",
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
        "ConcurrentExecutions",
        "Throttles",
        "Duration",
      ]) {
        expect(body, name).toContain(name);
      }
    });
  });

  it("outputs what operators and the e2e tests need", () => {
    for (const name of [
      "ApiUrl",
      "EventsTableName",
      "KeysTableName",
      "ConfigTableName",
      "UsagePlanId",
      "QueueUrl",
      "DlqUrl",
      "DashboardName",
      "AlarmTopicArn",
    ]) {
      template.hasOutput(name, { Value: Match.anyValue() });
    }
    // https://<api>.execute-api.<region>.<suffix>/<stage>, with no trailing slash.
    const parts = template.toJSON().Outputs.ApiUrl.Value["Fn::Join"][1] as unknown[];
    expect(parts[0]).toBe("https://");
    expect(parts.at(-2)).toBe("/");
    expect(parts.at(-1)).toEqual({ Ref: logicalId(s.stack.api.restApi.deploymentStage) });
  });
});

describe("settings from context", () => {
  it("a batch of 50 with a 1 s window reaches the event source mapping and the visibility", () => {
    const { template, stack } = synth({ processBatchSize: 50, processMaxBatchingWindowSeconds: 1 });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: getAtt(logicalId(stack.storage.queue)),
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 1,
    });
    const settings: EventFlowSettings = stack.settings;
    template.hasResourceProperties("AWS::SQS::Queue", {
      RedrivePolicy: Match.anyValue(),
      VisibilityTimeout: queueVisibilityTimeoutSeconds(settings),
    });
    expect(queueVisibilityTimeoutSeconds(settings)).toBe(6 * settings.processTimeoutSeconds + 1);
  });

  it("a longer process timeout lengthens both queues' visibility", () => {
    const { template, stack } = synth({ processTimeoutSeconds: 60 });
    const fns = template.findResources("AWS::Lambda::Function");
    expect(fns[fnId(stack, "process")]?.Properties.Timeout).toBe(60);
    expect(fns[fnId(stack, "dlq")]?.Properties.Timeout).toBe(60);
    const queues = template.findResources("AWS::SQS::Queue");
    expect(queues[logicalId(stack.storage.queue)]?.Properties.VisibilityTimeout).toBe(360);
    expect(queues[logicalId(stack.storage.deadLetterQueue)]?.Properties.VisibilityTimeout).toBe(
      360,
    );
  });

  it("maxReceiveCount reaches the redrive policy and the functions that read it", () => {
    const { template, stack } = synth({ maxReceiveCount: 8, processMaxConcurrency: 50 });
    template.hasResourceProperties("AWS::SQS::Queue", {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 8 }),
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ MAX_RECEIVE_COUNT: "8" }) },
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: { Ref: fnId(stack, "process") },
      ScalingConfig: { MaximumConcurrency: 50 },
    });
  });

  it("thresholds, throttling, CORS, e-mail and stack/stage names follow context", () => {
    const { template, stack } = synth(
      {
        alarmQueueAgeSeconds: 60,
        apiThrottleRateLimit: 10,
        apiThrottleBurstLimit: 20,
        corsOrigins: "https://app.example.com",
        alarmEmail: "ops@example.com",
      },
      { "eventflow:stackName": "EventFlowDev", "eventflow:apiStageName": "dev" },
    );
    expect(stack.stackName).toBe("EventFlowDev");
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ApproximateAgeOfOldestMessage",
      Threshold: 60,
    });
    template.hasResourceProperties("AWS::ApiGateway::Stage", {
      StageName: "dev",
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 })],
    });
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
    const paths = new Set(ROUTES.map((r) => r.path));
    for (const path of paths) {
      const options = methodFor(template, "OPTIONS", path);
      expect(JSON.stringify(options.Integration)).toContain("'https://app.example.com'");
    }
  });

  it("retainData=false lets the table go with the stack", () => {
    const { template } = synth({ retainData: "false" });
    template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Delete",
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
  });

  it.each([
    [{ processBatchSize: 50 }, /processBatchSize above 10 needs processMaxBatchingWindowSeconds/],
    [{ processMaxConcurrency: 1 }, /processMaxConcurrency/],
    [{ dlqRetentionDays: 4, queueRetentionDays: 4 }, /dlqRetentionDays must exceed/],
    [{ processBatchSize: "ten" }, /processBatchSize/],
    [{ ingestProvisionedConcurrency: 5, ingestProvisionedConcurrencyMax: 2 }, /at least/],
  ])("rejects %o with a clear error", (settings, message) => {
    expect(() => synth(settings)).toThrow(message);
  });

  it("rejects a misspelt eventflow: context key instead of ignoring it", () => {
    expect(() => synth({}, { "eventflow:procesBatchSize": 50 })).toThrow(
      /unknown context key\(s\) eventflow:procesBatchSize/,
    );
  });
});

describe("provisioned concurrency", () => {
  it("is off by default: no alias, no scaling", () => {
    const { template } = synth();
    template.resourceCountIs("AWS::Lambda::Alias", 0);
    template.resourceCountIs("AWS::ApplicationAutoScaling::ScalableTarget", 0);
  });

  it("adds a live alias with target tracking, and the API invokes the alias", () => {
    const { template, stack } = synth({
      ingestProvisionedConcurrency: 2,
      ingestProvisionedConcurrencyMax: 8,
    });
    template.resourceCountIs("AWS::Lambda::Alias", 1);
    template.hasResourceProperties("AWS::Lambda::Alias", {
      Name: "live",
      FunctionName: { Ref: fnId(stack, "ingest") },
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", {
      MinCapacity: 2,
      MaxCapacity: 8,
      ScalableDimension: "lambda:function:ProvisionedConcurrency",
      ServiceNamespace: "lambda",
    });
    template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
      PolicyType: "TargetTrackingScaling",
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 0.7,
        PredefinedMetricSpecification: {
          PredefinedMetricType: "LambdaProvisionedConcurrencyUtilization",
        },
      }),
    });
    const aliasId = logicalId(stack.api.ingestAlias as IConstruct);
    const post = methodFor(template, "POST", "/v1/events");
    expect(JSON.stringify(post.Integration.Uri)).toContain(JSON.stringify({ Ref: aliasId }));
  });
});

describe("cdk-nag AwsSolutions", () => {
  const findings = (app: App) =>
    new AwsSolutionsChecks(app)
      .validateScope(app)
      .violations.map(
        (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(", ")}`,
      );

  it("finds nothing unacknowledged, with default settings and with every option on", () => {
    for (const settings of [
      {},
      {
        corsOrigins: "https://a.example.com,https://b.example.com",
        alarmEmail: "ops@example.com",
        ingestProvisionedConcurrency: 1,
        retainData: "false",
      },
    ]) {
      const { app } = synth(settings);
      expect(findings(app)).toEqual([]);
    }
  });

  it("does detect findings (the check is not vacuous)", () => {
    const app = new App();
    const stack = new Stack(app, "Bare");
    new Queue(stack, "Q", { enforceSSL: false });
    expect(findings(app).join("\n")).toMatch(/AwsSolutions-SQS4/);
  });

  it("acknowledges only the known findings, each with a reason", () => {
    const { app, stack } = synth();
    const bucketId = logicalId(stack.storage.archiveBucket);
    const archivePrefixFindings = ["events/*", "exports/*", "staging/*"].map(
      (p) => `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${p}]`,
    );
    const acknowledged = new Map<string, string>();
    for (const c of app.node.findAll()) {
      for (const entry of c.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledged.set(id.replace(/^annotation::/i, ""), reason);
        }
      }
    }
    // No APIG4 (authorization): every method has the key authorizer.
    expect([...acknowledged.keys()].sort()).toEqual([
      "AwsSolutions-APIG2",
      "AwsSolutions-APIG3",
      "AwsSolutions-APIG6",
      "AwsSolutions-COG4",
      "AwsSolutions-IAM5[Resource::*]",
      // History: roles granted one prefix of the archive bucket (events/, exports/, staging/).
      ...archivePrefixFindings,
      // The deliver role may send to tenants' own targets named with deliveryTargetPrefix.
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/eventflow-dest-*]",
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:eventflow-dest-*]",
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:eventflow-dest-*]",
      // The archive's access-log bucket does not log into itself.
      "AwsSolutions-S1",
      // The cursors' key has no rotation function: rotating only invalidates open cursors.
      "AwsSolutions-SMG4",
      // The archive event source's on-failure queue is itself a dead-letter queue.
      "AwsSolutions-SQS3",
      // CDK's own, on the access-log bucket (log delivery still uses its ACL).
      "CloudFormation-Validate::W3045",
    ]);
    for (const reason of acknowledged.values()) expect(reason.length).toBeGreaterThan(40);
    expect(acknowledged.get("AwsSolutions-COG4")).toMatch(/Lambda REQUEST authorizer/);
  });
});

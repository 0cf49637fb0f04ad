/**
 * History in the synthesized template (README "History"): the archive bucket (encrypted,
 * TLS-only, no public access, versioning off, lifecycle), the table's stream into the
 * archive function (filtered to event items), the splitter's schedule (one target per
 * shard), the daily compaction, the jobs queue and
 * function, the Glue tables (by tenant, staged) with partition projection, the Athena workgroup with its
 * bytes-scanned limit, the history routes, least-privilege roles, the alarms, and cdk-nag.
 */
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveSettings } from "../../lib/config.js";
import {
  ARCHIVE,
  ARCHIVE_COLUMNS,
  STAGED_COLUMNS,
  splitEvent,
} from "../../lib/contracts/archive.js";
import { ENV } from "../../lib/contracts/environment.js";
import { ROUTES } from "../../lib/contracts/functions.js";
import { createEventFlowStack, type EventFlowStack } from "../../lib/eventflow-stack.js";
import { logicalId } from "../support/cdk.js";

function synth(settings: Record<string, unknown> = {}) {
  const context: Record<string, unknown> = { "aws:cdk:bundling-stacks": [] };
  for (const [k, v] of Object.entries(settings)) context[`eventflow:${k}`] = v;
  const app = new App({ context });
  const stack = createEventFlowStack(app);
  return { app, stack, template: Template.fromStack(stack) };
}

let stack: EventFlowStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synth());
}, 120_000);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** The object ARNs (as JSON) a role's S3 object statements name. */
function s3ObjectResources(role: IConstruct): string {
  const policies = template.findResources("AWS::IAM::Policy", {
    Properties: { Roles: Match.arrayWith([{ Ref: logicalId(role) }]) },
  });
  return JSON.stringify(
    Object.values(policies).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as Statement[])
        .filter((s) => [s.Action].flat().some((a) => a === "s3:GetObject"))
        .map((s) => s.Resource),
    ),
  );
}

function actionsOf(role: IConstruct): string[] {
  const policies = template.findResources("AWS::IAM::Policy", {
    Properties: { Roles: Match.arrayWith([{ Ref: logicalId(role) }]) },
  });
  return Object.values(policies).flatMap((p) =>
    (p.Properties.PolicyDocument.Statement as Statement[]).flatMap((s) => [s.Action].flat()),
  );
}

describe("the archive bucket", () => {
  it("is encrypted, private, TLS-only, unversioned and logged", () => {
    const id = logicalId(stack.storage.archiveBucket);
    const bucket = template.findResources("AWS::S3::Bucket")[id];
    expect(bucket?.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
      ],
    });
    expect(bucket?.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket?.Properties.VersioningConfiguration).toBeUndefined();
    expect(bucket?.Properties.LoggingConfiguration?.DestinationBucketName).toEqual({
      Ref: logicalId(stack.storage.archiveLogBucket),
    });
    expect(bucket?.DeletionPolicy).toBe("Retain");
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });

  it("moves archived events to cheaper classes, keeps them by default, expires exports", () => {
    const rules = template.findResources("AWS::S3::Bucket")[logicalId(stack.storage.archiveBucket)]
      ?.Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
    const events = rules.find((r) => r.Id === "archived-events");
    expect(events).toMatchObject({
      Prefix: ARCHIVE.eventsPrefix,
      Status: "Enabled",
      Transitions: [
        { StorageClass: "STANDARD_IA", TransitionInDays: 30 },
        { StorageClass: "GLACIER_IR", TransitionInDays: 180 },
      ],
    });
    expect(events).not.toHaveProperty("ExpirationInDays");
    expect(rules.find((r) => r.Id === "exports")).toMatchObject({
      Prefix: ARCHIVE.exportsPrefix,
      ExpirationInDays: 7,
    });
  });

  it("expires archived events when archiveExpiryDays is set", () => {
    const s = synth({ archiveExpiryDays: 3650 });
    const rules = s.template.findResources("AWS::S3::Bucket")[
      logicalId(s.stack.storage.archiveBucket)
    ]?.Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
    expect(rules.find((r) => r.Id === "archived-events")).toMatchObject({
      ExpirationInDays: 3650,
    });
  });
});

describe("the archive function", () => {
  it("reads the table's stream (new images), event items only, batched", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      StreamSpecification: { StreamViewType: "NEW_IMAGE" },
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: { Ref: logicalId(stack.history.archiveFunction.function) },
      EventSourceArn: Match.objectLike({ "Fn::GetAtt": Match.arrayWith(["StreamArn"]) }),
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 10,
      StartingPosition: "TRIM_HORIZON",
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ["INSERT", "MODIFY"],
              dynamodb: { Keys: { sk: { S: ["EVENT"] } } },
            }),
          },
        ],
      },
    });
  });

  it("runs the splitter every archiveSplitMinutes with its settings, one target per shard", () => {
    const defaults = resolveSettings({});
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: `rate(${defaults.archiveSplitMinutes} minutes)`,
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [logicalId(stack.history.archiveFunction.function), "Arn"] },
          Input: JSON.stringify(splitEvent(defaults, 0)),
          RetryPolicy: { MaximumRetryAttempts: 0 },
        }),
      ],
    });
    // 7 shards: two rules (a rule takes 5 targets), shards 0..6 each once.
    const sharded = synth({ archiveSplitShards: 7, archiveSplitMinutes: 5 }).template;
    const rules = Object.values(
      sharded.findResources("AWS::Events::Rule", {
        Properties: { ScheduleExpression: "rate(5 minutes)" },
      }),
    );
    expect(rules).toHaveLength(2);
    const inputs = rules.flatMap((r) =>
      (r.Properties.Targets as { Input: string }[]).map((t) => JSON.parse(t.Input)),
    );
    expect(inputs.map((i) => i.shard).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(inputs.every((i) => i.shards === 7 && i.split === true)).toBe(true);
  });

  it("gives the readers the staged-file bound and the jobs how long they wait for the splitter", () => {
    const envOf = (t: Template, fn: IConstruct) =>
      (t.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables ?? {}) as Record<
        string,
        unknown
      >;
    for (const fn of [stack.history.jobsFunction.function, stack.api.historyFunction.function]) {
      expect(envOf(template, fn)[ENV.archiveStagedReadMaxFiles]).toBe(
        String(resolveSettings({}).archiveStagedReadMaxFiles),
      );
    }
    // 3 splitter runs (15 min apart) and the longest one (the archive function's 900 s).
    expect(envOf(template, stack.history.jobsFunction.function)[ENV.archiveStagedWaitSeconds]).toBe(
      "3600",
    );
    const tuned = synth({ archiveStagedReadMaxFiles: 50, archiveSplitMinutes: 5 });
    const jobs = envOf(tuned.template, tuned.stack.history.jobsFunction.function);
    expect(jobs[ENV.archiveStagedReadMaxFiles]).toBe("50");
    expect(jobs[ENV.archiveStagedWaitSeconds]).toBe(String(3 * 5 * 60 + 900));
  });

  it("compacts daily and may touch only staging/ and events/ in the bucket", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "cron(15 2 * * ? *)",
      Targets: [Match.objectLike({ Input: JSON.stringify({ compact: true }) })],
    });
    const actions = actionsOf(stack.history.archiveFunction.role);
    expect(actions.filter((a) => a.startsWith("s3:")).sort()).toEqual([
      "s3:DeleteObject",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:PutObject",
    ]);
    const objects = s3ObjectResources(stack.history.archiveFunction.role);
    expect(objects).toContain(`/${ARCHIVE.stagingPrefix}*`);
    expect(objects).toContain(`/${ARCHIVE.eventsPrefix}*`);
    expect(objects).not.toContain(`/${ARCHIVE.exportsPrefix}*`);
    // The stream's reads only (granted by the event source); no table item access.
    expect(actions.filter((a) => a.startsWith("dynamodb:")).sort()).toEqual([
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
      "dynamodb:ListStreams",
    ]);
  });
});

describe("SQL over history: Glue and Athena", () => {
  it("defines the Glue table over the archive with partition projection", () => {
    template.hasResourceProperties("AWS::Glue::Table", {
      TableInput: Match.objectLike({
        Name: ARCHIVE.glueTable,
        PartitionKeys: [
          { Name: "tenant", Type: "string" },
          { Name: "day", Type: "string" },
        ],
        Parameters: Match.objectLike({
          classification: "parquet",
          "projection.enabled": "true",
          "projection.tenant.type": "injected",
          "projection.day.type": "date",
          "projection.day.format": "yyyy-MM-dd",
        }),
        StorageDescriptor: Match.objectLike({
          Columns: ARCHIVE_COLUMNS.map((c) => ({
            Name: c.name,
            Type: c.type === "json" ? "string" : c.type,
          })),
          SerdeInfo: {
            SerializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
          },
        }),
      }),
    });
  });

  it("defines a Glue table over the staged files: day projected, tenant a column", () => {
    template.hasResourceProperties("AWS::Glue::Table", {
      TableInput: Match.objectLike({
        Name: ARCHIVE.glueStagedTable,
        PartitionKeys: [{ Name: "day", Type: "string" }],
        Parameters: Match.objectLike({
          classification: "parquet",
          "projection.enabled": "true",
          "projection.day.type": "date",
          "projection.day.format": "yyyy-MM-dd",
          "storage.location.template": Match.objectLike({
            "Fn::Join": ["", Match.arrayWith([`/${ARCHIVE.stagingPrefix}day=\${day}/`])],
          }),
        }),
        StorageDescriptor: Match.objectLike({
          Columns: STAGED_COLUMNS.map((c) => ({
            Name: c.name,
            Type: c.type === "json" ? "string" : c.type,
          })),
        }),
      }),
    });
  });

  it("lets the jobs and history functions read staged files (every reader reads both layouts)", () => {
    for (const role of [stack.history.jobsFunction.role, stack.api.historyFunction.role]) {
      const objects = s3ObjectResources(role);
      expect(objects).toContain(`/${ARCHIVE.stagingPrefix}*`);
      expect(objects).toContain(`/${ARCHIVE.eventsPrefix}*`);
    }
  });

  it("limits the workgroup's bytes scanned per query and enforces its settings", () => {
    template.hasResourceProperties("AWS::Athena::WorkGroup", {
      WorkGroupConfiguration: Match.objectLike({
        BytesScannedCutoffPerQuery: 10_240 * 1024 * 1024,
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: Match.objectLike({
          EncryptionConfiguration: { EncryptionOption: "SSE_S3" },
        }),
      }),
    });
    const s = synth({ athenaBytesScannedCutoffMb: 100 });
    s.template.hasResourceProperties("AWS::Athena::WorkGroup", {
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 100 * 1024 * 1024 }),
    });
  });
});

describe("history jobs and API", () => {
  it("routes every history path to the history function", () => {
    const paths = ROUTES.filter((r) => r.function === "history").map((r) => r.path);
    expect(new Set(paths)).toEqual(
      new Set([
        "/v1/exports",
        "/v1/exports/{id}",
        "/v1/replays",
        "/v1/replays/{id}",
        "/v1/subjects/{subject}",
        "/v1/subjects/{subject}/export",
        "/v1/erasures",
        "/v1/erasures/{id}",
      ]),
    );
  });

  it("runs jobs from their queue (one per invocation) with a DLQ, and lets jobs send events", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: { Ref: logicalId(stack.history.jobsFunction.function) },
      BatchSize: 1,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    const actions = actionsOf(stack.history.jobsFunction.role);
    expect(actions).toContain("dynamodb:BatchWriteItem");
    expect(actions).not.toContain("dynamodb:Scan");
    const queueDeny = JSON.stringify(template.findResources("AWS::SQS::QueuePolicy"));
    expect(queueDeny).toContain(logicalId(stack.history.jobsFunction.role));
  });

  it("lets jobs replay to a destination and a backfill, and erase deliveries, and no more", () => {
    const role = logicalId(stack.history.jobsFunction.role);
    const statements = Object.values(
      template.findResources("AWS::IAM::Policy", {
        Properties: { Roles: Match.arrayWith([{ Ref: role }]) },
      }),
    ).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as (Statement & { Condition?: unknown })[],
    );
    const on = (resource: IConstruct) =>
      statements.filter((s) => JSON.stringify(s.Resource).includes(logicalId(resource)));
    // The delivery engine's queues: send only; the jobs role is one of their only senders.
    for (const queue of [stack.storage.deliveryQueue, stack.storage.deliveryFifoQueue]) {
      expect(on(queue).flatMap((s) => [s.Action].flat())).toEqual(["sqs:SendMessage"]);
    }
    const deliveryDeny = Object.values(template.findResources("AWS::SQS::QueuePolicy"))
      .map((p) => JSON.stringify(p))
      .filter((p) => p.includes("OnlyDeliveryProducersSend"));
    expect(deliveryDeny.length).toBe(2);
    for (const policy of deliveryDeny) expect(policy).toContain(role);
    // The deliveries log: UpdateItem on the table, Query on the byEvent index only.
    const log = on(stack.storage.deliveriesTable);
    expect(log.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
    const query = log.find((s) => [s.Action].flat().includes("dynamodb:Query"));
    expect(JSON.stringify(query?.Resource)).toContain("/index/byEvent");
    // Contributions: PutItem only under the aggregations' contribution partitions.
    const put = on(stack.storage.table).find((s) => [s.Action].flat().includes("dynamodb:PutItem"));
    expect(put?.Condition).toEqual({
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["T#*#W#A#*"] },
    });
  });

  it("gives the history API no table, delete or events-queue access", () => {
    const actions = actionsOf(stack.api.historyFunction.role);
    expect(actions).not.toContain("s3:DeleteObject");
    expect(actions).not.toContain("s3:PutObject");
    expect(actions.filter((a) => a.startsWith("dynamodb:")).sort()).toEqual([
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
  });

  it("alarms on archive lag and failures, a splitter that falls behind, and on the jobs DLQ", () => {
    const alarms = JSON.stringify(template.findResources("AWS::CloudWatch::Alarm"));
    expect(alarms).toContain("runbook-archive-behind");
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ArchiveStagedLeft",
      Statistic: "Minimum",
      Period: 3600,
      Threshold: 0,
    });
    expect(alarms).toContain("runbook-history-jobs");
    expect(alarms).toContain("IteratorAge");
  });
});

describe("cdk-nag", () => {
  it("finds nothing unacknowledged in the history resources", () => {
    const { app } = synth();
    const violations = new AwsSolutionsChecks(app)
      .validateScope(app)
      .violations.map(
        (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(", ")}`,
      );
    expect(violations).toEqual([]);
  });
});

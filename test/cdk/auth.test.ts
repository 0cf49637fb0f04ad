/**
 * Multi-tenant security in the template: the Lambda REQUEST authorizer and the usage plan
 * key requirement on every method, the per-tenant usage plan from settings, the gateway
 * responses for 401/403/429, the keys table, and each function role's exact actions
 * (least privilege: only what its code calls, on its own resources).
 */
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { MockIntegration } from "aws-cdk-lib/aws-apigateway";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { CONTEXT_PREFIX, resolveSettings } from "../../lib/config.js";
import { ENV } from "../../lib/contracts/environment.js";
import { type FunctionName, ROUTES } from "../../lib/contracts/functions.js";
import { KEYS_TABLE, TABLE } from "../../lib/contracts/tables.js";
import { createEventFlowStack, type EventFlowStack } from "../../lib/eventflow-stack.js";
import { getAtt, logicalId } from "../support/cdk.js";

const DEFAULTS = resolveSettings({});

function synth(settings: Record<string, unknown> = {}) {
  // No bundling: stack.test.ts bundles every handler.
  const context: Record<string, unknown> = { "aws:cdk:bundling-stacks": [] };
  for (const [key, value] of Object.entries(settings)) context[`${CONTEXT_PREFIX}${key}`] = value;
  const app = new App({ context });
  const stack = createEventFlowStack(app);
  return { app, stack, template: Template.fromStack(stack) };
}

let stack: EventFlowStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synth());
}, 120_000);

describe("authorizer", () => {
  it("is a REQUEST authorizer on the Authorization header, cached for authorizerCacheSeconds", () => {
    template.resourceCountIs("AWS::ApiGateway::Authorizer", 1);
    const [authorizer] = Object.values(template.findResources("AWS::ApiGateway::Authorizer"));
    expect(authorizer?.Properties).toMatchObject({
      Type: "REQUEST",
      IdentitySource: "method.request.header.Authorization",
      AuthorizerResultTtlInSeconds: DEFAULTS.authorizerCacheSeconds,
      RestApiId: { Ref: logicalId(stack.api.restApi) },
    });
    expect(JSON.stringify(authorizer?.Properties.AuthorizerUri)).toContain(
      logicalId(stack.functions.authorizer.function),
    );
    // A leaked key stops within about a minute even where no flush reaches the cache.
    expect(DEFAULTS.authorizerCacheSeconds).toBe(60);
    const short = synth({ authorizerCacheSeconds: 0 }).template;
    short.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  it("guards every method, which also needs the tenant's usage plan key", () => {
    const authorizerId = logicalId(stack.api.authorizer as unknown as IConstruct);
    const methods = Object.values(template.findResources("AWS::ApiGateway::Method"));
    expect(methods).toHaveLength(ROUTES.length);
    for (const method of methods) {
      expect(method.Properties).toMatchObject({
        AuthorizationType: "CUSTOM",
        AuthorizerId: { Ref: authorizerId },
        ApiKeyRequired: true,
      });
    }
    template.hasResourceProperties("AWS::ApiGateway::RestApi", {
      ApiKeySourceType: "AUTHORIZER",
    });
  });

  it("leaves only CORS preflights open, when CORS is on", () => {
    const { template: cors } = synth({ corsOrigins: "https://app.example.com" });
    for (const method of Object.values(cors.findResources("AWS::ApiGateway::Method"))) {
      const open = method.Properties.AuthorizationType === "NONE";
      expect(open).toBe(method.Properties.HttpMethod === "OPTIONS");
    }
  });

  it("may be invoked by API Gateway through this API's authorizers only", () => {
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      FunctionName: getAtt(logicalId(stack.functions.authorizer.function)),
      Principal: "apigateway.amazonaws.com",
      SourceArn: Match.objectLike({
        "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp("/authorizers/")])],
      }),
    });
  });

  it("gets the keys table's name and nothing about events", () => {
    const props =
      template.findResources("AWS::Lambda::Function")[
        logicalId(stack.functions.authorizer.function)
      ]?.Properties;
    const vars = props?.Environment.Variables as Record<string, unknown>;
    expect(vars[ENV.keysTableName]).toEqual({ Ref: logicalId(stack.storage.keysTable) });
    for (const name of [ENV.tableName, ENV.queueUrl, ENV.dlqUrl]) {
      expect(vars).not.toHaveProperty(name);
    }
  });
});

describe("per-tenant limits", () => {
  it("one usage plan on the stage with the tenant rate, burst and daily quota", () => {
    template.resourceCountIs("AWS::ApiGateway::UsagePlan", 1);
    template.hasResourceProperties("AWS::ApiGateway::UsagePlan", {
      Throttle: { RateLimit: DEFAULTS.tenantRateLimit, BurstLimit: DEFAULTS.tenantBurstLimit },
      Quota: { Limit: DEFAULTS.tenantQuotaPerDay, Period: "DAY" },
      ApiStages: [
        {
          ApiId: { Ref: logicalId(stack.api.restApi) },
          Stage: { Ref: logicalId(stack.api.restApi.deploymentStage) },
        },
      ],
      UsagePlanName: Match.absent(),
    });
    expect([DEFAULTS.tenantRateLimit, DEFAULTS.tenantBurstLimit]).toEqual([100, 200]);
    expect(DEFAULTS.tenantQuotaPerDay).toBe(1_000_000);
    // Keys are per tenant, made by `npm run keys`: none in the template.
    template.resourceCountIs("AWS::ApiGateway::ApiKey", 0);
  });

  it("follows context, and a quota of 0 means none", () => {
    const { template: custom } = synth({
      tenantRateLimit: 7,
      tenantBurstLimit: 9,
      tenantQuotaPerDay: 0,
    });
    custom.hasResourceProperties("AWS::ApiGateway::UsagePlan", {
      Throttle: { RateLimit: 7, BurstLimit: 9 },
      Quota: Match.absent(),
    });
  });

  it("answers 401/403/429 in the error envelope, with WWW-Authenticate and Retry-After", () => {
    const responses = Object.values(template.findResources("AWS::ApiGateway::GatewayResponse"));
    const byType = new Map(responses.map((r) => [r.Properties.ResponseType, r.Properties]));
    const expectResponse = (
      type: string,
      status: string,
      code: string,
      headers: Record<string, string> | undefined,
    ) => {
      const props = byType.get(type);
      expect(props?.StatusCode, type).toBe(status);
      // Besides its own headers, every gateway answer echoes the caller's correlation id.
      expect(props?.ResponseParameters).toEqual({
        ...Object.fromEntries(
          Object.entries(headers ?? {}).map(([k, v]) => [`gatewayresponse.header.${k}`, `'${v}'`]),
        ),
        "gatewayresponse.header.X-Correlation-Id": "method.request.header.X-Correlation-Id",
      });
      const body = JSON.parse(
        String(props?.ResponseTemplates["application/json"] ?? "").replace(
          "$context.requestId",
          "r-1",
        ),
      );
      expect(body).toEqual({ error: { code, message: expect.any(String), requestId: "r-1" } });
    };
    expectResponse("UNAUTHORIZED", "401", "unauthorized", {
      "WWW-Authenticate": 'Bearer realm="eventflow"',
    });
    expectResponse("ACCESS_DENIED", "403", "forbidden", undefined);
    expectResponse("INVALID_API_KEY", "403", "forbidden", undefined);
    expectResponse("THROTTLED", "429", "throttled", { "Retry-After": "1" });
    expectResponse("QUOTA_EXCEEDED", "429", "quota_exceeded", { "Retry-After": "3600" });
  });

  it("outputs what npm run keys needs", () => {
    template.hasOutput("KeysTableName", { Value: { Ref: logicalId(stack.storage.keysTable) } });
    template.hasOutput("UsagePlanId", { Value: { Ref: logicalId(stack.api.usagePlan) } });
    // revoke and rotate flush this stage's authorizer cache.
    template.hasOutput("RestApiId", { Value: { Ref: logicalId(stack.api.restApi) } });
    template.hasOutput("ApiStageName", {
      Value: { Ref: logicalId(stack.api.restApi.deploymentStage) },
    });
  });
});

describe("keys table", () => {
  it("keys by hash, lists by tenant, with PITR, encryption and the data's retention", () => {
    const id = logicalId(stack.storage.keysTable);
    const table = template.findResources("AWS::DynamoDB::Table")[id];
    expect(table?.DeletionPolicy).toBe("Retain");
    expect(table?.Properties).toMatchObject({
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: KEYS_TABLE.partitionKey, KeyType: "HASH" }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
      GlobalSecondaryIndexes: [
        {
          IndexName: KEYS_TABLE.byTenantIndex.name,
          KeySchema: [
            { AttributeName: KEYS_TABLE.byTenantIndex.partitionKey, KeyType: "HASH" },
            { AttributeName: KEYS_TABLE.byTenantIndex.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    });
    // Key items are no events: no TTL deletes them.
    expect(table?.Properties.TimeToLiveSpecification).toBeUndefined();
  });
});

describe("least privilege: each role's actions", () => {
  interface Statement {
    Effect: string;
    Action: string | string[];
    Resource: unknown;
  }

  /** service:action -> resources, for one function's role (logs and X-Ray left out). */
  function grants(name: FunctionName): Record<string, unknown[]> {
    const roleId = logicalId(stack.functions[name].role);
    const policies = template.findResources("AWS::IAM::Policy", {
      Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
    });
    const out: Record<string, unknown[]> = {};
    for (const policy of Object.values(policies)) {
      for (const st of policy.Properties.PolicyDocument.Statement as Statement[]) {
        expect(st.Effect).toBe("Allow");
        for (const action of [st.Action].flat()) {
          if (action.startsWith("logs:") || action.startsWith("xray:")) continue;
          out[action] = [...(out[action] ?? []), ...[st.Resource].flat()];
        }
      }
    }
    return out;
  }

  const ids = () => ({
    table: getAtt(logicalId(stack.storage.table)),
    keys: getAtt(logicalId(stack.storage.keysTable)),
    queue: getAtt(logicalId(stack.storage.queue)),
    dlq: getAtt(logicalId(stack.storage.deadLetterQueue)),
    cursorKey: { Ref: logicalId(stack.storage.cursorKey) },
    config: getAtt(logicalId(stack.storage.configTable)),
    index: (name: string) => ({
      "Fn::Join": ["", [getAtt(logicalId(stack.storage.table)), `/index/${name}`]],
    }),
  });

  it("authorizer: GetItem on the keys table, nothing else", () => {
    expect(grants("authorizer")).toEqual({ "dynamodb:GetItem": [ids().keys] });
  });

  it("ingest: SendMessage on the queue, GetItem of schemas on the configuration table", () => {
    expect(grants("ingest")).toEqual({
      "sqs:SendMessage": [ids().queue],
      "dynamodb:GetItem": [ids().config],
    });
  });

  it("schemas: Get/Query/Put on the configuration table, reads of events by type", () => {
    const { table, config, index, cursorKey } = ids();
    const read = [table, index(TABLE.byTypeIndex.name)];
    expect(grants("schemas")).toEqual({
      // No DeleteItem: deleting a type is a soft delete (a put); versions are never removed.
      "dynamodb:GetItem": [config, ...read],
      "dynamodb:Query": [config, ...read],
      "dynamodb:PutItem": [config],
      "dynamodb:BatchGetItem": read,
      "dynamodb:DescribeTable": read,
      "secretsmanager:GetSecretValue": [cursorKey],
      "secretsmanager:DescribeSecret": [cursorKey],
    });
  });

  it("query: reads of the events table and its indexes, queue depths", () => {
    const { table, queue, dlq, index, cursorKey, config } = ids();
    const indexes = [TABLE.byTypeIndex, TABLE.failedIndex, TABLE.byTimeIndex].map((i) =>
      index(i.name),
    );
    const read = [table, ...indexes];
    expect(grants("query")).toEqual({
      "dynamodb:GetItem": read,
      "dynamodb:BatchGetItem": read,
      // And a tenant's schema items, for GET /v1/openapi.json?include=schemas.
      "dynamodb:Query": [...read, config],
      "dynamodb:DescribeTable": read,
      "sqs:GetQueueAttributes": expect.arrayContaining([queue, dlq]),
      "secretsmanager:GetSecretValue": [cursorKey],
      "secretsmanager:DescribeSecret": [cursorKey],
    });
  });

  it("replay: the failed index, Get/Update of events, SendMessage, GetItem of schemas", () => {
    const { table, queue, index, cursorKey, config } = ids();
    expect(grants("replay")).toEqual({
      "dynamodb:GetItem": [table, config],
      "dynamodb:UpdateItem": [table],
      "dynamodb:Query": [index(TABLE.failedIndex.name)],
      "sqs:SendMessage": [queue],
      "secretsmanager:GetSecretValue": [cursorKey],
      "secretsmanager:DescribeSecret": [cursorKey],
    });
  });

  it.each(["process", "dlq"] as const)("%s: event writes, and its queue's messages", (name) => {
    const { table, queue, dlq } = ids();
    const own = name === "process" ? queue : dlq;
    const g = grants(name);
    const config = getAtt(logicalId(stack.storage.configTable));
    expect(g).toMatchObject({
      // The configuration table: a tenant's rules and its window and pattern declarations.
      "dynamodb:GetItem": [table],
      "dynamodb:PutItem": [table],
      "dynamodb:UpdateItem": [table],
    });
    expect(new Set(g["dynamodb:Query"])).toEqual(new Set([config]));
    for (const [action, resources] of Object.entries(g)) {
      // process also sends deliveries (a rule's route) to the two delivery queues.
      if (action === "sqs:SendMessage" && name === "process") {
        expect(resources, action).toEqual([
          getAtt(logicalId(stack.storage.deliveryQueue)),
          getAtt(logicalId(stack.storage.deliveryFifoQueue)),
        ]);
      } else if (action.startsWith("sqs:")) expect(resources, action).toEqual([own]);
    }
    expect(g["sqs:ChangeMessageVisibility"]).toEqual([own]);
  });

  it("no function but the authorizer may touch the keys table", () => {
    const keysId = logicalId(stack.storage.keysTable);
    for (const name of Object.keys(stack.functions) as FunctionName[]) {
      if (name === "authorizer") continue;
      expect(JSON.stringify(grants(name)), name).not.toContain(keysId);
    }
  });
});

describe("cdk-nag", () => {
  const findings = (app: App) =>
    new AwsSolutionsChecks(app).validateScope(app).violations.map((v) => v.ruleName);

  it("passes APIG4 (authorization) with no acknowledgement, and would catch an open method", () => {
    const { app } = synth();
    expect(findings(app)).toEqual([]);
    const open = synth();
    open.stack.api.restApi.root
      .resourceForPath("/v1/open")
      .addMethod("GET", new MockIntegration(), { authorizationType: undefined });
    expect(findings(open.app)).toContain("AwsSolutions-APIG4");
  });
});

describe("events queue policy (defense in depth)", () => {
  it("denies sqs:SendMessage to every principal but the pipeline's producers", () => {
    const queueId = logicalId(stack.storage.queue);
    const policies = Object.values(template.findResources("AWS::SQS::QueuePolicy")).filter((p) =>
      JSON.stringify(p.Properties.Queues).includes(queueId),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.Properties.PolicyDocument.Statement as Record<
      string,
      unknown
    >[];
    const senders = statements.find((s) => s.Sid === "OnlyPipelineProducersSend");
    const roleArn = (name: FunctionName) =>
      getAtt(logicalId(stack.functions[name].role as unknown as IConstruct));
    expect(senders).toEqual({
      Sid: "OnlyPipelineProducersSend",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: "sqs:SendMessage",
      Resource: getAtt(queueId),
      // The sweep sends derived events (window.closed, pattern.matched) under their tenant;
      // the history jobs function replays archived events (POST /v1/replays); deliver emits
      // eventflow.destination.disabled.
      Condition: {
        ArnNotEquals: {
          "aws:PrincipalArn": [
            roleArn("ingest"),
            roleArn("replay"),
            roleArn("sweep"),
            roleArn("jobs"),
            roleArn("deliver"),
          ],
        },
      },
    });
    // TLS is still enforced beside it.
    expect(
      statements.some((s) => s.Effect === "Deny" && JSON.stringify(s).includes("SecureTransport")),
    ).toBe(true);
  });
});

/**
 * The synthetic canary in the synthesized template: absent by default; when
 * canaryIntervalMinutes > 0, a schedule at that interval, the function built by the
 * function-defaults construct, a role with exactly what the canary calls (PutItem of its
 * keys, GetApiKey of its usage plan key), its tenant's usage plan key, the two alarms on
 * the alarm topic with the runbook, a dashboard row, and cdk-nag still clean.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { App, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { CONTEXT_PREFIX, resolveSettings, SettingsError } from "../../lib/config.js";
import { CANARY_ALARM_PERIODS, RUNBOOK } from "../../lib/constructs/monitoring.js";
import { CANARY } from "../../lib/contracts/canary.js";
import { ENV } from "../../lib/contracts/environment.js";
import {
  CANARY_MEMORY_MB,
  canaryTimeoutSeconds,
  functionEnvironment,
} from "../../lib/contracts/functions.js";
import { METRIC, OBSERVABILITY } from "../../lib/contracts/observability.js";
import { KEYS_TABLE } from "../../lib/contracts/tables.js";
import { createEventFlowStack, type EventFlowStack } from "../../lib/eventflow-stack.js";
import { getAtt, logicalId } from "../support/cdk.js";

interface Synth {
  app: App;
  stack: EventFlowStack;
  template: Template;
}

function synth(settings: Record<string, unknown> = {}, bundle = false): Synth {
  const context: Record<string, unknown> = bundle ? {} : { "aws:cdk:bundling-stacks": [] };
  for (const [key, value] of Object.entries(settings)) context[`${CONTEXT_PREFIX}${key}`] = value;
  const app = new App({ context });
  const stack = createEventFlowStack(app);
  return { app, stack, template: Template.fromStack(stack) };
}

const serviceDimension = [{ Name: "service", Value: OBSERVABILITY.serviceName }];

const nagFindings = (app: App) =>
  new AwsSolutionsChecks(app)
    .validateScope(app)
    .violations.map(
      (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(", ")}`,
    );

/** EventBridge rules other than the windows and patterns sweep's (lib/constructs/windows.ts). */
const canaryRules = (template: Template) =>
  Object.keys(template.findResources("AWS::Events::Rule")).filter(
    // The windows sweep's schedule and history's daily compaction and splitter are not the canary's.
    (id) => !id.includes("Sweep") && !id.includes("Compaction") && !id.includes("Splitter"),
  );

describe("canary off (the default)", () => {
  let off: Synth;
  beforeAll(() => {
    off = synth();
  }, 120_000);

  it("deploys nothing of the canary", () => {
    expect(resolveSettings({}).canaryIntervalMinutes).toBe(0);
    expect(off.stack.canary).toBeUndefined();
    // The one rule of a stack without the canary is the windows sweep's schedule.
    expect(canaryRules(off.template)).toEqual([]);
    off.template.resourceCountIs("AWS::Scheduler::Schedule", 0);
    off.template.resourceCountIs("AWS::ApiGateway::ApiKey", 0);
    off.template.resourceCountIs("AWS::ApiGateway::UsagePlanKey", 0);
    off.template.resourceCountIs("AWS::Lambda::EventInvokeConfig", 0);
    expect(Object.keys(off.template.findOutputs("CanaryFunctionName"))).toEqual([]);
    const json = JSON.stringify(off.template.toJSON());
    for (const marker of [
      METRIC.canarySuccess,
      METRIC.canaryLatency,
      RUNBOOK.canary,
      ENV.apiUrl,
      ENV.canaryUsageKeyId,
      "EventFlow canary",
    ]) {
      expect(json, marker).not.toContain(marker);
    }
    const keys =
      off.template.findResources("AWS::DynamoDB::Table")[logicalId(off.stack.storage.keysTable)];
    expect(keys?.Properties.TimeToLiveSpecification).toBeUndefined();
  });
});

describe("canary on (canaryIntervalMinutes=5)", () => {
  const settings = resolveSettings({ canaryIntervalMinutes: 5 });
  let on: Synth;
  let fnId: string;
  let roleId: string;
  let usageKeyId: string;
  let topicRef: { Ref: string };

  beforeAll(() => {
    // Bundled: the canary's handler must build like the others.
    on = synth({ canaryIntervalMinutes: 5 }, true);
    const canary = on.stack.canary;
    if (!canary) throw new Error("no canary");
    fnId = logicalId(canary.canaryFunction.function);
    roleId = logicalId(canary.canaryFunction.role);
    usageKeyId = logicalId(canary.usageKey);
    topicRef = { Ref: logicalId(on.stack.monitoring.alarmTopic) };
  }, 180_000);

  it("runs the canary on a schedule at the interval, never retried", () => {
    expect(canaryRules(on.template)).toHaveLength(1);
    on.template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(5 minutes)",
      State: "ENABLED",
      Targets: [
        Match.objectLike({
          Arn: getAtt(fnId),
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 },
        }),
      ],
    });
    on.template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      FunctionName: getAtt(fnId),
      Principal: "events.amazonaws.com",
      SourceArn: getAtt(logicalId(on.stack.canary?.schedule as IConstruct)),
    });
    // Lambda's own retries of a failed asynchronous invocation: none either.
    on.template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: fnId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
    });
  });

  it("builds the function with the defaults construct: Node 24, arm64, tracing, log group", () => {
    const props = on.template.findResources("AWS::Lambda::Function")[fnId]?.Properties;
    expect(props).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      TracingConfig: { Mode: "Active" },
      MemorySize: CANARY_MEMORY_MB,
      Timeout: canaryTimeoutSeconds(settings),
      Role: getAtt(roleId),
      LoggingConfig: {
        LogGroup: { Ref: logicalId(on.stack.canary?.canaryFunction.logGroup as IConstruct) },
      },
    });
    expect(props.FunctionName).toBeUndefined();
    // The timeout leaves room after the deadline: a missed deadline is still reported.
    expect(props.Timeout).toBeGreaterThan(settings.canaryDeadlineSeconds);
  });

  it("tells the function where the API, its keys table and its usage key are, and no more", () => {
    const vars = on.template.findResources("AWS::Lambda::Function")[fnId]?.Properties.Environment
      .Variables as Record<string, unknown>;
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
    const base = functionEnvironment("canary", settings, refs);
    expect(Object.keys(vars).sort()).toEqual(
      [...Object.keys(base), ENV.apiUrl, ENV.canaryUsageKeyId].sort(),
    );
    expect(vars[ENV.keysTableName]).toEqual({ Ref: logicalId(on.stack.storage.keysTable) });
    expect(vars[ENV.canaryUsageKeyId]).toEqual({ Ref: usageKeyId });
    expect(vars[ENV.canaryDeadlineSeconds]).toBe(String(settings.canaryDeadlineSeconds));
    const url = JSON.stringify(vars[ENV.apiUrl]);
    expect(url).toContain("https://");
    expect(url).toContain(JSON.stringify({ Ref: logicalId(on.stack.api.restApi) }));
    // No events table, no queue: the canary goes through the API like a producer.
    expect(vars[ENV.tableName]).toBeUndefined();
    expect(vars[ENV.queueUrl]).toBeUndefined();
  });

  it("gives the role only what the code calls: PutItem of canary keys only, GetApiKey of its key", () => {
    const policies = on.template.findResources("AWS::IAM::Policy", {
      Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
    });
    const grants: Record<string, unknown[]> = {};
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.Roles).toEqual([{ Ref: roleId }]);
      for (const st of policy.Properties.PolicyDocument.Statement as {
        Effect: string;
        Action: string | string[];
        Resource: unknown;
        Condition?: unknown;
      }[]) {
        expect(st.Effect).toBe("Allow");
        // Only its PutItem is conditioned: on the canary keys' partition prefix.
        if ([st.Action].flat().includes("dynamodb:PutItem")) {
          expect(st.Action).toBe("dynamodb:PutItem");
          expect(st.Condition).toEqual({
            "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["CANARYKEY#*"] },
          });
        } else {
          expect(st.Condition).toBeUndefined();
        }
        for (const action of [st.Action].flat()) {
          grants[action] = [...(grants[action] ?? []), ...[st.Resource].flat()];
        }
      }
    }
    const logGroup = getAtt(logicalId(on.stack.canary?.canaryFunction.logGroup as IConstruct));
    expect(grants).toEqual({
      "logs:CreateLogStream": [logGroup],
      "logs:PutLogEvents": [logGroup],
      "xray:PutTraceSegments": ["*"],
      "xray:PutTelemetryRecords": ["*"],
      "dynamodb:PutItem": [getAtt(logicalId(on.stack.storage.keysTable))],
      "apigateway:GET": [
        {
          "Fn::Join": [
            "",
            [
              "arn:",
              { Ref: "AWS::Partition" },
              ":apigateway:",
              { Ref: "AWS::Region" },
              "::/apikeys/",
              { Ref: usageKeyId },
            ],
          ],
        },
      ],
    });
    // Nothing else touches the role: no managed or inline policies.
    const role = on.template.findResources("AWS::IAM::Role")[roleId]?.Properties;
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.Policies).toBeUndefined();
  });

  it("gives the canary tenant its own usage plan key in the tenants' plan", () => {
    on.template.resourceCountIs("AWS::ApiGateway::ApiKey", 1);
    on.template.hasResourceProperties("AWS::ApiGateway::ApiKey", {
      Enabled: true,
      Description: Match.stringLikeRegexp(CANARY.tenantId),
      Name: Match.absent(),
      Value: Match.absent(),
    });
    on.template.hasResourceProperties("AWS::ApiGateway::UsagePlanKey", {
      KeyId: { Ref: usageKeyId },
      KeyType: "API_KEY",
      UsagePlanId: { Ref: logicalId(on.stack.api.usagePlan) },
    });
  });

  it("lets TTL purge the canary's expired keys (purgeAt)", () => {
    const keys =
      on.template.findResources("AWS::DynamoDB::Table")[logicalId(on.stack.storage.keysTable)];
    expect(keys?.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: KEYS_TABLE.ttlAttribute,
      Enabled: true,
    });
  });

  it("alarms when the canary fails or does not report, two runs in a row", () => {
    on.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: OBSERVABILITY.metricsNamespace,
      MetricName: METRIC.canarySuccess,
      Dimensions: serviceDimension,
      Statistic: "Minimum",
      Period: 300,
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      EvaluationPeriods: CANARY_ALARM_PERIODS,
      TreatMissingData: "breaching",
      AlarmActions: [topicRef],
      OKActions: [topicRef],
      AlarmDescription: Match.stringLikeRegexp(`README#${RUNBOOK.canary}$`),
    });
  });

  it("alarms when the canary's latency is above alarmCanaryLatencyMs, two runs in a row", () => {
    on.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: OBSERVABILITY.metricsNamespace,
      MetricName: METRIC.canaryLatency,
      Dimensions: serviceDimension,
      Statistic: "Maximum",
      Period: 300,
      Threshold: settings.alarmCanaryLatencyMs,
      ComparisonOperator: "GreaterThanThreshold",
      EvaluationPeriods: CANARY_ALARM_PERIODS,
      // A run that fails reports no latency: the failure alarm covers it.
      TreatMissingData: "notBreaching",
      AlarmActions: [topicRef],
      AlarmDescription: Match.stringLikeRegexp(`README#${RUNBOOK.canary}$`),
    });
  });

  it("watches the canary function's errors and throttles like every function's", () => {
    for (const metric of ["Errors", "Throttles"]) {
      on.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: "AWS/Lambda",
        MetricName: metric,
        Dimensions: [{ Name: "FunctionName", Value: { Ref: fnId } }],
        AlarmActions: [topicRef],
      });
    }
  });

  it("adds a dashboard row with the canary's success and latency", () => {
    const dashboards = Object.values(on.template.findResources("AWS::CloudWatch::Dashboard"));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    expect(body).toContain(METRIC.canarySuccess);
    expect(body).toContain(METRIC.canaryLatency);
    expect(body).toContain("Synthetic canary");
  });

  it("outputs the canary function's name (for a run on demand)", () => {
    on.template.hasOutput("CanaryFunctionName", { Value: { Ref: fnId } });
  });

  it("bundles the canary handler like the others (CommonJS, source map)", () => {
    const assembly = on.app.synth();
    const props = on.template.findResources("AWS::Lambda::Function")[fnId]?.Properties;
    const dir = join(assembly.directory, `asset.${String(props.Code.S3Key).replace(/\.zip$/, "")}`);
    const code = readFileSync(join(dir, "index.js"), "utf8");
    expect(code).not.toMatch(/^import /m);
    expect(existsSync(join(dir, "index.js.map"))).toBe(true);
    expect(code).toContain("GetApiKey");
  });

  it("keeps cdk-nag clean, with no acknowledgement beyond the stack's known ones", () => {
    expect(nagFindings(on.app)).toEqual([]);
    const acknowledged = new Set<string>();
    for (const c of on.app.node.findAll()) {
      for (const entry of c.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const id of Object.keys(entry.data as Record<string, string>)) {
          acknowledged.add(id.replace(/^annotation::/i, ""));
        }
      }
    }
    expect([...acknowledged].sort()).toEqual([
      "AwsSolutions-APIG2",
      "AwsSolutions-APIG3",
      "AwsSolutions-APIG6",
      "AwsSolutions-COG4",
      "AwsSolutions-IAM5[Resource::*]",
      // History's (see test/cdk/stack.test.ts): archive prefixes; the access-log bucket below.
      ...["events/*", "exports/*", "staging/*"].map(
        (p) =>
          `AwsSolutions-IAM5[Resource::<${logicalId(on.stack.storage.archiveBucket)}.Arn>/${p}]`,
      ),
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/eventflow-dest-*]",
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:eventflow-dest-*]",
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:eventflow-dest-*]",
      "AwsSolutions-S1",
      "AwsSolutions-SMG4",
      "AwsSolutions-SQS3",
      "CloudFormation-Validate::W3045",
    ]);
  });
});

describe("canary settings", () => {
  it("follow the interval, deadline and threshold given", () => {
    const { stack, template } = synth({
      canaryIntervalMinutes: 1,
      canaryDeadlineSeconds: 20,
      alarmCanaryLatencyMs: 3000,
    });
    const fnId = logicalId(stack.canary?.canaryFunction.function as IConstruct);
    template.hasResourceProperties("AWS::Events::Rule", { ScheduleExpression: "rate(1 minute)" });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Timeout: 20 + 15,
      Environment: { Variables: Match.objectLike({ [ENV.canaryDeadlineSeconds]: "20" }) },
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: METRIC.canaryLatency,
      Period: 60,
      Threshold: 3000,
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: METRIC.canarySuccess,
      Period: 60,
    });
    expect(fnId).toBeTruthy();
  });

  it("refuse a deadline as long as the interval, or a latency threshold beyond the deadline", () => {
    expect(() => synth({ canaryIntervalMinutes: 1, canaryDeadlineSeconds: 60 })).toThrow(
      /canaryDeadlineSeconds must be shorter than canaryIntervalMinutes/,
    );
    expect(() =>
      synth({ canaryIntervalMinutes: 5, canaryDeadlineSeconds: 10, alarmCanaryLatencyMs: 10_000 }),
    ).toThrow(/alarmCanaryLatencyMs must be below canaryDeadlineSeconds/);
    expect(() => resolveSettings({ canaryIntervalMinutes: 61 })).toThrow(SettingsError);
    expect(() => resolveSettings({ canaryIntervalMinutes: -1 })).toThrow(SettingsError);
    // Off, the canary's other settings are not checked against each other.
    expect(resolveSettings({ canaryDeadlineSeconds: 600 }).canaryIntervalMinutes).toBe(0);
  });
});

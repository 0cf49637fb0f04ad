/**
 * Windows and patterns in the synthesized template: the windows function behind every
 * /v1/aggregations and /v1/patterns route, the sweep on a one-minute EventBridge schedule
 * asking for 60 / windowSweepSeconds passes, least-privilege access to the configuration
 * table (process/dlq read, windows manage, sweep scan), the sweep allowed to send to the
 * events queue (and nobody new otherwise), and the sweep alarms.
 */
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveSettings } from "../../lib/config.js";
import { ENV } from "../../lib/contracts/environment.js";
import { type FunctionName, ROUTES, sweepTimeoutSeconds } from "../../lib/contracts/functions.js";
import { createEventFlowStack, type EventFlowStack } from "../../lib/eventflow-stack.js";
import { logicalId } from "../support/cdk.js";

const SETTINGS = resolveSettings({ windowSweepSeconds: 5 });

let stack: EventFlowStack;
let template: Template;

beforeAll(() => {
  const app = new App({
    context: { "aws:cdk:bundling-stacks": [], "eventflow:windowSweepSeconds": "5" },
  });
  stack = createEventFlowStack(app);
  template = Template.fromStack(stack);
}, 120_000);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function actionsOn(name: FunctionName, tableLogicalId: string): string[] {
  const roleId = logicalId(stack.functions[name].role);
  const policies = template.findResources("AWS::IAM::Policy", {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  });
  return Object.values(policies).flatMap((p) =>
    (p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => JSON.stringify(s.Resource).includes(tableLogicalId))
      .flatMap((s) => [s.Action].flat()),
  );
}

describe("windows and patterns in the stack", () => {
  it("routes every /v1/aggregations and /v1/patterns operation to the windows function", () => {
    const routes = ROUTES.filter(
      (r) => r.path.startsWith("/v1/aggregations") || r.path.startsWith("/v1/patterns"),
    );
    expect(routes).toHaveLength(9);
    expect(new Set(routes.map((r) => r.function))).toEqual(new Set(["windows"]));
    // Declaring changes what every event costs: admin; reading results: events:read.
    for (const r of routes) expect(r.scope).toBe(r.method === "GET" ? "events:read" : "admin");
  });

  it("schedules the sweep every minute with 60 / windowSweepSeconds passes, within its timeout", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 minute)",
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [logicalId(stack.functions.sweep.function), "Arn"] },
          Input: JSON.stringify({ passes: 12 }),
        }),
      ],
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: "EventFlow sweep",
      Timeout: sweepTimeoutSeconds(SETTINGS),
      Environment: {
        Variables: Match.objectLike({
          [ENV.windowSweepSeconds]: "5",
          [ENV.windowShards]: String(SETTINGS.windowShards),
          [ENV.windowFenceSeconds]: String(SETTINGS.windowFenceSeconds),
        }),
      },
    });
    expect(sweepTimeoutSeconds(SETTINGS)).toBeGreaterThan(60);
  });

  it("grants the configuration table by need: process/dlq Query, windows manage, sweep scan, schema lookups", () => {
    const config = logicalId(stack.storage.configTable);
    const sorted = (a: string[]) => [...new Set(a)].sort();
    expect(sorted(actionsOn("process", config))).toEqual(["dynamodb:Query"]);
    expect(sorted(actionsOn("dlq", config))).toEqual(["dynamodb:Query"]);
    expect(sorted(actionsOn("windows", config))).toEqual([
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
    ]);
    expect(sorted(actionsOn("sweep", config))).toEqual(["dynamodb:GetItem", "dynamodb:Scan"]);
    // The schema registry's lookups (ingest and replay read a type's latest version, the
    // query function lists schemas for the typed OpenAPI document); the authorizer never.
    expect(sorted(actionsOn("ingest", config))).toEqual(["dynamodb:GetItem"]);
    expect(sorted(actionsOn("replay", config))).toEqual(["dynamodb:GetItem"]);
    expect(sorted(actionsOn("query", config))).toEqual(["dynamodb:Query"]);
    expect(actionsOn("authorizer", config)).toEqual([]);
  });

  it("lets the sweep (and only ingest, replay, the sweep and history's jobs) send to the events queue", () => {
    const queue = template.findResources("AWS::SQS::QueuePolicy");
    const deny = Object.values(queue)
      .flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Sid?: string; Condition?: unknown }[],
      )
      .find((s) => s.Sid === "OnlyPipelineProducersSend");
    const allowed = JSON.stringify(deny?.Condition);
    for (const name of ["ingest", "replay", "sweep", "jobs"] as const) {
      expect(allowed).toContain(logicalId(stack.functions[name].role));
    }
    expect(allowed).not.toContain(logicalId(stack.functions.windows.role));
  });

  it("alarms on failed sweeps and on late derived events", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "SweepFailed",
      Threshold: 0,
      AlarmDescription: Match.stringLikeRegexp("README#runbook-sweep"),
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "DerivedEventLag",
      Threshold: SETTINGS.alarmWindowLagSeconds * 1000,
    });
  });
});

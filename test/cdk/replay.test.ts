/**
 * The replay function in the synthesized template: its route, least-privilege role (Query
 * on the failed index only, GetItem/UpdateItem on the table, SendMessage on the main
 * queue; never PutItem or DeleteItem), its environment, sizing and alarms.
 */
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveSettings } from "../../lib/config.js";
import { ENV } from "../../lib/contracts/environment.js";
import { functionSizing, ROUTES } from "../../lib/contracts/functions.js";
import { TABLE } from "../../lib/contracts/tables.js";
import { createEventFlowStack, type EventFlowStack } from "../../lib/eventflow-stack.js";
import { getAtt, logicalId } from "../support/cdk.js";

const DEFAULTS = resolveSettings({});

let stack: EventFlowStack;
let template: Template;

beforeAll(() => {
  // No bundling: this file asserts infrastructure, stack.test.ts bundles every handler.
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  stack = createEventFlowStack(app);
  template = Template.fromStack(stack);
}, 120_000);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function replayStatements(): { actions: string[]; resource: unknown }[] {
  const roleId = logicalId(stack.functions.replay.role);
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

/** API Gateway path of a resource id, rebuilt from ParentId/PathPart. */
function pathOf(id: string): string {
  const resources = template.findResources("AWS::ApiGateway::Resource");
  const props = resources[id]?.Properties;
  if (!props) return "";
  const parent = props.ParentId.Ref as string | undefined;
  return `${parent ? pathOf(parent) : ""}/${props.PathPart}`;
}

function method(httpMethod: string, path: string) {
  const methods = Object.values(
    template.findResources("AWS::ApiGateway::Method", { Properties: { HttpMethod: httpMethod } }),
  ).filter((m) => pathOf(m.Properties.ResourceId.Ref) === path);
  expect(methods, `${httpMethod} ${path}`).toHaveLength(1);
  return methods[0]?.Properties;
}

describe("replay function", () => {
  it("serves POST /v1/failed/replay; GET /v1/failed is the query function's", () => {
    expect(ROUTES).toContainEqual({
      method: "POST",
      path: "/v1/failed/replay",
      function: "replay",
      scope: "admin",
    });
    expect(ROUTES).toContainEqual({
      method: "GET",
      path: "/v1/failed",
      function: "query",
      scope: "events:read",
    });
    const replayId = logicalId(stack.functions.replay.function);
    const post = method("POST", "/v1/failed/replay");
    expect(post.Integration).toMatchObject({ Type: "AWS_PROXY", IntegrationHttpMethod: "POST" });
    expect(JSON.stringify(post.Integration.Uri)).toContain(JSON.stringify(getAtt(replayId)));
    const get = method("GET", "/v1/failed");
    expect(JSON.stringify(get.Integration.Uri)).toContain(
      JSON.stringify(getAtt(logicalId(stack.functions.query.function))),
    );
    // API Gateway may invoke replay through that one method only.
    const permissions = template.findResources("AWS::Lambda::Permission", {
      Properties: { FunctionName: getAtt(replayId) },
    });
    expect(Object.keys(permissions)).toHaveLength(1);
  });

  it("may Query the failed index, Get/Update items, read schemas and send to the queue: nothing more", () => {
    const st = replayStatements();
    const tableId = logicalId(stack.storage.table);
    const on = (service: string) =>
      st
        .filter((s) => s.actions.some((a) => a.startsWith(`${service}:`)))
        .map((s) => ({ actions: [...s.actions].sort(), resource: s.resource }));
    expect(on("dynamodb")).toEqual([
      { actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resource: getAtt(tableId) },
      {
        actions: ["dynamodb:Query"],
        resource: { "Fn::Join": ["", [getAtt(tableId), `/index/${TABLE.failedIndex.name}`]] },
      },
      // A replayed event is validated again: GetItem of its type's schema item.
      { actions: ["dynamodb:GetItem"], resource: getAtt(logicalId(stack.storage.configTable)) },
    ]);
    expect(on("sqs")).toEqual([
      { actions: ["sqs:SendMessage"], resource: getAtt(logicalId(stack.storage.queue)) },
    ]);
    const all = st.flatMap((s) => s.actions);
    for (const forbidden of [
      "dynamodb:PutItem",
      "dynamodb:DeleteItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:BatchGetItem",
      "dynamodb:Scan",
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
    ]) {
      expect(all).not.toContain(forbidden);
    }
    // Only its logs, X-Ray and the cursors' key besides.
    const services = new Set(all.map((a) => a.split(":")[0]));
    expect([...services].sort()).toEqual(["dynamodb", "logs", "secretsmanager", "sqs", "xray"]);
    expect(on("secretsmanager")).toEqual([
      {
        actions: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
        resource: { Ref: logicalId(stack.storage.cursorKey) },
      },
    ]);
  });

  it("gets the table and the queue, not the DLQ, and the query function's sizing", () => {
    const props =
      template.findResources("AWS::Lambda::Function")[logicalId(stack.functions.replay.function)]
        ?.Properties;
    const vars = props?.Environment.Variables as Record<string, unknown>;
    expect(vars[ENV.tableName]).toEqual({ Ref: logicalId(stack.storage.table) });
    expect(vars[ENV.queueUrl]).toEqual({ Ref: logicalId(stack.storage.queue) });
    expect(vars).not.toHaveProperty(ENV.dlqUrl);
    const sizing = functionSizing("replay", DEFAULTS);
    expect(props).toMatchObject({
      MemorySize: sizing.memoryMb,
      Timeout: sizing.timeoutSeconds,
      Runtime: "nodejs24.x",
      TracingConfig: { Mode: "Active" },
    });
    expect(sizing.timeoutSeconds).toBeLessThanOrEqual(29);
  });

  it("alarms on its errors and throttles like every function", () => {
    const fnRef = { Ref: logicalId(stack.functions.replay.function) };
    for (const metric of ["Errors", "Throttles"]) {
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: "AWS/Lambda",
        MetricName: metric,
        Dimensions: [{ Name: "FunctionName", Value: fnRef }],
        Threshold: 0,
        AlarmActions: [{ Ref: logicalId(stack.monitoring.alarmTopic) }],
      });
    }
  });
});

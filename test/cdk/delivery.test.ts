/**
 * Destinations and delivery in the synthesized template: the deliveries log, the delivery
 * queues (standard and high-throughput FIFO, redrive, visibility, retention beyond the retry
 * schedule), the deliver function's event sources and least-privilege role, who may send
 * deliveries, the destinations API's role, the alarms, and the loopback setting refused.
 */
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  DELIVERY_MAX_RECEIVE_COUNT,
  deliveryQueueRetentionDays,
  deliveryVisibilityTimeoutSeconds,
  resolveSettings,
} from "../../lib/config.js";
import type { FunctionName } from "../../lib/contracts/functions.js";
import { DELIVERIES_TABLE } from "../../lib/contracts/tables.js";
import { createEventFlowStack, type EventFlowStack } from "../../lib/eventflow-stack.js";
import { getAtt, logicalId } from "../support/cdk.js";

const DEFAULTS = resolveSettings({});
let stack: EventFlowStack;
let template: Template;

beforeAll(() => {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  stack = createEventFlowStack(app);
  template = Template.fromStack(stack);
}, 120_000);

function statements(name: FunctionName): { actions: string[]; resource: unknown }[] {
  const roleId = logicalId(stack.functions[name].role);
  const policies = template.findResources("AWS::IAM::Policy", {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  });
  return Object.values(policies).flatMap((p) =>
    (
      p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]
    ).map((s) => ({ actions: [s.Action].flat(), resource: s.Resource })),
  );
}

describe("delivery storage", () => {
  it("logs deliveries in their own table: TTL, three indexes (time, destination, event)", () => {
    const table = template.toJSON().Resources[logicalId(stack.storage.deliveriesTable)];
    expect(table.Properties).toMatchObject({
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: DELIVERIES_TABLE.partitionKey, KeyType: "HASH" }],
      TimeToLiveSpecification: { AttributeName: DELIVERIES_TABLE.ttlAttribute, Enabled: true },
    });
    const names = table.Properties.GlobalSecondaryIndexes.map(
      (i: { IndexName: string }) => i.IndexName,
    );
    expect(names.sort()).toEqual(["byDestination", "byEvent", "byTime"]);
  });

  it("projects into the log's indexes only what lists filter on, never the attempts or the message", () => {
    const table = template.toJSON().Resources[logicalId(stack.storage.deliveriesTable)];
    const indexes = table.Properties.GlobalSecondaryIndexes as {
      IndexName: string;
      Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
    }[];
    for (const spec of [
      DELIVERIES_TABLE.byTimeIndex,
      DELIVERIES_TABLE.byDestinationIndex,
      DELIVERIES_TABLE.byEventIndex,
    ]) {
      const index = indexes.find((i) => i.IndexName === spec.name);
      expect(index?.Projection, spec.name).toEqual({
        ProjectionType: "INCLUDE",
        NonKeyAttributes: [...spec.projection.attributes],
      });
      expect(index?.Projection.NonKeyAttributes).toContain("status");
      expect(index?.Projection.NonKeyAttributes).not.toContain("attempts");
      expect(index?.Projection.NonKeyAttributes).not.toContain("message");
    }
  });

  it("queues deliveries on a standard and a high-throughput FIFO queue, redriven after many receives", () => {
    const queues = template.toJSON().Resources;
    const standard = queues[logicalId(stack.storage.deliveryQueue)].Properties;
    const fifo = queues[logicalId(stack.storage.deliveryFifoQueue)].Properties;
    for (const q of [standard, fifo]) {
      expect(q.VisibilityTimeout).toBe(deliveryVisibilityTimeoutSeconds(DEFAULTS));
      expect(q.MessageRetentionPeriod).toBe(deliveryQueueRetentionDays(DEFAULTS) * 86_400);
      expect(q.RedrivePolicy.maxReceiveCount).toBe(DELIVERY_MAX_RECEIVE_COUNT);
      expect(q.SqsManagedSseEnabled).toBe(true);
    }
    expect(standard.RedrivePolicy.deadLetterTargetArn).toEqual(
      getAtt(logicalId(stack.storage.deliveryDeadLetterQueue)),
    );
    expect(fifo).toMatchObject({
      FifoQueue: true,
      DeduplicationScope: "messageGroup",
      FifoThroughputLimit: "perMessageGroupId",
    });
    // The default schedule spans ~28 h: the queues keep a message longer than that.
    expect(deliveryQueueRetentionDays(DEFAULTS) * 86_400).toBeGreaterThan(1.2 * 27.6 * 3600);
  });

  it("lets only the process (route), destinations (retry, replay) and jobs (history replay) functions send deliveries", () => {
    const roleArn = (name: FunctionName) =>
      getAtt(logicalId(stack.functions[name].role as unknown as IConstruct));
    for (const queue of [stack.storage.deliveryQueue, stack.storage.deliveryFifoQueue]) {
      template.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [{ Ref: logicalId(queue) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: "OnlyDeliveryProducersSend",
              Effect: "Deny",
              Condition: {
                ArnNotEquals: {
                  "aws:PrincipalArn": [
                    roleArn("process"),
                    roleArn("destinations"),
                    roleArn("jobs"),
                  ],
                },
              },
            }),
          ]),
        },
      });
    }
  });
});

describe("the deliver function", () => {
  it("consumes both delivery queues with partial batch responses and its own concurrency", () => {
    for (const queue of [stack.storage.deliveryQueue, stack.storage.deliveryFifoQueue]) {
      template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        EventSourceArn: getAtt(logicalId(queue)),
        FunctionName: { Ref: logicalId(stack.functions.deliver.function) },
        BatchSize: DEFAULTS.deliverBatchSize,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: DEFAULTS.deliverMaxConcurrency },
      });
    }
  });

  it("may read and update destinations, write the log, and send only to prefixed targets", () => {
    const st = statements("deliver");
    const on = (action: string) =>
      st.filter((s) => s.actions.includes(action)).map((s) => s.resource);
    expect(on("dynamodb:PutItem")).toEqual([]);
    expect(on("dynamodb:DeleteItem")).toEqual([]);
    expect(on("dynamodb:Query")).toEqual([]);
    expect(on("dynamodb:UpdateItem")).toEqual(
      expect.arrayContaining([
        getAtt(logicalId(stack.storage.configTable)),
        getAtt(logicalId(stack.storage.deliveriesTable)),
      ]),
    );
    expect(JSON.stringify(on("sns:Publish"))).toContain(":eventflow-dest-*");
    expect(JSON.stringify(on("events:PutEvents"))).toContain("event-bus/eventflow-dest-*");
    const sends = JSON.stringify(on("sqs:SendMessage"));
    expect(sends).toContain(":eventflow-dest-*");
    expect(sends).toContain(logicalId(stack.storage.deliveryDeadLetterQueue));
    // No SES grant without deliveryEmailFrom.
    expect(on("ses:SendEmail")).toEqual([]);
  });
});

describe("the destinations API", () => {
  it("manages destination items and reads the log, never deletes log items", () => {
    const st = statements("destinations");
    const on = (action: string) =>
      st.filter((s) => s.actions.includes(action)).map((s) => s.resource);
    expect(on("dynamodb:DeleteItem")).toEqual([getAtt(logicalId(stack.storage.configTable))]);
    expect(JSON.stringify(on("dynamodb:Query"))).toContain("/index/byDestination");
    // A list's page is read from the table (the indexes hold keys and status).
    expect(on("dynamodb:BatchGetItem")).toContainEqual(
      getAtt(logicalId(stack.storage.deliveriesTable)),
    );
  });
});

describe("alarms and settings", () => {
  it("alarms on the delivery DLQ, failed deliveries and disabled destinations", () => {
    for (const metric of ["DeliveriesFailed", "DestinationsDisabled"]) {
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        MetricName: metric,
        AlarmDescription: Match.stringLikeRegexp("README#runbook-"),
      });
    }
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [
        {
          Name: "QueueName",
          Value: getAtt(logicalId(stack.storage.deliveryDeadLetterQueue), "QueueName"),
        },
      ],
    });
  });

  it("refuses deliveryAllowLoopback on a deployed stack", () => {
    const app = new App({
      context: { "aws:cdk:bundling-stacks": [], "eventflow:deliveryAllowLoopback": "true" },
    });
    expect(() => createEventFlowStack(app)).toThrow(/local runtime only/);
  });

  it("grants SES from the one identity when deliveryEmailFrom is set", () => {
    const app = new App({
      context: {
        "aws:cdk:bundling-stacks": [],
        "eventflow:deliveryEmailFrom": "events@example.com",
      },
    });
    const s = createEventFlowStack(app);
    const t = Template.fromStack(s);
    const policies = JSON.stringify(t.findResources("AWS::IAM::Policy"));
    expect(policies).toContain("ses:SendEmail");
    expect(policies).toContain("identity/events@example.com");
  });
});

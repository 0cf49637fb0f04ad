/**
 * The events table's capacity settings (issue 20, cost): provisioned capacity with
 * target-tracking autoscaling on the table and every index, and the lean profile's
 * timeShards 0, which deploys no byTime index (and grants none).
 */
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { CONTEXT_PREFIX } from "../../lib/config.js";
import { AUTOSCALING_TARGET_PERCENT } from "../../lib/constructs/storage.js";
import { TABLE } from "../../lib/contracts/tables.js";
import { createEventFlowStack } from "../../lib/eventflow-stack.js";

function synth(settings: Record<string, unknown>) {
  const context: Record<string, unknown> = { "aws:cdk:bundling-stacks": [] };
  for (const [key, value] of Object.entries(settings)) context[`${CONTEXT_PREFIX}${key}`] = value;
  const stack = createEventFlowStack(new App({ context }), {});
  return { stack, template: Template.fromStack(stack) };
}

describe("events table capacity", () => {
  it("provisioned: autoscaling at 70% on the table and each index, reads and writes", () => {
    const { stack, template } = synth({
      eventsTableCapacity: "provisioned",
      eventsTableMinWriteCapacity: 10,
      eventsTableMaxWriteCapacity: 2000,
    });
    const tableId = stack.getLogicalId(
      stack.storage.table.node.defaultChild as unknown as import("aws-cdk-lib").CfnElement,
    );
    const events = template.toJSON().Resources[tableId];
    // CloudFormation: no BillingMode means PROVISIONED.
    expect(events.Properties.BillingMode ?? "PROVISIONED").toBe("PROVISIONED");
    expect(events.Properties.ProvisionedThroughput).toEqual({
      ReadCapacityUnits: 5,
      WriteCapacityUnits: 10,
    });
    const indexes = events.Properties.GlobalSecondaryIndexes as { IndexName: string }[];
    expect(indexes.map((i) => i.IndexName).sort()).toEqual(
      [TABLE.byTimeIndex.name, TABLE.byTypeIndex.name, TABLE.failedIndex.name].sort(),
    );
    // Table + 3 indexes, reads and writes.
    template.resourceCountIs("AWS::ApplicationAutoScaling::ScalableTarget", 8);
    template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", {
      ScalableDimension: "dynamodb:index:WriteCapacityUnits",
      MinCapacity: 10,
      MaxCapacity: 2000,
    });
    template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: AUTOSCALING_TARGET_PERCENT,
        PredefinedMetricSpecification: {
          PredefinedMetricType: "DynamoDBWriteCapacityUtilization",
        },
      },
    });
  });

  it("on demand by default, no autoscaling", () => {
    const { template } = synth({});
    template.resourceCountIs("AWS::ApplicationAutoScaling::ScalableTarget", 0);
  });

  it("timeShards 0 (lean): no byTime index, and no function is granted one", () => {
    const { stack, template } = synth({ timeShards: 0 });
    const tableId = stack.getLogicalId(
      stack.storage.table.node.defaultChild as unknown as import("aws-cdk-lib").CfnElement,
    );
    const indexes = template.toJSON().Resources[tableId].Properties.GlobalSecondaryIndexes as {
      IndexName: string;
    }[];
    expect(indexes.map((i) => i.IndexName).sort()).toEqual(
      [TABLE.byTypeIndex.name, TABLE.failedIndex.name].sort(),
    );
    // The events table's byTime index (the deliveries table has one of the same name).
    expect(JSON.stringify(template.toJSON())).not.toContain(
      `"${tableId}","Arn"]},"/index/${TABLE.byTimeIndex.name}"`,
    );
    expect(JSON.stringify(synth({}).template.toJSON())).toContain(
      `"${tableId}","Arn"]},"/index/${TABLE.byTimeIndex.name}"`,
    );
  });
});

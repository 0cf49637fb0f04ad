/**
 * The stateful half of the platform: the events table, the API keys table, the work
 * queue and its dead-letter queue. Stateless constructs receive these as typed props.
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
} from "aws-cdk-lib/aws-dynamodb";
import { AnyPrincipal, Effect, type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import {
  dlqVisibilityTimeoutSeconds,
  type EventFlowSettings,
  queueVisibilityTimeoutSeconds,
} from "../config.js";
import { KEYS_TABLE, TABLE } from "../contracts/tables.js";

export interface EventStorageProps {
  settings: EventFlowSettings;
}

export class EventStorage extends Construct {
  public readonly table: Table;
  /** API keys (hashes only) and each tenant's usage plan key: see KEYS_TABLE. */
  public readonly keysTable: Table;
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  /** Names of the table's global secondary indexes (for grants on each index). */
  public readonly indexNames: readonly string[] = [
    TABLE.byTypeIndex.name,
    TABLE.failedIndex.name,
    TABLE.byTimeIndex.name,
  ];

  constructor(scope: Construct, id: string, props: EventStorageProps) {
    super(scope, id);
    const { settings } = props;

    this.table = new Table(this, "Table", {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE.ttlAttribute,
      removalPolicy: settings.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: settings.retainData,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE.byTypeIndex.name,
      partitionKey: { name: TABLE.byTypeIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.byTypeIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...TABLE.byTypeIndex.projection.attributes],
    });
    // Sparse: only failed events carry gsi2 keys, so the index holds just them, in full.
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE.failedIndex.name,
      partitionKey: { name: TABLE.failedIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.failedIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE.byTimeIndex.name,
      partitionKey: { name: TABLE.byTimeIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.byTimeIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...TABLE.byTimeIndex.projection.attributes],
    });

    // Apart from the events: the authorizer may GetItem here and touch no event, and the
    // event functions never see a key hash. Same durability settings as the events.
    this.keysTable = new Table(this, "KeysTable", {
      partitionKey: { name: KEYS_TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Only the canary's short-lived keys carry purgeAt: TTL deletes them a day after they
      // expire. Every other key item stays until an operator removes it.
      ...(settings.canaryIntervalMinutes > 0
        ? { timeToLiveAttribute: KEYS_TABLE.ttlAttribute }
        : {}),
      removalPolicy: settings.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: settings.retainData,
    });
    this.keysTable.addGlobalSecondaryIndex({
      indexName: KEYS_TABLE.byTenantIndex.name,
      partitionKey: { name: KEYS_TABLE.byTenantIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: KEYS_TABLE.byTenantIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    // SSE-SQS: encrypted at rest with no KMS key to grant, pay for or rotate.
    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(settings.dlqRetentionDays),
      visibilityTimeout: Duration.seconds(dlqVisibilityTimeoutSeconds(settings)),
    });
    this.queue = new Queue(this, "Queue", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(settings.queueRetentionDays),
      visibilityTimeout: Duration.seconds(queueVisibilityTimeoutSeconds(settings)),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
    });
  }

  /**
   * Only these roles (ingest and replay) may send to the events queue: the process
   * function trusts the tenantId in a message, so any other sender could write events
   * into any tenant. A resource-policy Deny holds whatever identity policies grant
   * (an administrator's included); SendMessageBatch is authorized as sqs:SendMessage.
   */
  public restrictQueueSenders(roles: readonly IRole[]): void {
    this.queue.addToResourcePolicy(
      new PolicyStatement({
        sid: "OnlyIngestAndReplaySend",
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ["sqs:SendMessage"],
        resources: [this.queue.queueArn],
        conditions: { ArnNotEquals: { "aws:PrincipalArn": roles.map((r) => r.roleArn) } },
      }),
    );
  }
}

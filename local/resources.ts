/**
 * Creates (or updates) the queue, the DLQ and the table with the same settings as the
 * CDK stack, read from lib/config.ts. Idempotent: reuses what exists, so it also
 * works against LocalStack or DynamoDB Local that already hold the resources.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import {
  DELIVERY_MAX_RECEIVE_COUNT,
  deliveryQueueRetentionDays,
  deliveryVisibilityTimeoutSeconds,
  dlqVisibilityTimeoutSeconds,
  type EventFlowSettings,
  jobsVisibilityTimeoutSeconds,
  queueVisibilityTimeoutSeconds,
} from "../lib/config.js";
import { LOCAL_DELIVERY_RESOURCES } from "../lib/contracts/delivery.js";
import { LOCAL_RUNTIME } from "../lib/contracts/local-runtime.js";
import { CONFIG_TABLE, DELIVERIES_TABLE, KEYS_TABLE, TABLE } from "../lib/contracts/tables.js";
import { LOCAL_CURSOR_SECRET_ID } from "./secrets.js";

export interface ResourceNames {
  tableName: string;
  queueName: string;
  dlqName: string;
  /** @default "eventflow-keys" */
  keysTableName?: string;
  /** @default "eventflow-config" */
  configTableName?: string;
  /** @default "eventflow-archive" */
  archiveBucketName?: string;
  /** @default "eventflow-history-jobs" (and its DLQ, `-dlq`) */
  jobsQueueName?: string;
  /** @default LOCAL_DELIVERY_RESOURCES (a test's own names keep its queues apart). */
  delivery?: {
    queueName: string;
    fifoQueueName: string;
    dlqName: string;
    tableName: string;
  };
}

export const DEFAULT_KEYS_TABLE_NAME = LOCAL_RUNTIME.keysTableName;
export const DEFAULT_CONFIG_TABLE_NAME = LOCAL_RUNTIME.configTableName;

export const DEFAULT_RESOURCE_NAMES: ResourceNames = {
  tableName: "eventflow-events",
  queueName: "eventflow-events",
  dlqName: "eventflow-events-dlq",
  keysTableName: DEFAULT_KEYS_TABLE_NAME,
  configTableName: DEFAULT_CONFIG_TABLE_NAME,
  archiveBucketName: LOCAL_RUNTIME.archiveBucketName,
  jobsQueueName: "eventflow-history-jobs",
};

export interface LocalResources {
  tableName: string;
  keysTableName: string;
  configTableName: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
  cursorSecretId: string;
  archiveBucketName: string;
  jobsQueueUrl: string;
  jobsQueueArn: string;
  jobsDlqUrl: string;
  jobsDlqArn: string;
  /** Where the embedded S3 keeps the archive bucket's objects (absent with an external S3). */
  archiveFileRoot?: string;
  deliveryQueueUrl: string;
  deliveryQueueArn: string;
  deliveryFifoQueueUrl: string;
  deliveryFifoQueueArn: string;
  deliveryDlqUrl: string;
  deliveryDlqArn: string;
  deliveriesTableName: string;
  destinationSecretId: string;
}

const DAY = 86_400;

export async function ensureResources(
  clients: { dynamodb: DynamoDBClient; sqs: SQSClient; s3?: S3Client },
  settings: EventFlowSettings,
  names: ResourceNames = DEFAULT_RESOURCE_NAMES,
  /** The embedded S3's object folder (see LocalResources.archiveFileRoot). */
  s3Dir?: string,
): Promise<LocalResources> {
  const dlq = await ensureQueue(clients.sqs, names.dlqName, {
    MessageRetentionPeriod: String(settings.dlqRetentionDays * DAY),
    VisibilityTimeout: String(dlqVisibilityTimeoutSeconds(settings)),
  });
  const queue = await ensureQueue(clients.sqs, names.queueName, {
    MessageRetentionPeriod: String(settings.queueRetentionDays * DAY),
    VisibilityTimeout: String(queueVisibilityTimeoutSeconds(settings)),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: settings.maxReceiveCount,
    }),
  });
  await ensureTable(clients.dynamodb, names.tableName);
  const keysTableName = names.keysTableName ?? DEFAULT_KEYS_TABLE_NAME;
  await ensureTable(clients.dynamodb, keysTableName, keysTableDefinition(keysTableName), false);
  const configTableName = names.configTableName ?? DEFAULT_CONFIG_TABLE_NAME;
  await ensureTable(
    clients.dynamodb,
    configTableName,
    configTableDefinition(configTableName),
    false,
  );
  const jobsQueueName = names.jobsQueueName ?? "eventflow-history-jobs";
  const jobsDlq = await ensureQueue(clients.sqs, `${jobsQueueName}-dlq`, {
    MessageRetentionPeriod: String(14 * DAY),
  });
  const jobsQueue = await ensureQueue(clients.sqs, jobsQueueName, {
    VisibilityTimeout: String(jobsVisibilityTimeoutSeconds(settings)),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: jobsDlq.arn, maxReceiveCount: 5 }),
  });
  const archiveBucketName = names.archiveBucketName ?? LOCAL_RUNTIME.archiveBucketName;
  if (clients.s3) await ensureBucket(clients.s3, archiveBucketName);
  const delivery = names.delivery ?? LOCAL_DELIVERY_RESOURCES;
  // The delivery queues, as the stack makes them (lib/constructs/storage.ts).
  const deliveryDlq = await ensureQueue(clients.sqs, delivery.dlqName, {
    MessageRetentionPeriod: String(14 * DAY),
  });
  const deliveryQueueAttributes = {
    MessageRetentionPeriod: String(deliveryQueueRetentionDays(settings) * DAY),
    VisibilityTimeout: String(deliveryVisibilityTimeoutSeconds(settings)),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deliveryDlq.arn,
      maxReceiveCount: DELIVERY_MAX_RECEIVE_COUNT,
    }),
  };
  const deliveryQueue = await ensureQueue(clients.sqs, delivery.queueName, deliveryQueueAttributes);
  const deliveryFifo = await ensureQueue(
    clients.sqs,
    delivery.fifoQueueName,
    deliveryQueueAttributes,
    { FifoQueue: "true" },
  );
  await ensureTable(
    clients.dynamodb,
    delivery.tableName,
    deliveriesTableDefinition(delivery.tableName),
  );
  return {
    archiveBucketName,
    jobsQueueUrl: jobsQueue.url,
    jobsQueueArn: jobsQueue.arn,
    jobsDlqUrl: jobsDlq.url,
    jobsDlqArn: jobsDlq.arn,
    ...(s3Dir ? { archiveFileRoot: `${s3Dir}/buckets/${archiveBucketName}/objects` } : {}),
    deliveryQueueUrl: deliveryQueue.url,
    deliveryQueueArn: deliveryQueue.arn,
    deliveryFifoQueueUrl: deliveryFifo.url,
    deliveryFifoQueueArn: deliveryFifo.arn,
    deliveryDlqUrl: deliveryDlq.url,
    deliveryDlqArn: deliveryDlq.arn,
    deliveriesTableName: delivery.tableName,
    destinationSecretId: LOCAL_DELIVERY_RESOURCES.secretId,
    tableName: names.tableName,
    keysTableName,
    configTableName,
    queueUrl: queue.url,
    queueArn: queue.arn,
    dlqUrl: dlq.url,
    dlqArn: dlq.arn,
    // The key itself is the runtime's (local/secrets.ts), handed to the functions as a secret.
    cursorSecretId: LOCAL_CURSOR_SECRET_ID,
  };
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
  /** Set at creation only (FifoQueue cannot change). */
  createOnly: Record<string, string> = {},
): Promise<{ url: string; arn: string }> {
  let url: string | undefined;
  try {
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (!(error instanceof QueueDoesNotExist)) throw error;
  }
  if (url) {
    // Keep an existing queue in line with the current settings.
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  } else {
    url = (
      await sqs.send(
        new CreateQueueCommand({ QueueName: name, Attributes: { ...createOnly, ...attributes } }),
      )
    ).QueueUrl;
  }
  if (!url) throw new Error(`SQS returned no URL for queue ${name}`);
  const described = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  const arn = described.Attributes?.QueueArn;
  if (!arn) throw new Error(`SQS returned no ARN for queue ${name}`);
  return { url, arn };
}

/** The table's key schema and indexes, derived from TABLE (the CDK stack reads the same). */
export function tableDefinition(tableName: string) {
  const attributeNames = new Set<string>([TABLE.partitionKey, TABLE.sortKey]);
  const indexes: GlobalSecondaryIndex[] = [
    TABLE.byTypeIndex,
    TABLE.failedIndex,
    TABLE.byTimeIndex,
  ].map((index) => {
    attributeNames.add(index.partitionKey);
    attributeNames.add(index.sortKey);
    return {
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: "HASH" },
        { AttributeName: index.sortKey, KeyType: "RANGE" },
      ],
      Projection:
        index.projection.type === "INCLUDE"
          ? { ProjectionType: "INCLUDE", NonKeyAttributes: [...index.projection.attributes] }
          : { ProjectionType: index.projection.type },
    };
  });
  const attributeDefinitions: AttributeDefinition[] = [...attributeNames].map((name) => ({
    AttributeName: name,
    AttributeType: "S",
  }));
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: attributeDefinitions,
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: "HASH" as const },
      { AttributeName: TABLE.sortKey, KeyType: "RANGE" as const },
    ],
    GlobalSecondaryIndexes: indexes,
  };
}

/** The API keys table, from KEYS_TABLE (the CDK stack reads the same). */
export function keysTableDefinition(tableName: string) {
  const index = KEYS_TABLE.byTenantIndex;
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: [KEYS_TABLE.partitionKey, index.partitionKey, index.sortKey].map(
      (name) => ({ AttributeName: name, AttributeType: "S" as const }),
    ),
    KeySchema: [{ AttributeName: KEYS_TABLE.partitionKey, KeyType: "HASH" as const }],
    GlobalSecondaryIndexes: [
      {
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: "HASH" as const },
          { AttributeName: index.sortKey, KeyType: "RANGE" as const },
        ],
        Projection: { ProjectionType: "ALL" as const },
      },
    ],
  };
}

/** The tenant configuration table, from CONFIG_TABLE (the CDK stack reads the same). */
export function configTableDefinition(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: [CONFIG_TABLE.partitionKey, CONFIG_TABLE.sortKey].map((name) => ({
      AttributeName: name,
      AttributeType: "S" as const,
    })),
    KeySchema: [
      { AttributeName: CONFIG_TABLE.partitionKey, KeyType: "HASH" as const },
      { AttributeName: CONFIG_TABLE.sortKey, KeyType: "RANGE" as const },
    ],
  };
}

/** The deliveries log, from DELIVERIES_TABLE (the CDK stack reads the same). */
export function deliveriesTableDefinition(tableName: string) {
  const t = DELIVERIES_TABLE;
  const indexes = [t.byTimeIndex, t.byDestinationIndex, t.byEventIndex];
  const names = new Set<string>([t.partitionKey]);
  for (const i of indexes) {
    names.add(i.partitionKey);
    names.add(i.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: [...names].map((name) => ({
      AttributeName: name,
      AttributeType: "S" as const,
    })),
    KeySchema: [{ AttributeName: t.partitionKey, KeyType: "HASH" as const }],
    GlobalSecondaryIndexes: indexes.map((i) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.partitionKey, KeyType: "HASH" as const },
        { AttributeName: i.sortKey, KeyType: "RANGE" as const },
      ],
      Projection: {
        ProjectionType: i.projection.type,
        NonKeyAttributes: [...i.projection.attributes],
      },
    })),
  };
}

async function ensureTable(
  dynamodb: DynamoDBClient,
  tableName: string,
  definition:
    | ReturnType<typeof tableDefinition>
    | ReturnType<typeof keysTableDefinition>
    | ReturnType<typeof configTableDefinition>
    | ReturnType<typeof deliveriesTableDefinition> = tableDefinition(tableName),
  /** Events expire (eventRetentionDays); keys and configuration do not. */
  ttl = true,
): Promise<void> {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await dynamodb.send(new CreateTableCommand(definition));
  for (let i = 0; i < 100; i++) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!ttl) return;
  // TTL: DynamoDB Local and AWS support it; dynalite does not (its gap, see README).
  try {
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } catch {
    // An emulator without TTL keeps every event: harmless locally.
  }
}

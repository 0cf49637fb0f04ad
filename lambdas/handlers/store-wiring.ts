/**
 * The events table's adapters as the functions build them from their environment record:
 * one place for the writer (process, dlq) and the reader (query, replay), so each function's
 * wiring names only what is its own.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ENV } from "../../lib/contracts/environment.js";
import {
  DynamoDbEventReader,
  type DynamoDbEventReaderOptions,
} from "../adapters/dynamodb-event-reader.js";
import { DynamoDbEventWriter } from "../adapters/dynamodb-event-writer.js";
import type { ShardCounts } from "../adapters/dynamodb-keys.js";
import {
  DynamoDbContributionStore,
  DynamoDbDeclarationStore,
} from "../adapters/dynamodb-window-store.js";
import type { SecretReader } from "../ports/secrets.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import { WindowApplier } from "../use-cases/apply-windows.js";

/** Writers and readers read the same shard counts (dynamodb-keys.ts: write sharding). */
const shardVars = {
  [ENV.timeShards]: envVars[ENV.timeShards],
  [ENV.typeShards]: envVars[ENV.typeShards],
  [ENV.statsShards]: envVars[ENV.statsShards],
  [ENV.failedShards]: envVars[ENV.failedShards],
};

const shardCounts = (config: {
  [ENV.timeShards]: number;
  [ENV.typeShards]: number;
  [ENV.statsShards]: number;
  [ENV.failedShards]: number;
}): ShardCounts => ({
  timeShards: config[ENV.timeShards],
  typeShards: config[ENV.typeShards],
  statsShards: config[ENV.statsShards],
  failedShards: config[ENV.failedShards],
});

export function eventWriterFrom(
  env: EnvRecord,
  documentClient: DynamoDBDocumentClient,
): DynamoDbEventWriter {
  const config = parseEnv(
    {
      [ENV.tableName]: envVars[ENV.tableName],
      [ENV.eventRetentionDays]: envVars[ENV.eventRetentionDays],
      ...shardVars,
    },
    env,
  );
  return new DynamoDbEventWriter(documentClient, {
    tableName: config[ENV.tableName],
    eventRetentionDays: config[ENV.eventRetentionDays],
    ...shardCounts(config),
  });
}

/** The reader, its page cursors signed with the key CURSOR_SECRET_ID names. */
export function eventReaderFrom(
  env: EnvRecord,
  clients: {
    dynamodb: DynamoDBClient;
    documentClient: DynamoDBDocumentClient;
    secrets: SecretReader;
  },
  budget: Pick<DynamoDbEventReaderOptions, "maxRounds" | "filteredReadSize" | "maxReadBytes"> = {},
): DynamoDbEventReader {
  const config = parseEnv(
    {
      [ENV.tableName]: envVars[ENV.tableName],
      ...shardVars,
      [ENV.cursorSecretId]: envVars[ENV.cursorSecretId],
    },
    env,
  );
  return new DynamoDbEventReader(clients.documentClient, clients.dynamodb, {
    tableName: config[ENV.tableName],
    ...shardCounts(config),
    cursorKey: () => clients.secrets.get(config[ENV.cursorSecretId]),
    ...budget,
  });
}

/** Declarations (config table) and contributions (events table) of windows and patterns. */
export function windowStoresFrom(env: EnvRecord, documentClient: DynamoDBDocumentClient) {
  const config = parseEnv(
    {
      [ENV.tableName]: envVars[ENV.tableName],
      [ENV.configTableName]: envVars[ENV.configTableName],
      [ENV.windowShards]: envVars[ENV.windowShards],
      [ENV.windowFenceSeconds]: envVars[ENV.windowFenceSeconds],
      [ENV.windowConfigCacheSeconds]: envVars[ENV.windowConfigCacheSeconds],
      [ENV.windowRetentionDays]: envVars[ENV.windowRetentionDays],
      [ENV.windowMaxReadItems]: envVars[ENV.windowMaxReadItems],
      [ENV.windowSweepSeconds]: envVars[ENV.windowSweepSeconds],
    },
    env,
  );
  return {
    declarations: new DynamoDbDeclarationStore(documentClient, config[ENV.configTableName]),
    contributions: new DynamoDbContributionStore(documentClient, {
      tableName: config[ENV.tableName],
      maxReadItems: config[ENV.windowMaxReadItems],
    }),
    shards: config[ENV.windowShards],
    fenceMs: config[ENV.windowFenceSeconds] * 1000,
    sweepSeconds: config[ENV.windowSweepSeconds],
    cacheSeconds: config[ENV.windowConfigCacheSeconds],
    retentionDays: config[ENV.windowRetentionDays],
  };
}

/** The process and dlq functions' step that writes each stored event's contributions. */
export function windowApplierFrom(
  env: EnvRecord,
  documentClient: DynamoDBDocumentClient,
  writer: DynamoDbEventWriter,
): WindowApplier {
  const stores = windowStoresFrom(env, documentClient);
  return new WindowApplier({
    declarations: stores.declarations,
    contributions: stores.contributions,
    cacheSeconds: stores.cacheSeconds,
    retentionDays: stores.retentionDays,
    storedReceivedAt: (tenantId, id) => writer.receivedAtOf(tenantId, id),
  });
}

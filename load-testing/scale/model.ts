/**
 * The scale model (`npm run scale`): drives the real key functions with a synthetic mix and
 * adds up, per partition key, the write and read units a second each table, index and
 * counter family takes, against DynamoDB's per-partition limits.
 *
 * What is real: every event item and its index keys come from the process function's own
 * DynamoDbEventWriter.toItem (lambdas/adapters/dynamodb-keys.ts layout, the settings' shard
 * counts); the statistics updates come from the real BatchTally + flushStats + addStats,
 * whose UpdateItem requests a recording client captures; sizes and write units follow
 * DynamoDB's rules (load-testing/bench/wru.ts, the bench's cost model). What is assumed (and
 * printed): how often lists and stats are read, function durations, the config cache.
 */
import { marshall } from "@aws-sdk/util-dynamodb";
import { unfilteredReadSize } from "../../lambdas/adapters/dynamodb-event-reader.js";
import { DynamoDbEventWriter } from "../../lambdas/adapters/dynamodb-event-writer.js";
import type { ShardCounts } from "../../lambdas/adapters/dynamodb-keys.js";
import type { StoredEvent } from "../../lambdas/domain/event.js";
import { DOCUMENT_CLIENT_OPTIONS } from "../../lambdas/shared/sdk-options.js";
import { BatchTally, flushStats } from "../../lambdas/use-cases/batch-tally.js";
import type { EventFlowSettings } from "../../lib/config.js";
import { TABLE } from "../../lib/contracts/tables.js";
import {
  EVENTFLOW_TABLE,
  type IndexLayout,
  indexEntry,
  itemSize,
  putItemCost,
  type WireItem,
  writeUnits,
} from "../bench/wru.js";
import { type Mix, sampler, seeded, tenantName, typeName, zipfWeights } from "./mix.js";

/** DynamoDB's per-partition limits (not raisable) and the share the design allows. */
export const PARTITION_LIMITS = { wcu: 1000, rcu: 3000, target: 0.7 } as const;

/** What the model cannot measure here: each is printed with the figures it affects. */
export interface Assumptions {
  /** Wall time of one ingest request (validate + SendMessageBatch) on AWS. */
  ingestMs: number;
  /** Wall time of one process invocation of processBatchSize events on AWS. */
  processMs: number;
  /** List pages (limit 100) a second on the hottest tenant, per list kind. */
  listPagesPerSecond: number;
  /** GET /v1/stats a second on the hottest tenant (24 hours each). */
  statsReadsPerSecond: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  ingestMs: 40,
  processMs: 60,
  listPagesPerSecond: 10,
  statsReadsPerSecond: 1,
};

/** The events table's families; features.ts adds the configuration, deliveries and windows. */
export type Family = "table" | "byType" | "byTime" | "failed" | "stats";

export interface PartitionLoad {
  family: Family;
  /** The hottest partition key of the family. */
  key: string;
  /** Writes a second to it (events, or statistics updates). */
  writes: number;
  wcu: number;
  rcu: number;
  /** Share of the per-partition limit (the larger of writes and reads). */
  use: number;
  /** Partition keys of the family written during the measured second. */
  partitions: number;
}

export interface ModelResult {
  mix: Mix;
  shards: ShardCounts;
  processBatchSize: number;
  families: PartitionLoad[];
  /** Write units a second per target, all partitions together (quotas). */
  totals: { tableWcu: number; indexWcu: Record<string, number>; statsWcu: number };
  /** Events a second of the hottest tenant and of its hottest type. */
  hottestTenantRate: number;
  hottestTypeRate: number;
  /** Statistics updates a second, all tenants. */
  statsUpdates: number;
  /** Bytes of the items: event item, byType entry, stats item (hottest). */
  sizes: { eventItem: number; byTypeEntry: number; byTimeEntry: number; statsItem: number };
  /** Function instances the mix keeps busy (from the assumptions' durations). */
  concurrency: { ingest: number; process: number };
  /** The measured second's stored events, in arrival order (features.ts reads them). */
  events: StoredEvent[];
}

interface Counter {
  writes: number;
  wcu: number;
}

class Loads {
  private readonly byFamily = new Map<Family, Map<string, Counter>>();
  add(family: Family, key: string, wcu: number): void {
    let keys = this.byFamily.get(family);
    if (!keys) {
      keys = new Map();
      this.byFamily.set(family, keys);
    }
    const c = keys.get(key) ?? { writes: 0, wcu: 0 };
    c.writes++;
    c.wcu += wcu;
    keys.set(key, c);
  }
  hottest(family: Family): { key: string; counter: Counter; partitions: number } | undefined {
    const keys = this.byFamily.get(family);
    if (!keys) return undefined;
    let best: [string, Counter] | undefined;
    for (const entry of keys) if (!best || entry[1].wcu > best[1].wcu) best = entry;
    return best ? { key: best[0], counter: best[1], partitions: keys.size } : undefined;
  }
  total(family: Family): number {
    let sum = 0;
    for (const c of this.byFamily.get(family)?.values() ?? []) sum += c.wcu;
    return sum;
  }
}

type Native = Record<string, unknown>;

/**
 * The statistics items as DynamoDB would hold them: each UpdateItem ADDs to one, and is
 * billed by the larger of the item before and after (UpdateItem's rule).
 */
class StatsTable {
  private readonly items = new Map<string, Native>();
  apply(input: {
    Key: Native;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  }): { key: string; wcu: number; bytes: number } {
    const key = `${input.Key.pk}|${input.Key.sk}`;
    const item = this.items.get(key) ?? { ...input.Key };
    const before = this.items.has(key) ? sizeOf(item) : 0;
    for (const [placeholder, name] of Object.entries(input.ExpressionAttributeNames)) {
      const value = input.ExpressionAttributeValues[placeholder.replace("#", ":")];
      if (name.includes("#")) item[name] = ((item[name] as number) ?? 0) + (value as number);
      else item[name] = value;
    }
    this.items.set(key, item);
    const after = sizeOf(item);
    return { key: String(input.Key.pk), wcu: writeUnits(Math.max(before, after)), bytes: after };
  }
}

const wire = (item: Native): WireItem =>
  marshall(item, DOCUMENT_CLIENT_OPTIONS.marshallOptions) as unknown as WireItem;
const sizeOf = (item: Native) => itemSize(wire(item));

/** Eventually consistent read units of reading `bytes` in one request (GSI reads always are). */
const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096)) * 0.5;

export async function runModel(
  mix: Mix,
  settings: Pick<
    EventFlowSettings,
    | "processBatchSize"
    | "timeShards"
    | "typeShards"
    | "statsShards"
    | "failedShards"
    | "eventRetentionDays"
  >,
  assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
  seed = 20,
): Promise<ModelResult> {
  const shards: ShardCounts = {
    timeShards: settings.timeShards,
    typeShards: settings.typeShards,
    statsShards: settings.statsShards,
    failedShards: settings.failedShards,
  };
  const random = seeded(seed);
  const loads = new Loads();
  const stats = new StatsTable();
  let measuring = false;
  let statsUpdates = 0;
  let statsItemBytes = 0;
  const recorder = {
    send: async (command: { input: Parameters<StatsTable["apply"]>[0] }) => {
      const { key, wcu, bytes } = stats.apply(command.input);
      if (measuring) {
        loads.add("stats", key, wcu);
        statsUpdates++;
        statsItemBytes = Math.max(statsItemBytes, bytes);
      }
      return {};
    },
  };
  const writer = new DynamoDbEventWriter(recorder as never, {
    tableName: "events",
    eventRetentionDays: settings.eventRetentionDays,
    ...shards,
    random,
  });

  const pickTenant = sampler(zipfWeights(mix.tenants, mix.skew), random);
  const pickType = sampler(zipfWeights(mix.types, mix.skew), random);
  const data = { padding: "x".repeat(Math.max(0, mix.dataBytes - 14)) };
  const start = Date.UTC(2026, 11, 6, 10, 0, 0);
  const tenantCounts = new Map<string, number>();
  const typeCounts = new Map<string, number>();
  const sizes = { eventItem: 0, byTypeEntry: 0, byTimeEntry: 0, statsItem: 0 };
  const recent: StoredEvent[] = [];
  const measured: StoredEvent[] = [];
  let n = 0;

  const second = async (index: number, itemsToo: boolean) => {
    let tally = new BatchTally();
    let inBatch = 0;
    for (let i = 0; i < mix.rate; i++) {
      const tenantId = tenantName(pickTenant());
      const type = typeName(pickType());
      const receivedAt = new Date(start + index * 1000 + Math.floor((i * 1000) / mix.rate));
      const duplicate = recent.length > 0 && random() < mix.duplicateShare;
      const event: StoredEvent = duplicate
        ? (recent[Math.floor(random() * recent.length)] as StoredEvent)
        : makeEvent(
            `e${seed}-${n++}`,
            tenantId,
            type,
            receivedAt.toISOString(),
            data,
            random() < mix.failedShare,
          );
      if (!duplicate && recent.length < 1000) recent.push(event);
      if (itemsToo && !duplicate) measured.push(event);
      if (itemsToo) {
        const item = writer.toItem(event);
        const w = wire(item);
        const cost = putItemCost(w, EVENTFLOW_TABLE);
        // A duplicate's conditional Put fails, still billed for the item; no index write.
        loads.add("table", String(item.pk), cost.base);
        if (!duplicate) {
          for (const [index, wcu] of Object.entries(cost.indexes)) {
            const spec = [TABLE.byTypeIndex, TABLE.failedIndex, TABLE.byTimeIndex].find(
              (s) => s.name === index,
            );
            if (spec) loads.add(index as Family, String(item[spec.partitionKey]), wcu);
          }
        }
        sizes.eventItem = Math.max(sizes.eventItem, cost.itemBytes);
        sizes.byTypeEntry = Math.max(sizes.byTypeEntry, entryBytes(w, TABLE.byTypeIndex));
        sizes.byTimeEntry = Math.max(sizes.byTimeEntry, entryBytes(w, TABLE.byTimeIndex));
        tenantCounts.set(tenantId, (tenantCounts.get(tenantId) ?? 0) + 1);
        const tt = `${tenantId}#${type}`;
        typeCounts.set(tt, (typeCounts.get(tt) ?? 0) + 1);
      }
      tally.add(
        event,
        duplicate ? "duplicate" : event.status === "failed" ? "failed" : "processed",
      );
      if (++inBatch === settings.processBatchSize) {
        await flushStats(writer, tally);
        tally = new BatchTally();
        inBatch = 0;
      }
    }
    if (inBatch > 0) await flushStats(writer, tally);
  };

  // A warm-up second fills the statistics items (they hold every type counted in the hour),
  // then one measured second.
  await second(0, false);
  measuring = true;
  await second(1, true);

  const hottestTenantRate = Math.max(0, ...tenantCounts.values());
  const hottestTypeRate = Math.max(0, ...typeCounts.values());
  sizes.statsItem = statsItemBytes;
  const processConcurrency =
    (mix.rate / settings.processBatchSize) * (assumptions.processMs / 1000);
  const ingestConcurrency = (mix.rate / mix.ingestBatch) * (assumptions.ingestMs / 1000);

  // Reads on the hottest partition of each family, from the assumptions' read rates and the
  // read plan's own sizing (every lane of a list is read once a page).
  const listLane = (lanes: number, rowBytes: number) =>
    readUnits(unfilteredReadSize(100, lanes) * rowBytes);
  const reads: Record<Family, number> = {
    table: 0, // GetItem / BatchGetItem touch one event's own partition
    byType: assumptions.listPagesPerSecond * listLane(shards.typeShards, sizes.byTypeEntry),
    byTime: assumptions.listPagesPerSecond * listLane(shards.timeShards, sizes.byTimeEntry),
    failed: assumptions.listPagesPerSecond * listLane(shards.failedShards, sizes.eventItem),
    stats: assumptions.statsReadsPerSecond * readUnits(24 * sizes.statsItem),
  };

  const families: PartitionLoad[] = [];
  for (const family of ["table", "byType", "byTime", "failed", "stats"] as const) {
    const hot = loads.hottest(family);
    const wcu = hot?.counter.wcu ?? 0;
    const rcu = reads[family];
    families.push({
      family,
      key: hot?.key ?? "-",
      writes: hot?.counter.writes ?? 0,
      wcu,
      rcu,
      use: Math.max(wcu / PARTITION_LIMITS.wcu, rcu / PARTITION_LIMITS.rcu),
      partitions: hot?.partitions ?? 0,
    });
  }
  const indexWcu: Record<string, number> = {};
  for (const index of ["byType", "byTime", "failed"] as const) indexWcu[index] = loads.total(index);
  return {
    mix,
    shards,
    processBatchSize: settings.processBatchSize,
    families,
    totals: {
      tableWcu: loads.total("table") + loads.total("stats"),
      indexWcu,
      statsWcu: loads.total("stats"),
    },
    hottestTenantRate,
    hottestTypeRate,
    statsUpdates,
    sizes,
    concurrency: { ingest: ingestConcurrency, process: processConcurrency },
    events: measured,
  };
}

function entryBytes(item: WireItem, index: IndexLayout): number {
  const entry = indexEntry(item, index, EVENTFLOW_TABLE);
  return entry ? itemSize(entry) : 0;
}

function makeEvent(
  id: string,
  tenantId: string,
  type: string,
  receivedAt: string,
  data: Record<string, unknown>,
  failed: boolean,
): StoredEvent {
  const base = {
    id,
    tenantId,
    type,
    source: "scale-model",
    data,
    receivedAt,
    correlationId: `corr-${id}`,
    attempts: 1,
  };
  return failed
    ? {
        ...base,
        status: "failed",
        failedAt: receivedAt,
        failure: { kind: "business_rule", reason: "amount must be positive" },
      }
    : { ...base, status: "processed", processedAt: receivedAt, latencyMs: 12 };
}

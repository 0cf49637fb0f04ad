/**
 * The keys schemas, rules, deliveries, aggregations and the archive add (issue 20: "Include
 * the keys added by schemas, rules, deliveries, aggregations and the archive"), for the same
 * mixes as model.ts. As there, the keys and items come from the real code wherever it has
 * them: the deliveries log's claim and attempt updates (DynamoDbDeliveryLog, captured by a
 * recording client), a contribution's item (DynamoDbContributionStore, the same), the
 * archive's files per batch (archiveChanges over a counting store) and the splitter's files
 * per chunk (splitStaged over staged files of the mix's tenants, rows reduced to their tenant). The configuration reads
 * follow each function's cache (schemaCacheSeconds, rulesCacheSeconds,
 * windowConfigCacheSeconds, the destination caches) and the function concurrency the mix
 * needs; their item sizes are assumptions, printed.
 */
import {
  DynamoDbDeliveryLog,
  deliveryIndexKeys,
} from "../../lambdas/adapters/dynamodb-delivery-log.js";
import { DynamoDbContributionStore } from "../../lambdas/adapters/dynamodb-window-store.js";
import type { ArchiveRow } from "../../lambdas/domain/archive.js";
import { deliveryId, toDeliveryMessage } from "../../lambdas/domain/delivery.js";
import type { StoredEvent } from "../../lambdas/domain/event.js";
import { type AggregationSpec, readRangeFor } from "../../lambdas/domain/windowing.js";
import type { ArchiveStore } from "../../lambdas/ports/archive.js";
import type { AggregationDeclaration } from "../../lambdas/ports/windows.js";
import { archiveChanges, splitStaged } from "../../lambdas/use-cases/archive-events.js";
import type { EventFlowSettings } from "../../lib/config.js";
import { DELIVERIES_TABLE } from "../../lib/contracts/tables.js";
import { indexEntry, itemSize, type TableLayout, type WireItem, writeUnits } from "../bench/wru.js";
import type { Mix } from "./mix.js";
import { sampler, seeded, tenantName, zipfWeights } from "./mix.js";

/** What the features add to a mix (beyond plain ingest and storage). */
export interface FeatureMix {
  /** Share of the hottest tenant's events a rule routes to a destination (one delivery each). */
  routedShare: number;
  /** Destinations those deliveries spread over, evenly. */
  destinations: number;
  /** Events a second one aggregation takes into ONE group (the hottest tenant's). */
  windowGroupRate: number;
  /** Window length of that aggregation, seconds (what one sweep close reads). */
  windowSeconds: number;
}

export const DEFAULT_FEATURES: FeatureMix = {
  routedShare: 0.1,
  destinations: 1,
  windowGroupRate: 10_000,
  windowSeconds: 60,
};

/** Sizes the model cannot take from code (tenant configuration is user data). */
export const CONFIG_SIZES = {
  /** One type's schema head item (GetItem). */
  schemaHeadBytes: 2 * 1024,
  /** A tenant's rules (one Query of RULE#). */
  rulesBytes: 8 * 1024,
  /** A tenant's aggregations or patterns (one Query each). */
  declarationsBytes: 4 * 1024,
  /** One destination item (GetItem, or the ordering Query's projection). */
  destinationBytes: 2 * 1024,
} as const;

export interface FeatureLoad {
  family: string;
  key: string;
  writes: number;
  wcu: number;
  rcu: number;
  use: number;
  note: string;
}

export interface FeatureResult {
  features: FeatureMix;
  loads: FeatureLoad[];
  /** Deliveries a second, all of the hottest tenant's. */
  deliveries: number;
  /**
   * The sweep's read of one declaration per pass: contributions and seconds of event time at
   * the mix's rate, the bound (windowMaxReadItems) and the rate into one declaration (all its
   * groups) at which a pass reaches it.
   */
  windowClose: { items: number; seconds: number; maxReadItems: number; bindsAt: number };
  /** Bytes of a delivery item after its first attempt. */
  deliveryItemBytes: number;
  /** Write units per delivery (claim + one delivering attempt), now and with ALL projections. */
  deliveryWrites: { now: DeliveryWriteCost; before: DeliveryWriteCost };
  contributionBytes: number;
  /**
   * Archive: staged files (S3 PUTs) per stream batch, the splitter's by-tenant files per
   * chunk, PUTs a second of both, the hottest prefix's PUTs a second (the staging day's:
   * every batch of every tenant writes there).
   */
  archive: {
    batchesPerSecond: number;
    filesPerBatch: number;
    /** Events in one splitter chunk at this rate (a full chunk, or a run's share of the interval). */
    chunkEvents: number;
    splitFilesPerChunk: number;
    stagedPutsPerSecond: number;
    splitPutsPerSecond: number;
    putsPerSecond: number;
    hottestPrefix: string;
    hottestPrefixPutsPerSecond: number;
    putsPerMillionEvents: number;
    /** What the old layout (one file per tenant-day per batch) would PUT per million. */
    oldLayoutPutsPerMillionEvents: number;
  };
}

const LIMITS = { wcu: 1000, rcu: 3000 };
const wire = (item: Record<string, unknown>) => toWire(item) as WireItem;
/** Eventually consistent read units of `bytes` read in one request. */
const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096)) * 0.5;

/** A plain object as DynamoDB's wire format (for sizes: S, N, B, BOOL, L, M). */
function toWire(value: unknown): unknown {
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") return { N: String(value) };
  if (typeof value === "boolean") return { BOOL: value };
  if (value instanceof Uint8Array) return { B: value };
  if (Array.isArray(value)) return { L: value.map(toWire) };
  if (value && typeof value === "object") {
    const m: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) m[k] = toWire(v);
    return { M: m };
  }
  return { NULL: true };
}
const sizeOf = (item: Record<string, unknown>) => {
  const w = wire(item) as unknown as { M: WireItem };
  return itemSize(w.M);
};

/** Commands a fake client receives: input only. */
function recorder(reply: (input: Record<string, unknown>) => unknown = () => ({})) {
  const sent: Record<string, unknown>[] = [];
  return {
    sent,
    client: {
      send: async (command: { input: Record<string, unknown> }) => {
        sent.push(command.input);
        return reply(command.input);
      },
    } as never,
  };
}

/**
 * The delivery log's item after claim + one attempt, rebuilt from the real UpdateItem
 * requests (SET attr = if_not_exists(attr, :value) -> attr: value).
 */
async function deliveryItem(
  tenantId: string,
  destinationId: string,
  event: StoredEvent,
): Promise<{
  claimItem: Record<string, unknown>;
  item: Record<string, unknown>;
  claimBytes: number;
  attemptBytes: number;
  messageJson: string;
}> {
  const rec = recorder(() => ({ Attributes: {} }));
  const log = new DynamoDbDeliveryLog(rec.client, { tableName: "deliveries", retentionDays: 30 });
  const now = new Date(Date.parse(event.receivedAt) + 50);
  const message = toDeliveryMessage(
    { tenantId, destinationId, event, origin: { kind: "rule", name: "route-all" } },
    now,
  );
  await log.claim(message, now, 60);
  await log.recordAttempt(
    tenantId,
    message.id,
    {
      attempt: {
        number: 1,
        at: now.toISOString(),
        outcome: "delivered",
        status: 200,
        latencyMs: 120,
        response: '{"ok":true}',
      },
      status: "delivered",
    },
    now,
  );
  const [claim, attempt] = rec.sent as {
    Key: Record<string, unknown>;
    UpdateExpression: string;
    ExpressionAttributeValues: Record<string, unknown>;
    ExpressionAttributeNames?: Record<string, string>;
  }[];
  if (!claim || !attempt) throw new Error("the delivery log sent no updates");
  const item: Record<string, unknown> = { ...claim.Key };
  const names = claim.ExpressionAttributeNames ?? {};
  for (const clause of claim.UpdateExpression.replace(/^SET /, "").split(/,\s*(?![^()]*\))/)) {
    const [lhs, rhs] = clause.split("=").map((s) => s.trim());
    if (!lhs || !rhs) continue;
    const attr = names[lhs] ?? lhs;
    const placeholder = /:[A-Za-z]+/.exec(rhs.replace(/if_not_exists\([^,]+,/, ""))?.[0];
    if (placeholder) item[attr] = claim.ExpressionAttributeValues[placeholder];
  }
  const claimBytes = sizeOf(item);
  const after = {
    ...item,
    attempts: attempt.ExpressionAttributeValues[":attempt"],
    status: "delivered",
    attemptCount: 1,
    deliveredAt: now.toISOString(),
  };
  delete (after as Record<string, unknown>).leaseUntil;
  return {
    claimItem: item,
    item: after,
    claimBytes,
    attemptBytes: sizeOf(after),
    messageJson: JSON.stringify(message),
  };
}

/** The deliveries table's layout for index entry sizes (no sort key: pk alone). */
const DELIVERIES_LAYOUT: TableLayout = {
  partitionKey: DELIVERIES_TABLE.partitionKey,
  sortKey: DELIVERIES_TABLE.partitionKey,
  indexes: [
    DELIVERIES_TABLE.byTimeIndex,
    DELIVERIES_TABLE.byDestinationIndex,
    DELIVERIES_TABLE.byEventIndex,
  ],
};

/** Per delivery (claim, then one attempt that delivers it): write units of each target. */
export interface DeliveryWriteCost {
  /** The item's bytes after the claim and after the attempt. */
  claimBytes: number;
  attemptBytes: number;
  /** Base-table WCU: the claim, the attempt (UpdateItem bills the larger of before and after). */
  base: number;
  /** WCU per index (what one index partition takes per delivery). */
  perIndex: Record<string, number>;
  /** Bytes of one index entry (after the attempt). */
  entryBytes: Record<string, number>;
  total: number;
}

/**
 * What a delivery writes, by DynamoDB's rules: a new item writes every index whose keys it
 * has (the entry's size); an update rewrites an index entry only when a key or a projected
 * attribute changes (ALL: any attribute), billed by the entry's size.
 */
export function deliveryWriteCost(
  claimItem: Record<string, unknown>,
  attemptItem: Record<string, unknown>,
  layout: TableLayout = DELIVERIES_LAYOUT,
): DeliveryWriteCost {
  const claimBytes = sizeOf(claimItem);
  const attemptBytes = sizeOf(attemptItem);
  const base = writeUnits(claimBytes) + writeUnits(Math.max(claimBytes, attemptBytes));
  const perIndex: Record<string, number> = {};
  const entryBytes: Record<string, number> = {};
  for (const index of layout.indexes) {
    const before = indexEntry(wireOf(claimItem), index, layout);
    const afterEntry = indexEntry(wireOf(attemptItem), index, layout);
    let wcu = before ? writeUnits(itemSize(before)) : 0;
    if (afterEntry && JSON.stringify(afterEntry) !== JSON.stringify(before)) {
      wcu += writeUnits(Math.max(itemSize(afterEntry), before ? itemSize(before) : 0));
    }
    perIndex[index.name] = wcu;
    entryBytes[index.name] = afterEntry ? itemSize(afterEntry) : 0;
  }
  const total = base + Object.values(perIndex).reduce((a, b) => a + b, 0);
  return { claimBytes, attemptBytes, base, perIndex, entryBytes, total };
}

/** The same layout with every index projecting ALL (the log before issue 20's cut). */
const ALL_PROJECTION_LAYOUT: TableLayout = {
  ...DELIVERIES_LAYOUT,
  indexes: DELIVERIES_LAYOUT.indexes.map((i) => ({
    ...i,
    projection: { type: "ALL" as const, attributes: [] },
  })),
};

const wireOf = (item: Record<string, unknown>) => (wire(item) as unknown as { M: WireItem }).M;

async function contributionItemBytes(settings: Pick<EventFlowSettings, "windowShards">) {
  const rec = recorder();
  const store = new DynamoDbContributionStore(rec.client, {
    tableName: "events",
    maxReadItems: 1000,
  });
  const decl = {
    tenantId: "tenant-0001",
    kind: "aggregation",
    name: "revenue_per_minute",
    version: 1,
    shards: settings.windowShards,
    spec: {},
    createdAt: "2026-12-06T10:00:00.000Z",
  } as unknown as AggregationDeclaration;
  await store.putAggregation(
    decl,
    {
      eventId: "01JF8ZK3Q4W5E6R7T8Y9U0I1O2",
      group: '["EUR"]',
      t: Date.UTC(2026, 11, 6, 10),
      storedAt: Date.UTC(2026, 11, 6, 10),
      values: { amount: 99.5, items: 3 },
      hashes: { customer: 1234567890123 },
    },
    Date.UTC(2026, 11, 13, 10),
  );
  const put = rec.sent[0] as { Item: Record<string, unknown> } | undefined;
  return { decl, bytes: put ? sizeOf(put.Item) : 0, store, rec };
}

export async function runFeatures(
  mix: Mix,
  settings: Pick<
    EventFlowSettings,
    | "processBatchSize"
    | "schemaCacheSeconds"
    | "rulesCacheSeconds"
    | "windowConfigCacheSeconds"
    | "windowShards"
    | "windowMaxReadItems"
    | "windowSweepSeconds"
    | "windowFenceSeconds"
    | "archiveBatchSize"
    | "archiveSplitMinutes"
    | "archiveSplitChunkFiles"
    | "archiveSplitBufferRows"
    | "archiveSplitShards"
    | "deliverBatchSize"
  >,
  concurrency: { ingest: number; process: number; deliver?: number },
  hottestTenantRate: number,
  events: readonly StoredEvent[],
  features: FeatureMix = DEFAULT_FEATURES,
): Promise<FeatureResult> {
  const loads: FeatureLoad[] = [];
  const push = (l: Omit<FeatureLoad, "use">) =>
    loads.push({ ...l, use: Math.max(l.wcu / LIMITS.wcu, l.rcu / LIMITS.rcu) });
  const hottest = "tenant-0001";

  // Deliveries: the log's item and its index keys, from the adapter's own requests.
  const deliveries = hottestTenantRate * features.routedShare;
  const sample = events.find((e) => e.tenantId === hottest) ?? events[0];
  if (!sample) throw new Error("the mix produced no events");
  // The delivered event as a realistic 1 KiB JSON body (an order: ids and hex tokens that
  // compress about 2x), not the mix's padding, which would deflate to nothing in the message.
  const { claimItem, item, messageJson } = await deliveryItem(
    hottest,
    "dst_01jf8zk3q4w5e6r7t8y9u0i1o2",
    { ...sample, data: realisticOrder(1024) },
  );
  const now = deliveryWriteCost(claimItem, item);
  // Before issue 20's cut: ALL projections, the queued message as JSON text.
  const before = deliveryWriteCost(
    { ...claimItem, message: messageJson },
    { ...item, message: messageJson },
    ALL_PROJECTION_LAYOUT,
  );
  const perDelivery = (index: string) => now.perIndex[index] ?? 0;
  // Every routed event of the hottest tenant becomes a delivery (deliveryId and
  // deliveryIndexKeys: the log's own key functions), counted per index partition key.
  const routed = events.filter((e) => e.tenantId === hottest);
  const step = features.routedShare > 0 ? 1 / features.routedShare : Number.POSITIVE_INFINITY;
  const perKey = new Map<string, number>();
  const unsharded = new Map<string, number>();
  const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let i = 0, n = 0; i < routed.length; i += step, n++) {
    const event = routed[Math.floor(i)] as StoredEvent;
    const destination = `dst_${String(n % Math.max(1, features.destinations)).padStart(26, "0")}`;
    const id = deliveryId(hottest, event.id, destination);
    const keys = deliveryIndexKeys(hottest, destination, id, DELIVERIES_TABLE.shards);
    count(perKey, `byTime ${keys.timeKey}`);
    count(perKey, `byDestination ${keys.destKey}`);
    const unshardedKeys = deliveryIndexKeys(hottest, destination, id, 1);
    count(unsharded, `byTime ${unshardedKeys.timeKey}`);
    count(unsharded, `byDestination ${unshardedKeys.destKey}`);
  }
  const hot = (m: Map<string, number>, index: string): [string, number] => {
    let best: [string, number] = ["-", 0];
    for (const [k, n] of m)
      if (k.startsWith(`${index} `) && n > best[1]) best = [k.slice(index.length + 1), n];
    return best;
  };
  for (const index of [DELIVERIES_TABLE.byTimeIndex, DELIVERIES_TABLE.byDestinationIndex]) {
    const [key, n] = hot(perKey, index.name);
    const [, all] = hot(unsharded, index.name);
    const wcuBefore = before.perIndex[index.name] ?? 0;
    push({
      family: `deliveries ${index.name}`,
      key,
      writes: n * 2,
      wcu: n * perDelivery(index.name),
      rcu: 0,
      note: `${perDelivery(index.name)} WCU per delivery (claim + status change, ${now.entryBytes[index.name]} B entry, INCLUDE ${index.projection.attributes.join(",")}), ${DELIVERIES_TABLE.shards} shards; with ALL projection ${fmtInt(n * wcuBefore)} WCU/s, unsharded ${fmtInt(all * wcuBefore)} WCU/s (${fmtInt((all * wcuBefore) / 10)}%)`,
    });
  }
  push({
    family: "deliveries byEvent",
    key: String(item[DELIVERIES_TABLE.byEventIndex.partitionKey] ?? "-"),
    writes: 2 * features.destinations,
    wcu: features.destinations * perDelivery(DELIVERIES_TABLE.byEventIndex.name),
    rcu: 0,
    note: "one event's deliveries (one per destination)",
  });

  // Aggregation contributions into one group: one PutItem per event per declaration, on
  // contributionPartition(decl, hash(event id) % shards).
  const contribution = await contributionItemBytes(settings);
  const byShard = new Map<string, number>();
  const random = seeded(7);
  for (let i = 0; i < features.windowGroupRate; i++) {
    await contribution.store.putAggregation(
      contribution.decl,
      {
        eventId: `e-${Math.floor(random() * 2 ** 40).toString(36)}-${i}`,
        group: '["EUR"]',
        t: Date.UTC(2026, 11, 6, 10),
        storedAt: Date.UTC(2026, 11, 6, 10),
        values: { amount: 99.5, items: 3 },
        hashes: { customer: 1234567890123 },
      },
      Date.UTC(2026, 11, 13, 10),
    );
  }
  for (const input of contribution.rec.sent.slice(1) as { Item: { pk: string } }[]) {
    byShard.set(input.Item.pk, (byShard.get(input.Item.pk) ?? 0) + 1);
  }
  let hotShard = "-";
  let hotWrites = 0;
  for (const [k, n] of byShard) {
    if (n > hotWrites) [hotShard, hotWrites] = [k, n];
  }
  const cWcu = writeUnits(contribution.bytes);
  // Each sweep pass reads the declaration's contributions (every group: they share its
  // partitions) over the range readRangeFor gives (the closing windows and the one still
  // filling, up to now), from every shard; at most windowMaxReadItems, else the pass stops
  // and the window waits (SweepFailed). The widest range over the pass's phase in a window:
  const close = windowCloseRead(features, settings);
  const windowItems = Math.min(close.items, settings.windowMaxReadItems);
  const perShardBytes = (windowItems / settings.windowShards) * contribution.bytes;
  push({
    family: "window contributions",
    key: hotShard,
    writes: hotWrites,
    wcu: hotWrites * cWcu,
    rcu: readUnits(perShardBytes),
    note: `${contribution.bytes} B item; ${settings.windowShards} shards; a sweep pass reads up to ${fmtInt(close.items)} contributions (${close.seconds} s of event time)${
      close.items > settings.windowMaxReadItems
        ? `: OVER windowMaxReadItems ${fmtInt(settings.windowMaxReadItems)}, the close waits (SweepFailed)`
        : ""
    }`,
  });
  push({
    family: "window state (watermarks)",
    key: `T#${hottest}#W#STATE`,
    writes: 2 / settings.windowSweepSeconds,
    wcu: 2 / settings.windowSweepSeconds,
    rcu: 2 / settings.windowSweepSeconds,
    note: `one GetItem + one UpdateItem per declaration per sweep (${settings.windowSweepSeconds} s)`,
  });

  // The configuration table: every function instance that sees the tenant reads it once per
  // cache period: ingest the type's schema head (per type it sees), process the rules and
  // the declarations, the ordering of each routed destination, deliver each destination.
  const typesSeen = Math.min(mix.types, 50);
  const configRcu =
    (concurrency.ingest * typesSeen * readUnits(CONFIG_SIZES.schemaHeadBytes)) /
      Math.max(1, settings.schemaCacheSeconds) +
    (concurrency.process * readUnits(CONFIG_SIZES.rulesBytes)) /
      Math.max(1, settings.rulesCacheSeconds) +
    (concurrency.process * 2 * readUnits(CONFIG_SIZES.declarationsBytes)) /
      Math.max(1, settings.windowConfigCacheSeconds) +
    (features.routedShare > 0
      ? (concurrency.process * features.destinations * readUnits(CONFIG_SIZES.destinationBytes)) / 5
      : 0) +
    ((concurrency.deliver ?? 0) *
      features.destinations *
      readUnits(CONFIG_SIZES.destinationBytes)) /
      2;
  push({
    family: "config (CONFIG_TABLE)",
    key: `T#${hottest}`,
    writes: 0,
    wcu: 0,
    rcu: configRcu,
    note: `${fmtInt(concurrency.ingest)} ingest x ${typesSeen} types / ${settings.schemaCacheSeconds} s, ${fmtInt(concurrency.process)} process x (rules / ${settings.rulesCacheSeconds} s + 2 declaration lists / ${settings.windowConfigCacheSeconds} s + ordering / 5 s), ${fmtInt(concurrency.deliver ?? 0)} deliver / 2 s`,
  });

  // The archive: the stream's batches (archiveBatchSize records) -> one staged Parquet PUT
  // per day a batch touches, counted by the archive's own code.
  let stagedPuts = 0;
  let batches = 0;
  let tenantsInBatches = 0;
  const prefixPuts = new Map<string, number>();
  const counting = {
    writeEvents: async (key: string, _rows: readonly ArchiveRow[]) => {
      stagedPuts++;
      const prefix = key.slice(0, key.lastIndexOf("/") + 1);
      prefixPuts.set(prefix, (prefixPuts.get(prefix) ?? 0) + 1);
    },
  } as never;
  for (let i = 0; i < events.length; i += settings.archiveBatchSize) {
    const slice = events.slice(i, i + settings.archiveBatchSize);
    tenantsInBatches += new Set(slice.map((e) => e.tenantId)).size;
    const batch = slice.map((e, j) => ({
      newImage: { sk: "EVENT", ...e },
      sequence: String(i + j),
      changedAtMs: Date.parse(e.receivedAt),
    }));
    await archiveChanges(batch, { store: counting });
    batches++;
  }
  // The splitter, its own code over one chunk of this mix: archiveSplitChunkFiles full staged
  // files, or what one run (of archiveSplitShards) finds after archiveSplitMinutes if fewer.
  const chunkEvents = Math.max(
    1,
    Math.min(
      settings.archiveSplitChunkFiles * settings.archiveBatchSize,
      Math.round((mix.rate * settings.archiveSplitMinutes * 60) / settings.archiveSplitShards),
    ),
  );
  const splitFilesPerChunk = await splitterFiles(mix, settings, chunkEvents);
  const scale = mix.rate / Math.max(1, events.length);
  const stagedPutsPerSecond = stagedPuts * scale;
  const splitPutsPerSecond = (splitFilesPerChunk / chunkEvents) * mix.rate;
  const [hottestPrefix, hottestPuts] = [...prefixPuts].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
  const archive = {
    batchesPerSecond: batches * scale,
    filesPerBatch: stagedPuts / Math.max(1, batches),
    chunkEvents,
    splitFilesPerChunk,
    stagedPutsPerSecond,
    splitPutsPerSecond,
    putsPerSecond: stagedPutsPerSecond + splitPutsPerSecond,
    hottestPrefix,
    hottestPrefixPutsPerSecond: hottestPuts * scale,
    putsPerMillionEvents: ((stagedPutsPerSecond + splitPutsPerSecond) / mix.rate) * 1e6,
    oldLayoutPutsPerMillionEvents: (tenantsInBatches / Math.max(1, events.length)) * 1e6,
  };
  return {
    features,
    windowClose: {
      ...close,
      maxReadItems: settings.windowMaxReadItems,
      bindsAt: settings.windowMaxReadItems / close.seconds,
    },
    loads,
    deliveries,
    deliveryItemBytes: now.attemptBytes,
    deliveryWrites: { now, before },
    contributionBytes: contribution.bytes,
    archive,
  };
}

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");

/**
 * The splitter's files (S3 PUTs) for one chunk of `chunkEvents` events of the mix: its own
 * code (splitStaged, archiveSplitBufferRows) over staged files whose rows carry only the
 * tenant, drawn as the model draws them (Zipf over the mix's tenants); nothing is encoded.
 */
async function splitterFiles(
  mix: Mix,
  settings: {
    archiveBatchSize: number;
    archiveSplitChunkFiles: number;
    archiveSplitBufferRows: number;
  },
  chunkEvents: number,
): Promise<number> {
  const pick = sampler(zipfWeights(mix.tenants, mix.skew), seeded(29));
  const files = new Map<string, { tenant: string }[]>();
  for (let i = 0, n = 0; i < chunkEvents; i += settings.archiveBatchSize, n++) {
    const rows = Array.from(
      { length: Math.min(settings.archiveBatchSize, chunkEvents - i) },
      () => ({
        tenant: tenantName(pick()),
      }),
    );
    files.set(`staging/day=2026-12-06/part-${String(n).padStart(6, "0")}.parquet`, rows);
  }
  let puts = 0;
  const store: Partial<ArchiveStore> = {
    listPrefixes: async () => ["staging/day=2026-12-06/"],
    list: async () => [...files.keys()].map((key) => ({ key, size: 0 })),
    readEvents: async (key) => (files.get(key) ?? []) as never,
    writeEvents: async () => {
      puts++;
    },
    exists: async () => true,
    delete: async () => {},
  };
  await splitStaged(
    { chunkFiles: files.size, bufferRows: settings.archiveSplitBufferRows },
    { store: store as ArchiveStore },
  );
  return puts;
}

/** Allowed lateness assumed for the modelled aggregation (README's example uses 10 s). */
const MODEL_LATENESS_MS = 10_000;

/**
 * Contributions one sweep pass reads for a tumbling aggregation of `windowSeconds` at the
 * mix's rate: the sweep's own range (readRangeFor) for each phase of the pass within a
 * window, up to `now` (nothing later exists), the widest.
 */
function windowCloseRead(
  features: FeatureMix,
  settings: Pick<EventFlowSettings, "windowSweepSeconds" | "windowFenceSeconds">,
): { items: number; seconds: number } {
  const spanMs = features.windowSeconds * 1000;
  const spec = {
    window: { kind: "tumbling", size: `${features.windowSeconds}s` },
    allowedLateness: `${MODEL_LATENESS_MS / 1000}s`,
  } as unknown as AggregationSpec;
  const step = settings.windowSweepSeconds * 1000;
  const base = Date.UTC(2026, 11, 6, 10);
  let widest = 0;
  for (let phase = 0; phase < spanMs; phase += Math.min(step, 1000)) {
    const after = base + phase;
    const upTo = after + step;
    const now = upTo + settings.windowFenceSeconds * 1000;
    const range = readRangeFor(spec, after - MODEL_LATENESS_MS - spanMs, upTo - MODEL_LATENESS_MS);
    widest = Math.max(widest, Math.min(range.to, now) - range.from);
  }
  const seconds = widest / 1000;
  return { items: features.windowGroupRate * seconds, seconds };
}

/** A JSON order of about `bytes` bytes: ids and hex tokens (seeded), as real payloads carry. */
function realisticOrder(bytes: number): Record<string, unknown> {
  const random = seeded(11);
  const hex = (n: number) =>
    Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join("");
  const order: Record<string, unknown> = {
    orderId: `ord_${hex(20)}`,
    customer: { id: `cus_${hex(16)}`, country: "DE", email: `u${hex(6)}@example.com` },
    currency: "EUR",
    lines: [] as unknown[],
  };
  const lines = order.lines as unknown[];
  while (JSON.stringify(order).length < bytes) {
    lines.push({
      sku: `SKU-${hex(8)}`,
      qty: 1 + Math.floor(random() * 5),
      price: Math.round(random() * 10_000) / 100,
      token: hex(24),
    });
  }
  return order;
}

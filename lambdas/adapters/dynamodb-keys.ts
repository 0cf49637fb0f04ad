/**
 * The table's item layout, in one place. Every key starts with the tenant, so no
 * query can cross tenants by construction.
 *
 *   event   pk = T#<tenant>#E#<id>                sk = EVENT
 *   stats   pk = T#<tenant>#STATS[#<shard>]       sk = <hour>#<shard>
 *           one counter per type and outcome, `<outcome>#<type>` (processed#purchase,
 *           duplicate#page_view...), all of a batch's types in one ADD
 *   byType  gsi1pk = <tenant>#<type>[#<shard>]    gsi1sk = <receivedAt>#<id>
 *   failed  gsi2pk = <tenant>#FAILED[#<shard>]    gsi2sk = <failedAt>#<id>     (sparse)
 *   byTime  gsi3pk = <tenant>#<shard>             gsi3sk = <receivedAt>#<id>
 *
 * Write sharding (issue 20): no partition key may take more than a share of DynamoDB's
 * per-partition limits (1,000 write / 3,000 read units a second), so an event's byType and
 * byTime entries go to one of `typeShards` / `timeShards` partitions, a failed event's
 * failed-index entry to one of `failedShards` (stable per id, so a redelivery or a
 * replay's new failure writes the same partition) and a batch's statistics to one of `statsShards`
 * partitions (random); readers merge every shard (dynamodb-read-plan.ts). Shard 0 keeps
 * the unsharded key of the layout before sharding (`<tenant>#<type>`, `<tenant>#FAILED`,
 * `T#<tenant>#STATS`),
 * and byTime's key never changed, so items written before are read as shard 0's (or their
 * old shard's) lane: raising a shard count needs no migration. Lowering one would hide the
 * higher shards' items from reads: never lower a shard count on a deployed table.
 *
 * A failed event being replayed also carries `replayToken` (the replay's request id),
 * which its consumer checks and its new outcome drops (domain/replay.ts).
 */
import { createHash } from "node:crypto";

export const EVENT_SK = "EVENT";

/** Internal attribute (never returned to clients): the armed replay's request id. */
export const REPLAY_TOKEN_ATTRIBUTE = "replayToken";

export const eventKey = (tenantId: string, id: string) => ({
  pk: `T#${tenantId}#E#${id}`,
  sk: EVENT_SK,
});

/** A byType partition; types never contain `#` (EVENT_TYPE_PATTERN), so keys cannot collide. */
export const byTypePartition = (tenantId: string, type: string, shard: number) =>
  shard === 0 ? `${tenantId}#${type}` : `${tenantId}#${type}#${shard}`;

export const byTypeKeys = (
  tenantId: string,
  type: string,
  shard: number,
  receivedAt: string,
  id: string,
) => ({
  gsi1pk: byTypePartition(tenantId, type, shard),
  gsi1sk: `${receivedAt}#${id}`,
});

/** A failed-index partition: shard 0 is the one partition of the layout before sharding. */
export const failedPartition = (tenantId: string, shard: number) =>
  shard === 0 ? `${tenantId}#FAILED` : `${tenantId}#FAILED#${shard}`;

export const failedKeys = (tenantId: string, shard: number, failedAt: string, id: string) => ({
  gsi2pk: failedPartition(tenantId, shard),
  gsi2sk: `${failedAt}#${id}`,
});

export const byTimePartition = (tenantId: string, shard: number) => `${tenantId}#${shard}`;

export const byTimeKeys = (tenantId: string, shard: number, receivedAt: string, id: string) => ({
  gsi3pk: byTimePartition(tenantId, shard),
  gsi3sk: `${receivedAt}#${id}`,
});

/** A statistics partition: shard 0 is the one partition of the layout before sharding. */
export const statsPartition = (tenantId: string, shard: number) =>
  shard === 0 ? `T#${tenantId}#STATS` : `T#${tenantId}#STATS#${shard}`;

export const statsKey = (tenantId: string, hour: string, shard: number) => ({
  pk: statsPartition(tenantId, shard),
  sk: `${hour}#${shard}`,
});

/** How many partitions each sharded key family spreads over (from lib/config.ts). */
export interface ShardCounts {
  /** byTime partitions per tenant. */
  timeShards: number;
  /** byType partitions per tenant and type. */
  typeShards: number;
  /** Statistics partitions per tenant (each holds one item per hour). */
  statsShards: number;
  /** Failed-index partitions per tenant. */
  failedShards: number;
}

export const STATS_OUTCOMES = ["processed", "failed", "duplicate"] as const;
export type StatsOutcome = (typeof STATS_OUTCOMES)[number];

/** The counter attribute of one outcome of one type on a statistics item. */
export const statsCounter = (outcome: StatsOutcome, type: string) => `${outcome}#${type}`;

const COUNTER_PATTERN = /^(processed|failed|duplicate)#(.+)$/;

/** The outcome and type a statistics item's attribute counts, if it is a counter. */
export function parseStatsCounter(
  attribute: string,
): { outcome: StatsOutcome; type: string } | undefined {
  const match = COUNTER_PATTERN.exec(attribute);
  return match ? { outcome: match[1] as StatsOutcome, type: match[2] as string } : undefined;
}

/** Stable shard of an id (so a redelivered event always lands on the same shard). */
export function shardOf(id: string, shards: number): number {
  const digest = createHash("sha1").update(id).digest();
  return digest.readUInt32BE(0) % shards;
}

// The hour bucket is a domain rule; its readers here import it with the key layout.
export { hourOf } from "../domain/stats-hour.js";

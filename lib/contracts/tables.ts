/**
 * The tables' layout: key attributes, indexes and their projections. One definition read by
 * the stack (lib/constructs/storage.ts), the adapters (lambdas/adapters) and the local
 * runtime (local/resources.ts), which creates the same tables from it.
 */

/** Names of the table's indexes, shared by the stack, the adapters and the local runtime. */
export const TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  ttlAttribute: "expiresAt",
  /**
   * Events of one tenant and type by time, write-sharded (settings typeShards):
   * gsi1pk = `<tenant>#<type>` (shard 0) or `<tenant>#<type>#<shard>`, gsi1sk = `<receivedAt>#<id>`.
   */
  byTypeIndex: {
    name: "byType",
    partitionKey: "gsi1pk",
    sortKey: "gsi1sk",
    projection: { type: "INCLUDE", attributes: ["status"] },
  },
  /** Sparse: only failed events carry these keys. gsi2pk = `<tenant>#FAILED`, gsi2sk = `<failedAt>#<id>`. */
  failedIndex: {
    name: "failed",
    partitionKey: "gsi2pk",
    sortKey: "gsi2sk",
    projection: { type: "ALL", attributes: [] },
  },
  /** All events of a tenant by time, sharded (settings timeShards): gsi3pk = `<tenant>#<shard>`, gsi3sk = `<receivedAt>#<id>`. */
  byTimeIndex: {
    name: "byTime",
    partitionKey: "gsi3pk",
    sortKey: "gsi3sk",
    projection: { type: "INCLUDE", attributes: ["status", "type"] },
  },
} as const;

/**
 * The API keys table (one small table apart from the events, so the authorizer may read
 * keys and nothing else). Items:
 *   key     pk = KEY#<sha256 hex of the key>      tenantId, keyId, scopes, status, usageKey...
 *   canary  pk = CANARYKEY#<sha256 hex>           the synthetic canary's keys (id canary...),
 *                                                 apart so its role can write only these
 *   tenant  pk = TENANT#<tenant>                  usageKey (and API Gateway's key id on AWS)
 * byTenant lists a tenant's keys (sparse: only key items carry keyId).
 */
export const KEYS_TABLE = {
  partitionKey: "pk",
  /** pk of a key: this, then the key's SHA-256 (hex). */
  keyPrefix: "KEY#",
  /** pk of a canary key (key id beginning with CANARY.keyIdPrefix): kept apart for IAM. */
  canaryKeyPrefix: "CANARYKEY#",
  tenantPrefix: "TENANT#",
  /**
   * DynamoDB TTL (epoch seconds): set only on keys that are made to expire and then go,
   * the canary's short-lived keys. A key's own `expiresAt` (ISO) is when it stops working.
   */
  ttlAttribute: "purgeAt",
  byTenantIndex: { name: "byTenant", partitionKey: "tenantId", sortKey: "keyId" },
} as const;

/**
 * Tenant configuration: what a tenant declares about its events (schemas; rules, destinations,
 * aggregations and patterns as they land). Small, read-mostly, apart from the events so that
 * its reads never compete with event writes and its backups (PITR) are its own. Items:
 *   pk = T#<tenant>    sk = <KIND>#<name>[#...]     one item per declaration or version
 * Each capability owns a `sk` prefix (CONFIG_KINDS); a tenant's whole configuration is one
 * Query on its pk, one capability's a `begins_with` on its prefix.
 */
export const CONFIG_TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  /** pk of a tenant's configuration: this, then the tenant id. */
  tenantPrefix: "T#",
} as const;

/** The `sk` prefixes of the configuration table, one per capability. */
export const CONFIG_KINDS = {
  schema: "SCHEMA#",
  rule: "RULE#",
  destination: "DEST#",
  aggregation: "AGG#",
  pattern: "PATTERN#",
  tenantSettings: "SETTINGS#",
  /** History jobs (lib/contracts/archive.ts): one item per export, replay and erasure. */
  exportJob: "EXPORT#",
  replayJob: "REPLAYJOB#",
  erasureJob: "ERASURE#",
} as const;

/**
 * The deliveries log: one item per delivery (its id is the webhook-id), its attempts inside
 * (time, status, latency, first KiB of the answer or the error), TTL `expiresAt`
 * (deliveryRetentionDays). A table of its own, not items in the events table: it is written
 * once per attempt (the events table once per event), expires sooner, is listed by
 * destination and by event (indexes the events table has no use for), and the deliver
 * function's role can then write here and never touch an event.
 *   pk = T#<tenant>#DLV#<delivery id>
 * byTime       timeKey (`<tenant>#<shard>`), createdSk (`<createdAt>#<id>`)  a tenant's deliveries, newest first
 * byDestination destKey (`<tenant>#<destination id>#<shard>`), createdSk    one destination's
 * byEvent      eventKey (`<tenant>#<event id>`), createdSk                  one event's, every destination
 * Hot keys and write cost (issue 20, README "How far it scales"): byTime and byDestination
 * are spread over `shards` partitions by a hash of the delivery id (unsharded, one tenant or
 * destination topped out near 117 deliveries/s); fixed: items live on the shard they were
 * written to, so the count can never be lowered. The indexes project only what a list
 * filters on (INCLUDE: status; byEvent also the destination, for `event` + `destination`,
 * and the id, for erasure): a list picks its page in the index and reads the page's items
 * with BatchGetItem. An index entry is ~150 B (1 WCU) and is written only when a write
 * changes its keys or projected attributes (the claim creates it, an attempt that changes
 * the status updates it); the item's attempts (the receivers' answers) and the queued
 * message (deflated) stay off the indexes. Was ALL: every write of the ~2 KB item copied to
 * three indexes, 24 WCU per delivery; now 10 (`npm run scale`).
 */
export const DELIVERIES_TABLE = {
  partitionKey: "pk",
  ttlAttribute: "expiresAt",
  shards: 32,
  byTimeIndex: {
    name: "byTime",
    partitionKey: "timeKey",
    sortKey: "createdSk",
    projection: { type: "INCLUDE", attributes: ["status"] },
  },
  byDestinationIndex: {
    name: "byDestination",
    partitionKey: "destKey",
    sortKey: "createdSk",
    projection: { type: "INCLUDE", attributes: ["status"] },
  },
  byEventIndex: {
    name: "byEvent",
    partitionKey: "eventKey",
    sortKey: "createdSk",
    projection: { type: "INCLUDE", attributes: ["status", "destinationId", "id"] },
  },
} as const;

/**
 * Windows and patterns (issue 18): items in the events table, written by the process and
 * dlq functions and the sweep, read by the windows function and the sweep.
 *   contribution  pk = T#<tenant>#W#<A|P>#<name>#<version>#<shard>   sk = <event time ms, 13 digits>#<event id>
 *                 one per (declaration version, event), written with attribute_not_exists:
 *                 the first write wins, so a redelivered or replayed event changes nothing
 *   watermark     pk = T#<tenant>#W#STATE                            sk = <A|P>#<name>#<version>
 *                 how far the sweep has emitted window.closed / pattern.matched events
 * Hot keys: one contribution item is < 1 KB (1 WCU); a declaration's writes spread over
 * `windowShards` partitions by a hash of the event id, so one group (or one pattern key)
 * at R events/s puts R / windowShards WCU on each key (10,000/s over 16 shards: 625 WCU,
 * under DynamoDB's 1,000 WCU per partition key). Reads merge the shards.
 */
export const WINDOW_KEYS = {
  /** After `T#<tenant>`: a contribution's partition continues with this. */
  contributionInfix: "#W#",
  aggregation: "A",
  pattern: "P",
  /** After `T#<tenant>`: the sweep's watermarks. */
  statePartitionSuffix: "#W#STATE",
  /** Digits of the event-time part of a contribution's sort key (epoch ms). */
  timeDigits: 13,
  /** Bytes of one contribution item at most (declarations bound what it holds): 1 WCU. */
  maxContributionBytes: 1024,
} as const;

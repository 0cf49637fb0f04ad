/**
 * The key layout before write sharding (issue 20), expressed in today's settings: shard 0
 * keeps the old keys, so typeShards 1 is the old `<tenant>#<type>` byType key, timeShards 4
 * the old byTime shards, statsShards 1 the one `T#<tenant>#STATS` partition, failedShards 1
 * the one `<tenant>#FAILED` partition.
 */
export const BEFORE = { typeShards: 1, timeShards: 4, statsShards: 1, failedShards: 1 } as const;

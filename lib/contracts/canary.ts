/**
 * The synthetic canary's identity and timings: read by its function (lambdas/domain/canary.ts)
 * and by its construct (lib/constructs/canary.ts).
 */
import type { Scope } from "./functions.js";

/** Send and read back; never admin. */
const CANARY_SCOPES: readonly Scope[] = ["events:write", "events:read"];

export const CANARY = {
  /**
   * Reserved: `npm run keys create` refuses it (use-cases/manage-keys.ts), so no real
   * tenant can share the canary's events or limits. It matches TENANT_ID_PATTERN, as every
   * tenant id must (it is part of the table's keys).
   */
  tenantId: "eventflow-canary",
  type: "eventflow.canary",
  source: "eventflow/canary",
  scopes: CANARY_SCOPES,
  keyName: "synthetic canary",
  /**
   * The key ids of the canary's keys begin with this (no other key's do). They are stored
   * under KEYS_TABLE.canaryKeyPrefix, the only items the canary's role may write (an IAM
   * condition on dynamodb:LeadingKeys), and the authorizer answers them as this tenant
   * with at most these scopes, whatever the item says: the canary cannot mint a key for
   * another tenant or scope.
   */
  keyIdPrefix: "canary",
  /** A key works this long; the canary mints the next one before a run could outlive it. */
  keyLifetimeMs: 60 * 60 * 1000,
  /** An expired canary key stays this long (to audit), then DynamoDB TTL deletes it. */
  keyPurgeAfterMs: 24 * 60 * 60 * 1000,
  /** Days a canary event is kept (DynamoDB TTL), whatever eventRetentionDays says. */
  eventRetentionDays: 1,
  /** Between two reads of the event: the resolution of the measured latency. */
  pollIntervalMs: 250,
  /** One HTTP call at most; a run's deadline caps it further. */
  requestTimeoutMs: 10_000,
} as const;

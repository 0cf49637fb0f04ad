/**
 * The synthetic canary's identity and its event. The canary is a producer like any other:
 * its own tenant (so no real tenant's events, stats or quota see it), a reserved event type,
 * a short-lived key of its own. Pure: no I/O.
 */
import { randomUUID } from "node:crypto";
import type { Scope } from "../../lib/functions.js";
import type { IncomingEvent } from "./event.js";

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

export const isCanaryTenant = (tenantId: string) => tenantId === CANARY.tenantId;

/** Days an event of this tenant is kept: the canary's events go soon. 0 keeps forever. */
export function retentionDaysFor(tenantId: string, configuredDays: number): number {
  if (!isCanaryTenant(tenantId)) return configuredDays;
  return configuredDays === 0
    ? CANARY.eventRetentionDays
    : Math.min(configuredDays, CANARY.eventRetentionDays);
}

/** The event of one run: a client-chosen id, so the canary can read it back by id. */
export function canaryEvent(sentAt: Date, id: string = `canary-${randomUUID()}`): IncomingEvent {
  return {
    id,
    type: CANARY.type,
    source: CANARY.source,
    time: sentAt.toISOString(),
    data: { canary: true, sentAt: sentAt.toISOString() },
  };
}

/**
 * The synthetic canary's identity and its event. The canary is a producer like any other:
 * its own tenant (so no real tenant's events, stats or quota see it), a reserved event type,
 * a short-lived key of its own. Pure: no I/O.
 */
import { randomUUID } from "node:crypto";
import { CANARY } from "../../lib/contracts/canary.js";
import type { IncomingEvent } from "./event.js";

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

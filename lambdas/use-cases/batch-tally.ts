/**
 * What one batch did, counted once per batch: the statistics updates (one ADD per
 * tenant and hour for all types, never one per event) and the count metrics.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC } from "../../lib/contracts/observability.js";
import { describeError } from "../domain/errors.js";
import { hourOf } from "../domain/stats-hour.js";
import type { EventWriter, StatsIncrement } from "../ports/event-store.js";
import { logger, metrics } from "../shared/powertools.js";

export type TallyOutcome = "processed" | "failed" | "duplicate";

export class BatchTally {
  readonly counts = { processed: 0, failed: 0, duplicate: 0, conflict: 0, deadLettered: 0 };
  private readonly stats = new Map<string, { tenantId: string; increment: StatsIncrement }>();

  /** Counts one stored outcome; `receivedAt` picks the hour bucket, as the indexes do. */
  add(event: { tenantId: string; type: string; receivedAt: string }, outcome: TallyOutcome) {
    this.counts[outcome]++;
    const hour = hourOf(event.receivedAt);
    const key = JSON.stringify([event.tenantId, event.type, hour]);
    let entry = this.stats.get(key);
    if (!entry) {
      entry = {
        tenantId: event.tenantId,
        increment: { type: event.type, hour, processed: 0, failed: 0, duplicate: 0 },
      };
      this.stats.set(key, entry);
    }
    entry.increment[outcome]++;
  }

  /** Increments grouped by tenant (the EventWriter port is tenant-scoped). */
  byTenant(): Map<string, StatsIncrement[]> {
    const result = new Map<string, StatsIncrement[]>();
    for (const { tenantId, increment } of this.stats.values()) {
      const list = result.get(tenantId) ?? [];
      list.push(increment);
      result.set(tenantId, list);
    }
    return result;
  }
}

/**
 * Writes the batch's statistics. A failure is logged and counted, never thrown: the
 * events are already stored, and failing their records would only write them again
 * (as duplicates) while the counters stay wrong either way.
 */
export async function flushStats(writer: EventWriter, tally: BatchTally): Promise<void> {
  const results = await Promise.allSettled(
    [...tally.byTenant()].map(([tenantId, counts]) => writer.addStats(tenantId, counts)),
  );
  const failed = results.filter((r) => r.status === "rejected");
  if (failed.length > 0) {
    logger.error("Statistics update failed; the events were stored", {
      errors: failed.map((r) => describeError(r.reason)),
    });
    metrics.addMetric(METRIC.statsWriteFailed, MetricUnit.Count, 1);
  }
}

const COUNT_METRICS = [
  ["processed", METRIC.eventsProcessed],
  ["failed", METRIC.eventsFailed],
  ["duplicate", METRIC.eventsDuplicate],
  ["conflict", METRIC.eventsConflict],
  ["deadLettered", METRIC.deadLettered],
] as const;

/** The batch's count metrics, one data point each (rather than one per event). */
export function publishCounts(tally: BatchTally): void {
  for (const [field, name] of COUNT_METRICS) {
    const value = tally.counts[field];
    if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
  }
}

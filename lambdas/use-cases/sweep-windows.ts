/**
 * The sweep: closes windows and settles pattern matches (absence timers included) and emits
 * `eventflow.window.closed` / `eventflow.pattern.matched` into the events queue, so they are
 * stored and routed like any event. One pass per declaration version:
 *
 *   wm    = now - fence                       (contributions in flight have landed)
 *   after = its watermark (else its creation time)
 *   emit every window whose close time, and every match whose settle time, is in (after, wm]
 *   then move the watermark to wm.
 *
 * Windows and matches are pure functions of the stored contributions (domain/windowing.ts,
 * domain/cep.ts) and their events' ids derive from what they describe
 * (domain/derived-events.ts): a pass that crashes before moving the watermark, or two
 * overlapping passes, emit the same ids again and the events table stores each once.
 * Timers: no timer resource per key; a deadline (absence, window close) fires in the first
 * pass after deadline + fence, i.e. within fence + windowSweepSeconds (+ the pass's own time).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC } from "../../lib/contracts/observability.js";
import { evaluatePattern, type PatternSpec, patternReadRange } from "../domain/cep.js";
import { patternMatchedEvent, windowClosedEvent } from "../domain/derived-events.js";
import type { AcceptedEvent, QueuedEvent } from "../domain/event.js";
import { type AggregationSpec, computeWindows, ms, readRangeFor } from "../domain/windowing.js";
import type { EventQueue } from "../ports/event-store.js";
import type {
  AggregationDeclaration,
  ContributionStore,
  Declaration,
  DeclarationStore,
  PatternDeclaration,
} from "../ports/windows.js";
import { logger, metrics } from "../shared/powertools.js";

/** A pass catches up at most this much event time per declaration (bounded reads). */
export const MAX_CATCH_UP_MS = 60 * 60 * 1000;

export interface SweepDeps {
  declarations: DeclarationStore;
  contributions: ContributionStore;
  queue: EventQueue;
  fenceMs: number;
  now?: () => number;
}

export interface SweepReport {
  declarations: number;
  emitted: number;
  /** Declarations whose pass failed or was cut by the read bound (retried next pass). */
  failed: number;
  /** Emitted events: the lag of each behind its deadline (close or settle time), ms. */
  lagsMs: number[];
}

export class SweepWindows {
  private readonly now: () => number;

  constructor(private readonly deps: SweepDeps) {
    this.now = deps.now ?? Date.now;
  }

  async pass(): Promise<SweepReport> {
    const declarations = await this.deps.declarations.all();
    const report: SweepReport = {
      declarations: declarations.length,
      emitted: 0,
      failed: 0,
      lagsMs: [],
    };
    // A few at a time: each reads every shard of its declaration.
    const queue = [...declarations];
    const workers = Array.from({ length: Math.min(4, queue.length) }, async () => {
      for (let decl = queue.shift(); decl; decl = queue.shift()) {
        try {
          const done = await this.sweepOne(decl);
          report.emitted += done.emitted;
          report.lagsMs.push(...done.lagsMs);
        } catch (error) {
          report.failed++;
          logger.error("Sweep of a declaration failed; the next pass retries it", {
            tenantId: decl.tenantId,
            kind: decl.kind,
            name: decl.name,
            version: decl.version,
            error: String(error),
          });
        }
      }
    });
    await Promise.all(workers);
    if (report.emitted > 0) {
      metrics.addMetric(METRIC.derivedEventsEmitted, MetricUnit.Count, report.emitted);
    }
    if (report.failed > 0) metrics.addMetric(METRIC.sweepFailed, MetricUnit.Count, report.failed);
    for (const lag of report.lagsMs) {
      metrics.addMetric(METRIC.derivedEventLag, MetricUnit.Milliseconds, lag);
    }
    return report;
  }

  /** One declaration version: emit what closed or settled in (watermark, now - fence]. */
  async sweepOne(decl: Declaration): Promise<{ emitted: number; lagsMs: number[] }> {
    const now = this.now();
    const wm = now - this.deps.fenceMs;
    const after = (await this.deps.contributions.watermark(decl)) ?? Date.parse(decl.createdAt);
    if (wm <= after) return { emitted: 0, lagsMs: [] };
    const upTo = Math.min(wm, after + MAX_CATCH_UP_MS);
    const due =
      decl.kind === "aggregation"
        ? await this.closedWindows(decl as AggregationDeclaration, after, upTo, now)
        : await this.settledMatches(decl as PatternDeclaration, after, upTo, now);
    if (due === undefined) return { emitted: 0, lagsMs: [] };
    await this.emit(decl.tenantId, due.events, now);
    await this.deps.contributions.advance(decl, upTo);
    return { emitted: due.events.length, lagsMs: due.lagsMs };
  }

  private async closedWindows(
    decl: AggregationDeclaration,
    after: number,
    upTo: number,
    now: number,
  ): Promise<{ events: AcceptedEvent[]; lagsMs: number[] } | undefined> {
    const spec = decl.spec as AggregationSpec;
    const lateness = ms(spec.allowedLateness);
    const w = spec.window;
    const span =
      w.kind === "session" ? ms(w.maxDuration) : w.kind === "count" ? ms(w.per) : ms(w.size);
    const range = readRangeFor(spec, after - lateness - span, upTo - lateness);
    const read = await this.deps.contributions.readAggregation(decl, range.from, range.to);
    if (read.truncated) {
      logger.error("Sweep read bound reached; window emission waits (raise windowMaxReadItems)", {
        tenantId: decl.tenantId,
        name: decl.name,
      });
      metrics.addMetric(METRIC.sweepFailed, MetricUnit.Count, 1);
      return undefined;
    }
    const closing = computeWindows(spec, read.items).filter(
      (x) => x.count > 0 && x.closeAt > after && x.closeAt <= upTo,
    );
    return {
      events: closing.map((x) =>
        windowClosedEvent(
          { name: decl.name, version: decl.version, groupBy: spec.groupBy, windowKind: w.kind },
          x,
        ),
      ),
      lagsMs: closing.map((x) => now - x.end),
    };
  }

  private async settledMatches(
    decl: PatternDeclaration,
    after: number,
    upTo: number,
    now: number,
  ): Promise<{ events: AcceptedEvent[]; lagsMs: number[] } | undefined> {
    const spec = decl.spec as PatternSpec;
    const range = patternReadRange(spec, after, upTo);
    const read = await this.deps.contributions.readPattern(decl, range.from, range.to + 1);
    if (read.truncated) {
      logger.error("Sweep read bound reached; match emission waits (raise windowMaxReadItems)", {
        tenantId: decl.tenantId,
        name: decl.name,
      });
      return undefined;
    }
    const settled = evaluatePattern(spec, read.items).matches.filter(
      (m) => m.settleAt > after && m.settleAt <= upTo,
    );
    return {
      events: settled.map((m) =>
        patternMatchedEvent({ name: decl.name, version: decl.version, kind: spec.kind }, m),
      ),
      lagsMs: settled.map((m) => now - m.last),
    };
  }

  private async emit(tenantId: string, events: AcceptedEvent[], now: number): Promise<void> {
    if (events.length === 0) return;
    const receivedAt = new Date(now).toISOString();
    const messages: QueuedEvent[] = events.map((event) => ({
      v: 1,
      tenantId,
      receivedAt,
      correlationId: event.id,
      event,
    }));
    const result = await this.deps.queue.enqueue(messages);
    if (result.failed.length > 0) {
      // The watermark stays: the next pass emits them all again (same ids, stored once).
      throw new Error(`${result.failed.length} of ${messages.length} derived events not queued`);
    }
  }
}

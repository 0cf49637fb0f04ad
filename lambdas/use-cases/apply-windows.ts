/**
 * The exactly-once step of windows and patterns, in the process (and dlq) function: after
 * an event's conditional write succeeded, OR found the same event already stored processed
 * (a redelivery after a crash between the event write and this step), write the event's
 * contribution to every matching aggregation and pattern, each keyed by (declaration
 * version, event id) and written only if absent. A failure here throws: the message comes
 * back, its event write is then a duplicate, and this step runs again; contributions that
 * were already written are left as they are. So every stored event contributes exactly
 * once, and windows and matches are computed from contributions alone (domain/windowing.ts,
 * domain/cep.ts).
 */

import { type PatternSpec, patternContributionOf } from "../domain/cep.js";
import { isDerivedType } from "../domain/derived-events.js";
import type { StoredEvent } from "../domain/event.js";
import {
  type CompiledEventPattern,
  compileEventPattern,
  matchesEventPattern,
} from "../domain/event-pattern.js";
import { type AggregationSpec, contributionOf, DAY_MS, ms } from "../domain/windowing.js";
import type {
  AggregationDeclaration,
  ContributionStore,
  DeclarationStore,
  PatternDeclaration,
} from "../ports/windows.js";
import { logger } from "../shared/powertools.js";

export interface WindowApplierDeps {
  declarations: DeclarationStore;
  contributions: ContributionStore;
  /** How long a tenant's compiled declarations are reused. */
  cacheSeconds: number;
  retentionDays: number;
  /**
   * When the stored copy of an event was received (the events table). A duplicate sent
   * again by a client is a new message with a new receivedAt: an event without `time`
   * must take its event time from the copy that was stored, or its contribution would
   * get a second key.
   */
  storedReceivedAt?: (tenantId: string, id: string) => Promise<string | undefined>;
  now?: () => number;
}

interface Compiled {
  aggregations: { decl: AggregationDeclaration; match: CompiledEventPattern }[];
  patterns: { decl: PatternDeclaration; steps: CompiledEventPattern[] }[];
}

/** How long after its event time a contribution can still matter (then TTL removes it). */
export function aggregationExpiry(spec: AggregationSpec, t: number, retentionDays: number): number {
  const w = spec.window;
  const span =
    w.kind === "session" ? ms(w.maxDuration) : w.kind === "count" ? ms(w.per) : ms(w.size);
  return t + span + ms(spec.allowedLateness) + retentionDays * DAY_MS;
}

/** Pattern state expires once it can no longer take part in a match (plus a day of slack). */
export function patternExpiry(spec: PatternSpec, t: number): number {
  return t + 2 * ms(spec.within) + ms(spec.allowedLateness) + DAY_MS;
}

export class WindowApplier {
  private readonly cache = new Map<string, { at: number; compiled: Promise<Compiled> }>();
  private readonly now: () => number;

  constructor(private readonly deps: WindowApplierDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Whether an outcome's event must (re)contribute: it is stored processed, this content. */
  static applies(outcome: {
    kind: string;
    conflict?: boolean;
    existingStatus?: string;
    record: StoredEvent;
  }): boolean {
    if (outcome.kind === "processed") return true;
    return (
      outcome.kind === "duplicate" &&
      outcome.conflict === false &&
      outcome.existingStatus === "processed"
    );
  }

  /**
   * Writes the event's contributions; resolves to how many declarations it matched.
   * `firstWrite`: this delivery stored the event (else it was found stored).
   */
  async apply(event: StoredEvent, firstWrite = true): Promise<number> {
    if (event.status !== "processed" || isDerivedType(event.type)) return 0;
    const compiled = await this.compiled(event.tenantId);
    if (compiled.aggregations.length === 0 && compiled.patterns.length === 0) return 0;
    let record = event;
    if (!firstWrite && !event.time && this.deps.storedReceivedAt) {
      const receivedAt = await this.deps.storedReceivedAt(event.tenantId, event.id);
      if (receivedAt) record = { ...event, receivedAt };
    }
    const storedAt = this.now();
    const writes: Promise<void>[] = [];
    for (const { decl, match } of compiled.aggregations) {
      if (!matchesEventPattern(match, record)) continue;
      const c = contributionOf(decl.spec, record, storedAt);
      writes.push(
        this.deps.contributions.putAggregation(
          decl,
          c,
          aggregationExpiry(decl.spec, c.t, this.deps.retentionDays),
        ),
      );
    }
    for (const { decl, steps } of compiled.patterns) {
      const matched = steps.flatMap((s, i) => (matchesEventPattern(s, record) ? [i] : []));
      const c = patternContributionOf(decl.spec, record, matched, storedAt);
      if (!c) continue;
      writes.push(this.deps.contributions.putPattern(decl, c, patternExpiry(decl.spec, c.t)));
    }
    await Promise.all(writes);
    return writes.length;
  }

  private compiled(tenantId: string): Promise<Compiled> {
    const hit = this.cache.get(tenantId);
    const now = this.now();
    if (hit && now - hit.at < this.deps.cacheSeconds * 1000) return hit.compiled;
    const compiled = this.load(tenantId);
    this.cache.set(tenantId, { at: now, compiled });
    // A failed read is not cached: the next event asks again.
    compiled.catch(() => this.cache.delete(tenantId));
    return compiled;
  }

  private async load(tenantId: string): Promise<Compiled> {
    const [aggregations, patterns] = await Promise.all([
      this.deps.declarations.list(tenantId, "aggregation"),
      this.deps.declarations.list(tenantId, "pattern"),
    ]);
    const out: Compiled = { aggregations: [], patterns: [] };
    for (const decl of aggregations) {
      try {
        out.aggregations.push({
          decl: decl as AggregationDeclaration,
          match: compileEventPattern((decl.spec as AggregationSpec).match),
        });
      } catch (error) {
        logger.error("Stored aggregation does not compile; skipped", {
          tenantId,
          name: decl.name,
          error: String(error),
        });
      }
    }
    for (const decl of patterns) {
      try {
        out.patterns.push({
          decl: decl as PatternDeclaration,
          steps: (decl.spec as PatternSpec).steps.map((s) => compileEventPattern(s.match)),
        });
      } catch (error) {
        logger.error("Stored pattern does not compile; skipped", {
          tenantId,
          name: decl.name,
          error: String(error),
        });
      }
    }
    return out;
  }
}

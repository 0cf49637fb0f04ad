/**
 * The events windows and patterns emit: `eventflow.window.closed` and
 * `eventflow.pattern.matched`. They enter the pipeline through the events queue like any
 * event (so rules route them) under an id derived from what they describe: a sweep that
 * emits one twice (a retry, a second sweeper, a crash before the watermark moved) stores
 * it once, because the event id is the idempotency key.
 */
import type { AcceptedEvent } from "./event.js";
import { hash53 } from "./hyperloglog.js";
import type { WindowResult } from "./windowing.js";

export const DERIVED_TYPES = {
  windowClosed: "eventflow.window.closed",
  patternMatched: "eventflow.pattern.matched",
} as const;

export const DERIVED_SOURCE = "eventflow/windows";

/** Derived events never feed windows or patterns themselves (no loops). */
export const isDerivedType = (type: string): boolean =>
  type === DERIVED_TYPES.windowClosed || type === DERIVED_TYPES.patternMatched;

/** ~106 bits from two differently seeded 53-bit hashes, base 36: stable and id-safe. */
export function stableId(prefix: string, parts: readonly (string | number)[]): string {
  const text = JSON.stringify(parts);
  return `${prefix}.${hash53(text, 1).toString(36)}${hash53(text, 2).toString(36)}`;
}

export interface DeclarationRef {
  name: string;
  version: number;
}

export function windowClosedEvent(
  agg: DeclarationRef & { groupBy: readonly string[]; windowKind: string },
  w: WindowResult,
): AcceptedEvent {
  const values = JSON.parse(w.group) as unknown[];
  const group: Record<string, unknown> = {};
  agg.groupBy.forEach((path, i) => {
    group[path] = values[i] ?? null;
  });
  return {
    id: stableId("wc", [agg.name, agg.version, w.group, w.start, w.end, w.firstEventId ?? ""]),
    type: DERIVED_TYPES.windowClosed,
    source: DERIVED_SOURCE,
    subject: agg.name,
    time: new Date(w.end).toISOString(),
    data: {
      aggregation: agg.name,
      version: agg.version,
      window: {
        kind: agg.windowKind,
        start: new Date(w.start).toISOString(),
        end: new Date(w.end).toISOString(),
        ...(w.partial ? { partial: true } : {}),
      },
      group,
      count: w.count,
      measures: w.measures,
      late: w.late,
    },
  };
}

export function patternMatchedEvent(
  pattern: DeclarationRef & { kind: string },
  match: { key: string; eventIds: readonly string[]; first: number; last: number },
): AcceptedEvent {
  return {
    id: stableId("pm", [pattern.name, pattern.version, match.key, ...match.eventIds]),
    type: DERIVED_TYPES.patternMatched,
    source: DERIVED_SOURCE,
    subject: pattern.name,
    time: new Date(match.last).toISOString(),
    data: {
      pattern: pattern.name,
      version: pattern.version,
      kind: pattern.kind,
      key: match.key,
      eventIds: [...match.eventIds],
      from: new Date(match.first).toISOString(),
      to: new Date(match.last).toISOString(),
    },
  };
}

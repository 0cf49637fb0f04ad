/**
 * Windows over a stream of events (tumbling, hopping, session, count) as PURE functions of
 * the set of contributions stored for an aggregation: the same set gives the same windows,
 * whatever order the events arrived in and however often each was delivered. That is the
 * exactly-once argument (README "Windows and patterns"): storage keeps each event's
 * contribution once (keyed by event id, first write wins), and everything here is computed
 * from that set.
 *
 * Lateness is decided per event and window from two times the contribution carries: its
 * event time `t` (`time`, else `receivedAt`) and `storedAt`, when its contribution was
 * first stored (fixed by the first write). A contribution stored after a window's close
 * time (end + allowed lateness) counts in that window's `late` figure and nowhere else.
 */
import * as z from "zod";
import { DURATION_HINT, parseDurationMs } from "./duration.js";
import { DistinctSketch, hash53 } from "./hyperloglog.js";
import { isPlainObject } from "./json.js";

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export const DECLARATION_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A field path: dot-separated keys of the event as the API returns it (`data.user.id`). */
export const FIELD_PATH_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$-]*(\.[A-Za-z0-9_$-]+){0,9}$/;

export const fieldPath = z
  .string()
  .regex(FIELD_PATH_PATTERN, "must be a dot-separated field path such as data.user.id");

/** A duration string (`90s`, `5m`, `24h`, `7d`) checked against bounds. */
export const durationField = (minMs: number, maxMs: number, what: string) =>
  z.string().refine(
    (v) => {
      const ms = parseDurationMs(v);
      return ms !== undefined && ms >= minMs && ms <= maxMs;
    },
    { message: `must be ${DURATION_HINT}, ${what}` },
  );

const windowSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("tumbling"),
      size: durationField(MINUTE_MS, DAY_MS, "from 1m to 1d"),
    })
    .strict(),
  z
    .object({
      kind: z.literal("hopping"),
      size: durationField(MINUTE_MS, DAY_MS, "from 1m to 1d"),
      hop: durationField(1000, DAY_MS, "from 1s to 1d"),
    })
    .strict()
    .refine((w) => ms(w.hop) <= ms(w.size) && ms(w.size) / ms(w.hop) <= 60, {
      message: "hop must be at most size, and size at most 60 hops",
      path: ["hop"],
    }),
  z
    .object({
      kind: z.literal("session"),
      gap: durationField(1000, DAY_MS, "from 1s to 1d"),
      /** Sessions never cross a multiple of this (UTC epoch aligned): bounds every read. */
      maxDuration: durationField(MINUTE_MS, DAY_MS, "from 1m to 1d").default("1h"),
    })
    .strict(),
  z
    .object({
      kind: z.literal("count"),
      count: z.number().int().min(1).max(100_000),
      /** Count windows restart at each multiple of this (a last partial window closes there). */
      per: durationField(MINUTE_MS, DAY_MS, "from 1m to 1d").default("1h"),
    })
    .strict(),
]);

export const measureSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, "must be 1-40 of A-Z a-z 0-9 _"),
    op: z.enum(["count", "sum", "min", "max", "avg", "distinct"]),
    path: fieldPath.optional(),
  })
  .strict()
  .refine((m) => (m.op === "count" ? true : m.path !== undefined), {
    message: "needs a path (only count does not)",
    path: ["path"],
  });

export const aggregationSchema = z
  .object({
    /** An EventBridge event pattern (lambdas/domain/event-pattern.ts); {} matches all. */
    match: z.record(z.string(), z.unknown()).default({}),
    groupBy: z.array(fieldPath).max(3).default([]),
    measures: z.array(measureSchema).min(1).max(10),
    window: windowSchema,
    allowedLateness: durationField(0, DAY_MS, "from 0s to 1d").default("0s"),
    description: z.string().max(500).optional(),
  })
  .strict()
  .refine((a) => new Set(a.measures.map((m) => m.name)).size === a.measures.length, {
    message: "measure names must be unique",
    path: ["measures"],
  });

export type AggregationInput = z.input<typeof aggregationSchema>;
export type AggregationSpec = z.output<typeof aggregationSchema>;
export type WindowSpec = AggregationSpec["window"];
export type MeasureSpec = z.output<typeof measureSchema>;

export function ms(duration: string): number {
  const value = parseDurationMs(duration);
  if (value === undefined) throw new Error(`not a duration: ${duration}`);
  return value;
}

/** A value at a dot path of the event as the API returns it; undefined when absent. */
export function valueAt(event: unknown, path: string): unknown {
  let at: unknown = event;
  for (const key of path.split(".")) {
    if (!isPlainObject(at) || !Object.hasOwn(at, key)) return undefined;
    at = at[key];
  }
  return at;
}

/** The group of an event: its group-by values as canonical JSON (missing fields are null). */
export function groupOf(event: unknown, groupBy: readonly string[]): string {
  return JSON.stringify(groupBy.map((p) => valueAt(event, p) ?? null));
}

/** What one event gives an aggregation: stored once per (aggregation version, event id). */
export interface Contribution {
  eventId: string;
  group: string;
  /** Event time, epoch ms. */
  t: number;
  /** When this contribution was first stored, epoch ms (first write wins). */
  storedAt: number;
  /** Numeric value per measure name (absent: the event had no number there). */
  values: Record<string, number>;
  /** Hash per distinct measure name. */
  hashes: Record<string, number>;
}

/** Event time: `time`, else when the API received the event. */
export function eventTimeMs(event: { time?: string; receivedAt: string }): number {
  const t = event.time ? Date.parse(event.time) : Number.NaN;
  return Number.isFinite(t) ? t : Date.parse(event.receivedAt);
}

export function contributionOf(
  spec: AggregationSpec,
  event: { id: string; time?: string; receivedAt: string },
  storedAt: number,
): Contribution {
  const values: Record<string, number> = {};
  const hashes: Record<string, number> = {};
  for (const m of spec.measures) {
    if (!m.path) continue;
    const v = valueAt(event, m.path);
    if (m.op === "distinct") {
      if (v !== undefined && v !== null) hashes[m.name] = hash53(JSON.stringify(v));
    } else if (typeof v === "number" && Number.isFinite(v)) {
      values[m.name] = v;
    }
  }
  return {
    eventId: event.id,
    group: groupOf(event, spec.groupBy),
    t: eventTimeMs(event),
    storedAt,
    values,
    hashes,
  };
}

/** Mergeable state of a window's measures. */
export class MeasureState {
  count = 0;
  private readonly sums = new Map<string, number>();
  private readonly counts = new Map<string, number>();
  private readonly mins = new Map<string, number>();
  private readonly maxs = new Map<string, number>();
  private readonly sketches = new Map<string, DistinctSketch>();

  constructor(private readonly measures: readonly MeasureSpec[]) {}

  add(c: Contribution): void {
    this.count++;
    for (const m of this.measures) {
      if (m.op === "distinct") {
        const h = c.hashes[m.name];
        if (h === undefined) continue;
        let s = this.sketches.get(m.name);
        if (!s) {
          s = new DistinctSketch();
          this.sketches.set(m.name, s);
        }
        s.add(h);
        continue;
      }
      const v = c.values[m.name];
      if (v === undefined) continue;
      this.sums.set(m.name, (this.sums.get(m.name) ?? 0) + v);
      this.counts.set(m.name, (this.counts.get(m.name) ?? 0) + 1);
      const min = this.mins.get(m.name);
      if (min === undefined || v < min) this.mins.set(m.name, v);
      const max = this.maxs.get(m.name);
      if (max === undefined || v > max) this.maxs.set(m.name, v);
    }
  }

  /** count, sum, min, max, avg (null when no event had a number there), distinct. */
  result(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const m of this.measures) {
      const n = this.counts.get(m.name) ?? 0;
      switch (m.op) {
        case "count":
          out[m.name] = m.path ? n : this.count;
          break;
        case "sum":
          out[m.name] = roundSum(this.sums.get(m.name) ?? 0);
          break;
        case "min":
          out[m.name] = this.mins.get(m.name) ?? null;
          break;
        case "max":
          out[m.name] = this.maxs.get(m.name) ?? null;
          break;
        case "avg":
          out[m.name] = n === 0 ? null : roundSum((this.sums.get(m.name) ?? 0) / n);
          break;
        case "distinct":
          out[m.name] = this.sketches.get(m.name)?.estimate() ?? 0;
          break;
      }
    }
    return out;
  }
}

/** Sums of decimals differ in the last bits by order: round to 9 significant decimals. */
const roundSum = (v: number): number => Number.parseFloat(v.toPrecision(12));

export interface WindowResult {
  group: string;
  /** Inclusive start, exclusive end (epoch ms). */
  start: number;
  end: number;
  /** When the window closes: end + allowed lateness. */
  closeAt: number;
  /** Contributions counted in the measures. */
  count: number;
  measures: Record<string, number | null>;
  /** Contributions of events in this window stored after it closed. */
  late: number;
  /** Ids of the first event (count and session windows are identified by it). */
  firstEventId?: string;
  /** Count windows cut short by their `per` boundary. */
  partial?: boolean;
}

/** Compare contributions by event time, then id: a total order independent of arrival. */
export const byTimeThenId = (a: Contribution, b: Contribution): number =>
  a.t - b.t || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

/**
 * The span of event time a computation needs to see to get the windows whose close time
 * falls in (closedAfter, closedUpTo], or that overlap [from, to) for a read.
 */
export function readRangeFor(
  spec: AggregationSpec,
  from: number,
  to: number,
): { from: number; to: number } {
  const w = spec.window;
  switch (w.kind) {
    case "tumbling": {
      const size = ms(w.size);
      return { from: Math.floor(from / size) * size, to: Math.ceil((to + 1) / size) * size };
    }
    case "hopping": {
      const size = ms(w.size);
      const hop = ms(w.hop);
      return { from: Math.floor((from - size) / hop) * hop, to: to + size };
    }
    case "session": {
      const bucket = ms(w.maxDuration);
      return {
        from: Math.floor(from / bucket) * bucket,
        to: Math.ceil((to + 1) / bucket) * bucket,
      };
    }
    case "count": {
      const bucket = ms(w.per);
      return {
        from: Math.floor(from / bucket) * bucket,
        to: Math.ceil((to + 1) / bucket) * bucket,
      };
    }
  }
}

/**
 * Every window the contributions produce (each group's), with lateness applied. Give it
 * every contribution whose event time is in a readRangeFor(...) span: windows are
 * complete for that span. Deterministic: the order of `contributions` does not matter.
 */
export function computeWindows(
  spec: AggregationSpec,
  contributions: readonly Contribution[],
): WindowResult[] {
  const lateness = ms(spec.allowedLateness);
  const byGroup = new Map<string, Contribution[]>();
  for (const c of contributions) {
    let list = byGroup.get(c.group);
    if (!list) {
      list = [];
      byGroup.set(c.group, list);
    }
    list.push(c);
  }
  const out: WindowResult[] = [];
  for (const [group, list] of [...byGroup].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    list.sort(byTimeThenId);
    out.push(...groupWindows(spec, group, list, lateness));
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end || cmp(a.group, b.group));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Builder {
  start: number;
  end: number;
  state: MeasureState;
  late: number;
  firstEventId?: string;
  partial?: boolean;
}

function finish(group: string, b: Builder, lateness: number): WindowResult {
  return {
    group,
    start: b.start,
    end: b.end,
    closeAt: b.end + lateness,
    count: b.state.count,
    measures: b.state.result(),
    late: b.late,
    ...(b.firstEventId ? { firstEventId: b.firstEventId } : {}),
    ...(b.partial ? { partial: true } : {}),
  };
}

function groupWindows(
  spec: AggregationSpec,
  group: string,
  sorted: Contribution[],
  lateness: number,
): WindowResult[] {
  const w = spec.window;
  const newBuilder = (start: number, end: number): Builder => ({
    start,
    end,
    state: new MeasureState(spec.measures),
    late: 0,
  });
  if (w.kind === "tumbling" || w.kind === "hopping") {
    const size = ms(w.size);
    const hop = w.kind === "hopping" ? ms(w.hop) : size;
    const windows = new Map<number, Builder>();
    for (const c of sorted) {
      // Every window [k*hop, k*hop + size) that holds t.
      const last = Math.floor(c.t / hop) * hop;
      for (let start = last; start > c.t - size; start -= hop) {
        let b = windows.get(start);
        if (!b) {
          b = newBuilder(start, start + size);
          windows.set(start, b);
        }
        if (c.storedAt > b.end + lateness) b.late++;
        else b.state.add(c);
      }
    }
    return [...windows.values()].map((b) => finish(group, b, lateness));
  }
  if (w.kind === "session") {
    const gap = ms(w.gap);
    const bucket = ms(w.maxDuration);
    // Late per event: stored more than the allowed lateness after its event time. An
    // on-time event can only join or extend a session that has not closed yet (a session
    // closes at its last event + gap + lateness, after any on-time event before its end).
    const onTime = sorted.filter((c) => c.storedAt <= c.t + lateness);
    const late = sorted.filter((c) => c.storedAt > c.t + lateness);
    const sessions: Builder[] = [];
    let current: Builder | undefined;
    for (const c of onTime) {
      const sameBucket = current && Math.floor(current.start / bucket) === Math.floor(c.t / bucket);
      if (current && sameBucket && c.t < current.end) {
        current.end = Math.min(c.t + gap, (Math.floor(c.t / bucket) + 1) * bucket);
        current.state.add(c);
        continue;
      }
      current = newBuilder(c.t, Math.min(c.t + gap, (Math.floor(c.t / bucket) + 1) * bucket));
      current.firstEventId = c.eventId;
      current.state.add(c);
      sessions.push(current);
    }
    for (const c of late) {
      const home = sessions.find((s) => s.start <= c.t && c.t < s.end);
      if (home) home.late++;
      else {
        // No session holds it: a window of its own, empty but for the late figure.
        const alone = newBuilder(c.t, c.t + gap);
        alone.firstEventId = c.eventId;
        alone.late = 1;
        sessions.push(alone);
      }
    }
    return sessions.map((b) => finish(group, b, lateness));
  }
  // count: every N on-time events per group, restarting at each `per` boundary.
  const n = w.count;
  const bucket = ms(w.per);
  const onTime = sorted.filter((c) => c.storedAt <= c.t + lateness);
  const late = sorted.filter((c) => c.storedAt > c.t + lateness);
  const windows: Builder[] = [];
  let current: Builder | undefined;
  let members: Contribution[] = [];
  const close = (partial: boolean) => {
    if (!current) return;
    const first = members[0] as Contribution;
    const last = members[members.length - 1] as Contribution;
    current.start = first.t;
    // A full window ends just after its last event; a partial one at its bucket's end.
    current.end = partial ? (Math.floor(first.t / bucket) + 1) * bucket : last.t + 1;
    if (partial) current.partial = true;
    windows.push(current);
    current = undefined;
    members = [];
  };
  for (const c of onTime) {
    if (
      current &&
      Math.floor(c.t / bucket) !== Math.floor((members[0] as Contribution).t / bucket)
    ) {
      close(true);
    }
    if (!current) {
      current = newBuilder(c.t, c.t + 1);
      current.firstEventId = c.eventId;
    }
    current.state.add(c);
    members.push(c);
    if (members.length === n) close(false);
  }
  close(true);
  for (const c of late) {
    const home = windows.find((s) => s.start <= c.t && c.t < s.end);
    if (home) home.late++;
    else {
      const alone = newBuilder(c.t, c.t + 1);
      alone.firstEventId = c.eventId;
      alone.late = 1;
      windows.push(alone);
    }
  }
  return windows.map((b) => finish(group, b, lateness));
}

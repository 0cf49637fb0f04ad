/**
 * The INDEPENDENT ORACLE for windows and patterns: a deliberately naive implementation,
 * written apart from lambdas/domain (windowing.ts, cep.ts), computing from the events a
 * test sent (each once, whatever it delivered twice) what the windows and matches must be.
 * Brute force over candidate windows and chains; exact distinct counts.
 */

export interface OracleEvent {
  id: string;
  /** Event time, epoch ms. */
  t: number;
  /** Whether the test made it late (stored after its event time + allowed lateness). */
  late: boolean;
  /** The group key (aggregations) or correlation key (patterns). */
  key: string;
  type: string;
  amount?: number;
  user?: string;
}

export interface OracleWindow {
  group: string;
  start: number;
  end: number;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  distinct: number;
  late: number;
  /** Count windows with fewer than N events (cut by their bucket's end). */
  partial?: true;
}

function measure(events: OracleEvent[]): Omit<OracleWindow, "group" | "start" | "end" | "late"> {
  const amounts = events.flatMap((e) => (e.amount === undefined ? [] : [e.amount]));
  return {
    count: events.length,
    sum: amounts.reduce((a, b) => a + b, 0),
    min: amounts.length ? Math.min(...amounts) : null,
    max: amounts.length ? Math.max(...amounts) : null,
    distinct: new Set(events.flatMap((e) => (e.user === undefined ? [] : [e.user]))).size,
  };
}

const groups = (events: OracleEvent[]) => [...new Set(events.map((e) => e.key))].sort();

/** Tumbling (hop = size) and hopping windows: every aligned start that holds an event. */
export function oracleTimeWindows(
  events: OracleEvent[],
  size: number,
  hop: number,
): OracleWindow[] {
  const out: OracleWindow[] = [];
  for (const group of groups(events)) {
    const mine = events.filter((e) => e.key === group);
    const starts = new Set<number>();
    for (const e of mine) {
      for (let s = Math.floor(e.t / hop) * hop - size; s <= e.t; s += hop) {
        if (s <= e.t && e.t < s + size) starts.add(s);
      }
    }
    for (const start of [...starts].sort((a, b) => a - b)) {
      const inside = mine.filter((e) => e.t >= start && e.t < start + size);
      out.push({
        group,
        start,
        end: start + size,
        ...measure(inside.filter((e) => !e.late)),
        late: inside.filter((e) => e.late).length,
      });
    }
  }
  return out;
}

/** Sessions: on-time events chained while the next is within `gap`, never across a bucket. */
export function oracleSessions(events: OracleEvent[], gap: number, bucket: number): OracleWindow[] {
  const out: OracleWindow[] = [];
  for (const group of groups(events)) {
    const mine = events.filter((e) => e.key === group && !e.late).sort((a, b) => a.t - b.t);
    let run: OracleEvent[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const first = run[0] as OracleEvent;
      const last = run[run.length - 1] as OracleEvent;
      const end = Math.min(last.t + gap, (Math.floor(first.t / bucket) + 1) * bucket);
      const late = events.filter(
        (e) => e.key === group && e.late && e.t >= first.t && e.t < end,
      ).length;
      out.push({ group, start: first.t, end, ...measure(run), late });
      run = [];
    };
    for (const e of mine) {
      const prev = run[run.length - 1];
      if (
        prev &&
        (e.t - prev.t >= gap ||
          Math.floor(e.t / bucket) !== Math.floor((run[0] as OracleEvent).t / bucket))
      ) {
        flush();
      }
      run.push(e);
    }
    flush();
  }
  return out;
}

/** Count windows: chunks of n on-time events in time order, restarting at each bucket. */
export function oracleCountWindows(
  events: OracleEvent[],
  n: number,
  bucket: number,
): OracleWindow[] {
  const out: OracleWindow[] = [];
  for (const group of groups(events)) {
    const mine = events
      .filter((e) => e.key === group && !e.late)
      .sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : 1));
    const buckets = new Map<number, OracleEvent[]>();
    for (const e of mine) {
      const b = Math.floor(e.t / bucket);
      buckets.set(b, [...(buckets.get(b) ?? []), e]);
    }
    for (const [b, list] of buckets) {
      for (let i = 0; i < list.length; i += n) {
        const chunk = list.slice(i, i + n);
        const full = chunk.length === n;
        const start = (chunk[0] as OracleEvent).t;
        const end = full ? (chunk[chunk.length - 1] as OracleEvent).t + 1 : (b + 1) * bucket;
        const late = events.filter(
          (e) => e.key === group && e.late && e.t >= start && e.t < end,
        ).length;
        out.push({
          group,
          start,
          end,
          ...measure(chunk),
          late,
          ...(full ? {} : { partial: true as const }),
        });
      }
    }
  }
  return out;
}

/** Sequence A -> B (B's amount greater than A's): the earliest qualifying B per A. */
export function oracleSequence(
  events: OracleEvent[],
  typeA: string,
  typeB: string,
  within: number,
): string[][] {
  const onTime = events.filter((e) => !e.late).sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : 1));
  const out: string[][] = [];
  for (const a of onTime.filter((e) => e.type === typeA)) {
    const b = onTime.find(
      (e) =>
        e.type === typeB &&
        e.key === a.key &&
        (e.t > a.t || (e.t === a.t && e.id > a.id)) &&
        e.t <= a.t + within &&
        (e.amount ?? Number.NaN) > (a.amount ?? Number.NaN),
    );
    if (b) out.push([a.id, b.id]);
  }
  return out.map((m) => m).sort();
}

/** Absence: A with no B of the same key in (A.t, A.t + within]. */
export function oracleAbsence(
  events: OracleEvent[],
  typeA: string,
  typeB: string,
  within: number,
): string[][] {
  const onTime = events.filter((e) => !e.late);
  return onTime
    .filter((a) => a.type === typeA)
    .filter(
      (a) =>
        !onTime.some(
          (b) =>
            b.type === typeB &&
            b.key === a.key &&
            (b.t > a.t || (b.t === a.t && b.id > a.id)) &&
            b.t <= a.t + within,
        ),
    )
    .map((a) => [a.id])
    .sort();
}

/** Threshold: at each event, the trailing `within` holds exactly n events of the type. */
export function oracleThreshold(
  events: OracleEvent[],
  type: string,
  n: number,
  within: number,
): string[][] {
  const out: string[][] = [];
  const onTime = events
    .filter((e) => !e.late && e.type === type)
    .sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : 1));
  onTime.forEach((e, i) => {
    const trailing = onTime.slice(0, i + 1).filter((x) => x.key === e.key && x.t > e.t - within);
    if (trailing.length === n) out.push(trailing.map((x) => x.id));
  });
  return out.sort();
}

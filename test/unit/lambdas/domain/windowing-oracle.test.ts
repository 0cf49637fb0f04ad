/**
 * The window and pattern engine against the independent oracle (test/support/windows-oracle.ts)
 * on random streams: shuffled, with duplicates and late events. The engine sees contributions
 * as the store keeps them (one per event id: first write wins), in arrival order.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  evaluatePattern,
  type PatternContribution,
  patternSchema,
} from "../../../../lambdas/domain/cep.js";
import { DistinctSketch, hash53 } from "../../../../lambdas/domain/hyperloglog.js";
import {
  aggregationSchema,
  type Contribution,
  computeWindows,
  contributionOf,
} from "../../../../lambdas/domain/windowing.js";
import {
  type OracleEvent,
  oracleAbsence,
  oracleCountWindows,
  oracleSequence,
  oracleSessions,
  oracleThreshold,
  oracleTimeWindows,
} from "../../../support/windows-oracle.js";

const MIN = 60_000;
const LATENESS = 30_000;
const BASE = Date.parse("2026-12-06T10:00:00.000Z");

const eventArb = fc.record({
  offset: fc.integer({ min: 0, max: 20 * MIN }),
  late: fc.boolean().map((b) => b && Math.random() < 0.3),
  key: fc.constantFrom("a", "b", "c"),
  type: fc.constantFrom("signup", "purchase"),
  amount: fc.option(fc.integer({ min: -50, max: 500 }), { nil: undefined }),
  user: fc.option(fc.constantFrom("u1", "u2", "u3", "u4"), { nil: undefined }),
});

const streamArb = fc.array(eventArb, { minLength: 1, maxLength: 60 }).chain((raw) =>
  fc.record({
    events: fc.constant(
      raw.map<OracleEvent>((r, i) => ({
        id: `e${String(i).padStart(3, "0")}`,
        t: BASE + r.offset,
        late: r.late,
        key: r.key,
        type: r.type,
        ...(r.amount === undefined ? {} : { amount: r.amount }),
        ...(r.user === undefined ? {} : { user: r.user }),
      })),
    ),
    // Arrival: a shuffled sequence of deliveries with duplicates.
    deliveries: fc.shuffledSubarray([...raw.keys(), ...raw.keys()], {
      minLength: raw.length * 2,
      maxLength: raw.length * 2,
    }),
  }),
);

/** An event as the API stores it, from an oracle event. */
const stored = (e: OracleEvent) => ({
  id: e.id,
  type: e.type,
  time: new Date(e.t).toISOString(),
  receivedAt: new Date(e.t).toISOString(),
  data: {
    k: e.key,
    ...(e.amount === undefined ? {} : { amount: e.amount }),
    ...(e.user === undefined ? {} : { user: e.user }),
  },
});

/** The store's first-write-wins, in delivery order; late ones stored long after. */
function firstWrites<T extends { eventId: string }>(
  events: OracleEvent[],
  deliveries: number[],
  make: (e: OracleEvent, storedAt: number) => T | undefined,
): T[] {
  const kept = new Map<string, T>();
  for (const i of deliveries) {
    const e = events[i] as OracleEvent;
    if (kept.has(e.id)) continue;
    const c = make(e, e.late ? e.t + LATENESS + 10 * 24 * 60 * MIN : e.t + (i % 7) * 1000);
    if (c) kept.set(e.id, c);
  }
  return [...kept.values()];
}

const measures = [
  { name: "n", op: "count" as const },
  { name: "total", op: "sum" as const, path: "data.amount" },
  { name: "low", op: "min" as const, path: "data.amount" },
  { name: "high", op: "max" as const, path: "data.amount" },
  { name: "users", op: "distinct" as const, path: "data.user" },
];

function engineWindows(window: unknown, events: OracleEvent[], deliveries: number[]) {
  const spec = aggregationSchema.parse({
    groupBy: ["data.k"],
    measures,
    window,
    allowedLateness: "30s",
  });
  const contributions = firstWrites<Contribution>(events, deliveries, (e, at) =>
    contributionOf(spec, stored(e), at),
  );
  return computeWindows(spec, contributions).map((w) => ({
    group: JSON.parse(w.group)[0] as string,
    start: w.start,
    end: w.end,
    count: w.count,
    sum: w.measures.total,
    min: w.measures.low,
    max: w.measures.high,
    distinct: w.measures.users,
    late: w.late,
    ...(w.partial ? { partial: true as const } : {}),
  }));
}

const sortWindows = <T extends { group: string; start: number; end: number }>(ws: T[]) =>
  [...ws].sort((a, b) => a.start - b.start || a.end - b.end || (a.group < b.group ? -1 : 1));

/** The oracle gives only windows holding something, like the engine. */
const nonEmpty = <T extends { count: number; late: number }>(ws: T[]) =>
  ws.filter((w) => w.count > 0 || w.late > 0);

describe("windows against the oracle (shuffled, duplicated, late)", () => {
  it("tumbling 5m", () => {
    fc.assert(
      fc.property(streamArb, ({ events, deliveries }) => {
        const got = engineWindows({ kind: "tumbling", size: "5m" }, events, deliveries);
        const want = oracleTimeWindows(events, 5 * MIN, 5 * MIN);
        expect(sortWindows(nonEmpty(got))).toEqual(sortWindows(nonEmpty(want)));
      }),
      { numRuns: 150 },
    );
  });

  it("hopping 5m every 1m", () => {
    fc.assert(
      fc.property(streamArb, ({ events, deliveries }) => {
        const got = engineWindows({ kind: "hopping", size: "5m", hop: "1m" }, events, deliveries);
        const want = oracleTimeWindows(events, 5 * MIN, MIN);
        expect(sortWindows(nonEmpty(got))).toEqual(sortWindows(nonEmpty(want)));
      }),
      { numRuns: 150 },
    );
  });

  it("session gap 2m within 1h buckets", () => {
    fc.assert(
      fc.property(streamArb, ({ events, deliveries }) => {
        const got = engineWindows(
          { kind: "session", gap: "2m", maxDuration: "10m" },
          events,
          deliveries,
        ).filter((w) => w.count > 0);
        const want = oracleSessions(events, 2 * MIN, 10 * MIN);
        expect(sortWindows(got)).toEqual(sortWindows(want));
      }),
      { numRuns: 150 },
    );
  });

  it("count every 3 within 10m buckets", () => {
    fc.assert(
      fc.property(streamArb, ({ events, deliveries }) => {
        const got = engineWindows(
          { kind: "count", count: 3, per: "10m" },
          events,
          deliveries,
        ).filter((w) => w.count > 0);
        const want = oracleCountWindows(events, 3, 10 * MIN);
        expect(sortWindows(got)).toEqual(sortWindows(want));
      }),
      { numRuns: 150 },
    );
  });
});

function engineMatches(pattern: unknown, events: OracleEvent[], deliveries: number[]): string[][] {
  const spec = patternSchema.parse(pattern);
  const contributions = firstWrites<PatternContribution>(events, deliveries, (e, at) => {
    const steps = spec.steps.flatMap((s, i) =>
      (s.match as { type?: string[] }).type?.includes(e.type) ? [i] : [],
    );
    if (steps.length === 0) return undefined;
    return {
      eventId: e.id,
      key: e.key,
      t: e.t,
      storedAt: at,
      steps,
      fields: e.amount === undefined ? {} : { "data.amount": e.amount },
    };
  });
  return evaluatePattern(spec, contributions)
    .matches.map((m) => m.eventIds)
    .sort();
}

describe("patterns against the oracle", () => {
  it("sequence signup -> purchase with a larger amount within 3m", () => {
    fc.assert(
      fc.property(streamArb, ({ events, deliveries }) => {
        const got = engineMatches(
          {
            kind: "sequence",
            key: "data.k",
            within: "3m",
            allowedLateness: "30s",
            steps: [
              { match: { type: ["signup"] } },
              {
                match: { type: ["purchase"] },
                where: [{ path: "data.amount", op: ">", ref: { step: 0, path: "data.amount" } }],
              },
            ],
          },
          events,
          deliveries,
        );
        expect(got).toEqual(oracleSequence(events, "signup", "purchase", 3 * MIN));
      }),
      { numRuns: 150 },
    );
  });

  it("absence: signup not followed by purchase within 2m", () => {
    fc.assert(
      fc.property(streamArb, ({ events, deliveries }) => {
        const got = engineMatches(
          {
            kind: "absence",
            key: "data.k",
            within: "2m",
            allowedLateness: "30s",
            steps: [{ match: { type: ["signup"] } }, { match: { type: ["purchase"] } }],
          },
          events,
          deliveries,
        );
        expect(got).toEqual(oracleAbsence(events, "signup", "purchase", 2 * MIN));
      }),
      { numRuns: 150 },
    );
  });

  it("threshold: 3 purchases within 4m", () => {
    fc.assert(
      fc.property(streamArb, ({ events, deliveries }) => {
        const got = engineMatches(
          {
            kind: "threshold",
            key: "data.k",
            within: "4m",
            count: 3,
            allowedLateness: "30s",
            steps: [{ match: { type: ["purchase"] } }],
          },
          events,
          deliveries,
        );
        expect(got).toEqual(oracleThreshold(events, "purchase", 3, 4 * MIN));
      }),
      { numRuns: 150 },
    );
  });
});

describe("declarations", () => {
  it("refuses bad windows with the path named", () => {
    const r = aggregationSchema.safeParse({
      measures: [{ name: "n", op: "sum" }],
      window: { kind: "tumbling", size: "10s" },
    });
    expect(r.success).toBe(false);
    const paths = r.error?.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["measures.0.path", "window.size"]));
  });

  it("refuses a condition on a later step", () => {
    const r = patternSchema.safeParse({
      kind: "sequence",
      within: "1m",
      steps: [
        { match: {}, where: [{ path: "data.a", op: ">", ref: { step: 1, path: "data.a" } }] },
        { match: {} },
      ],
    });
    expect(r.success).toBe(false);
  });
});

describe("distinct sketch", () => {
  it("is exact while small and within 5% when large, whatever the merge order", () => {
    const a = new DistinctSketch();
    const b = new DistinctSketch();
    for (let i = 0; i < 100; i++) a.add(hash53(`u${i}`));
    expect(a.estimate()).toBe(100);
    for (let i = 0; i < 20_000; i++) (i % 2 ? a : b).add(hash53(`v${i}`));
    const ab = new DistinctSketch();
    ab.merge(a);
    ab.merge(b);
    const ba = new DistinctSketch();
    ba.merge(b);
    ba.merge(a);
    expect(ab.estimate()).toBe(ba.estimate());
    expect(Math.abs(ab.estimate() - 20_100) / 20_100).toBeLessThan(0.05);
  });
});

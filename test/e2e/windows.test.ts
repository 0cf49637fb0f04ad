/**
 * Windows and patterns, end to end (issue 18): aggregations of every window kind and patterns
 * of every kind declared over HTTP; a stream sent shuffled, every event twice, with late
 * events, while process batches crash after their writes, contribution writes fail after the
 * event write (the crash between the two writes), and a poison type sends events to the DLQ
 * whose failed records are then replayed. Every window (GET /v1/aggregations/{name}), every
 * emitted eventflow.window.closed and every eventflow.pattern.matched is compared with the
 * INDEPENDENT ORACLE (test/support/windows-oracle.ts) computed from the events sent.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import {
  type OracleEvent,
  type OracleWindow,
  oracleAbsence,
  oracleCountWindows,
  oracleSequence,
  oracleSessions,
  oracleThreshold,
  oracleTimeWindows,
} from "../support/windows-oracle.js";
import { Api, type EventInput, sleep, waitFor } from "./client.js";

const S = 1000;
const MIN = 60 * S;
/** Allowed lateness of every declaration: above the slowest faulted delivery of the run. */
const LATENESS_S = 100;
const FENCE_S = 1;

let platform: Platform;
let api: Api;

const run = randomUUID().slice(0, 8);
const prefix = `e2e.win.${run}.`;
const T = { signup: `${prefix}signup`, purchase: `${prefix}purchase`, refund: `${prefix}refund` };

const measures = [
  { name: "n", op: "count" },
  { name: "total", op: "sum", path: "data.amount" },
  { name: "low", op: "min", path: "data.amount" },
  { name: "high", op: "max", path: "data.amount" },
  { name: "mean", op: "avg", path: "data.amount" },
  { name: "users", op: "distinct", path: "data.user" },
];

const AGGREGATIONS = {
  [`tumble-${run}`]: { kind: "tumbling", size: "1m" },
  [`hop-${run}`]: { kind: "hopping", size: "2m", hop: "1m" },
  [`session-${run}`]: { kind: "session", gap: "20s", maxDuration: "1h" },
  [`count-${run}`]: { kind: "count", count: 3, per: "1h" },
} as const;

const PATTERNS = {
  [`seq-${run}`]: {
    kind: "sequence",
    key: "data.k",
    within: "30s",
    allowedLateness: `${LATENESS_S}s`,
    steps: [
      { match: { type: [T.signup] } },
      {
        match: { type: [T.purchase] },
        where: [{ path: "data.amount", op: ">", ref: { step: 0, path: "data.amount" } }],
      },
    ],
  },
  [`absent-${run}`]: {
    kind: "absence",
    key: "data.k",
    within: "20s",
    allowedLateness: `${LATENESS_S}s`,
    steps: [{ match: { type: [T.signup] } }, { match: { type: [T.purchase] } }],
  },
  [`burst-${run}`]: {
    kind: "threshold",
    key: "data.k",
    within: "30s",
    count: 3,
    allowedLateness: `${LATENESS_S}s`,
    steps: [{ match: { type: [T.purchase] } }],
  },
};

interface ApiWindow {
  group: Record<string, unknown>;
  start: string;
  end: string;
  closesAt: string;
  closed: boolean;
  count: number;
  measures: Record<string, number | null>;
  late: number;
}

interface Derived {
  id: string;
  type: string;
  receivedAt: string;
  enrichment?: { alert?: unknown };
  data: {
    aggregation?: string;
    pattern?: string;
    group?: Record<string, unknown>;
    window?: { start: string; end: string };
    count?: number;
    measures?: Record<string, number | null>;
    eventIds?: string[];
  };
}

/** The oracle's figures in the API's shape. */
function expectedWindow(w: OracleWindow) {
  return {
    group: { "data.k": w.group },
    start: new Date(w.start).toISOString(),
    end: new Date(w.end).toISOString(),
    count: w.count,
    measures: {
      n: w.count,
      total: w.sum,
      low: w.min,
      high: w.max,
      mean:
        w.count === 0 || w.min === null
          ? null
          : Number.parseFloat((w.sum / amountsIn(w)).toPrecision(12)),
      users: w.distinct,
    },
    late: w.late,
    ...(w.partial ? { partial: true } : {}),
  };
}

let sent: OracleEvent[] = [];
/** Amounts per window, for avg (the oracle gives sum; avg = sum / events with an amount). */
const amountCounts = new Map<string, number>();
const amountsIn = (w: OracleWindow) => amountCounts.get(`${w.group}|${w.start}|${w.end}`) ?? 1;

function withAmountCounts(windows: OracleWindow[]): OracleWindow[] {
  for (const w of windows) {
    const n = sent.filter(
      (e) =>
        !e.late && e.key === w.group && e.t >= w.start && e.t < w.end && e.amount !== undefined,
    ).length;
    amountCounts.set(`${w.group}|${w.start}|${w.end}`, n);
  }
  return windows;
}

const byWindow = (a: { start: string; end: string; group: Record<string, unknown> }, b: typeof a) =>
  a.start.localeCompare(b.start) ||
  a.end.localeCompare(b.end) ||
  JSON.stringify(a.group).localeCompare(JSON.stringify(b.group));

async function derived(type: string): Promise<Derived[]> {
  return (await api.listAll({ type, limit: "100" })).items as unknown as Derived[];
}

describe.skipIf(!localOnly)("windows and patterns: exactly once against the oracle", () => {
  beforeAll(async () => {
    platform = await startPlatform({
      settings: {
        windowSweepSeconds: 1,
        windowFenceSeconds: FENCE_S,
        windowConfigCacheSeconds: 1,
        // Crashed batches return after 6 x 3 s; transient failures retry after 1-2 s, and
        // a poisoned event reaches the DLQ after 5 quick receives.
        processTimeoutSeconds: 3,
        retryBaseDelaySeconds: 1,
        retryMaxDelaySeconds: 2,
      },
    });
    api = new Api(platform.url);
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it("declares, refuses bad declarations, and counts every event once in every window and match", async () => {
    // Declarations over HTTP (201 the first time, a new version the second).
    for (const [name, window] of Object.entries(AGGREGATIONS)) {
      const body = {
        match: { type: [{ prefix }] },
        groupBy: ["data.k"],
        measures,
        window,
        allowedLateness: `${LATENESS_S}s`,
      };
      const first = await api.request<{ version: number }>("PUT", `/v1/aggregations/${name}`, body);
      expect(first.status, first.text).toBe(201);
    }
    for (const [name, pattern] of Object.entries(PATTERNS)) {
      const answer = await api.request("PUT", `/v1/patterns/${name}`, pattern);
      expect(answer.status, answer.text).toBe(201);
    }
    const again = await api.request<{ version: number }>(
      "PUT",
      `/v1/patterns/seq-${run}`,
      PATTERNS[`seq-${run}`],
    );
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(2);
    const bad = await api.request<{ error: { details: { path: string }[] } }>(
      "PUT",
      `/v1/aggregations/bad-${run}`,
      {
        match: { type: [{ nope: 1 }] },
        measures: [{ name: "s", op: "sum" }],
        window: { kind: "tumbling", size: "5s" },
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d) => d.path)).toEqual(
      expect.arrayContaining(["measures.0.path", "window.size"]),
    );
    // A rule on the derived events (they go through the pipeline like any event): every
    // window.closed of the tumbling aggregation gets an alert line (enrich action).
    const current = await api.request<{ rules: unknown[] }>("GET", "/v1/rules");
    const ruled = await api.request("PUT", "/v1/rules", {
      rules: [
        ...current.body.rules,
        {
          name: `alert-${run}`,
          match: { type: ["eventflow.window.closed"], data: { aggregation: [`tumble-${run}`] } },
          actions: [{ type: "enrich", set: { alert: "'count ' & $string(data.count)" } }],
        },
      ],
    });
    expect(ruled.status, ruled.text).toBe(200);
    const listed = await api.request<{ items: { name: string }[] }>("GET", "/v1/aggregations");
    expect(listed.body.items.map((i) => i.name)).toEqual(
      expect.arrayContaining(Object.keys(AGGREGATIONS)),
    );

    // The stream: on-time events over the last 50 s (3 keys), late ones 10 minutes old,
    // a poisoned type; every event sent twice, all shuffled.
    const now = Date.now();
    const keys = ["a", "b", "c"];
    const types = [T.signup, T.purchase, T.purchase];
    const onTime: OracleEvent[] = Array.from({ length: 60 }, (_, i) => ({
      id: `w-${run}-${String(i).padStart(3, "0")}`,
      t: now - 50 * S + Math.floor((i * 50 * S) / 60) + (i % 7) * 13,
      late: false,
      key: keys[Math.floor(i / 2) % 3] as string,
      type: types[i % 3] as string,
      ...(i % 4 === 0 ? {} : { amount: (i * 37) % 200 }),
      ...(i % 5 === 0 ? {} : { user: `u${i % 9}` }),
    }));
    const late: OracleEvent[] = Array.from({ length: 8 }, (_, i) => ({
      id: `w-${run}-late-${i}`,
      t: now - 10 * MIN + i * 7 * S,
      late: true,
      key: keys[i % 3] as string,
      type: i % 2 ? T.purchase : T.signup,
      amount: 1000 + i,
      user: `late${i}`,
    }));
    const poisoned: OracleEvent[] = Array.from({ length: 2 }, (_, i) => ({
      id: `w-${run}-poison-${i}`,
      t: now - 5 * S + i,
      late: false,
      key: keys[i] as string,
      type: T.refund,
      amount: 7,
      user: `p${i}`,
    }));
    sent = [...onTime, ...late, ...poisoned];
    const input = (e: OracleEvent): EventInput => ({
      id: e.id,
      type: e.type,
      time: new Date(e.t).toISOString(),
      data: {
        k: e.key,
        ...(e.amount === undefined ? {} : { amount: e.amount }),
        ...(e.user === undefined ? {} : { user: e.user }),
      },
    });
    const deliveries = [...sent, ...sent].map(input);
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j] as EventInput, deliveries[i] as EventInput];
    }

    await api.faults({
      crashAfterWriteRate: 0.3,
      contributionWriteFailRate: 0.3,
      poisonType: T.refund,
    });
    for (let i = 0; i < deliveries.length; i += 17) {
      const answer = await api.request("POST", "/v1/events", {
        events: deliveries.slice(i, i + 17),
      });
      expect(answer.status).toBe(202);
    }
    // Every event stored; the poisoned ones dead-lettered as failed.
    await api.settledAll(
      sent.map((e) => e.id),
      90_000,
    );
    const failed = await waitFor(
      async () => {
        const page = await api.request<{ items: { event: { id: string } }[] }>(
          "GET",
          `/v1/failed?type=${encodeURIComponent(T.refund)}`,
        );
        return page.body.items.length >= poisoned.length ? page.body.items : undefined;
      },
      60_000,
      "the poisoned events to be dead-lettered",
    );
    expect(failed).toHaveLength(poisoned.length);
    const { counts } = await api.clearFaults();
    expect(counts.crashes).toBeGreaterThan(0);
    expect(counts.contributionWritesFailed).toBeGreaterThan(0);
    // Replay the failed events: now processed, they contribute once (twice replayed: still once).
    for (let i = 0; i < 2; i++) {
      const replay = await api.request("POST", "/v1/failed/replay", {
        ids: poisoned.map((e) => e.id),
      });
      expect([202]).toContain(replay.status);
    }
    await waitFor(
      async () => {
        const stored = await Promise.all(poisoned.map((e) => api.event(e.id)));
        return stored.every((s) => s?.status === "processed") || undefined;
      },
      60_000,
      "the replayed events to be processed",
    );
    await api.queuesEmpty(90_000);

    // Windows, as GET answers them, against the oracle.
    const from = new Date(now - 15 * MIN).toISOString();
    const to = new Date(now + 5 * MIN).toISOString();
    const results = async (name: string) => {
      const answer = await api.request<{ windows: ApiWindow[]; truncated: boolean }>(
        "GET",
        `/v1/aggregations/${name}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      );
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body.truncated).toBe(false);
      return answer.body.windows;
    };
    const strip = (ws: ApiWindow[]) =>
      ws.map(({ closed: _c, closesAt: _a, ...w }) => w).sort(byWindow);
    const want = {
      [`tumble-${run}`]: withAmountCounts(oracleTimeWindows(sent, MIN, MIN)),
      [`hop-${run}`]: withAmountCounts(oracleTimeWindows(sent, 2 * MIN, MIN)),
      [`session-${run}`]: withAmountCounts(oracleSessions(sent, 20 * S, 60 * MIN)),
      [`count-${run}`]: withAmountCounts(oracleCountWindows(sent, 3, 60 * MIN)),
    };
    for (const [name, windows] of Object.entries(want)) {
      const got = strip(await results(name));
      const timeBased = name.startsWith("tumble") || name.startsWith("hop");
      const expected = windows
        .filter((w) => w.count > 0 || (timeBased && w.late > 0))
        .map(expectedWindow)
        .sort(byWindow);
      // Session and count windows: late events outside any window get one of their own.
      const compared = timeBased ? got : got.filter((w) => w.count > 0);
      expect(compared, name).toEqual(expected);
    }

    // Every window that has closed is emitted exactly once as eventflow.window.closed, with
    // the oracle's figures; and every settled match as eventflow.pattern.matched.
    const lastClose = Math.max(
      ...Object.values(want).flatMap((ws) =>
        ws
          // A count window cut by its hour closes at the hour: neither waited for nor expected.
          .filter((w) => w.count > 0 && !w.partial)
          .map((w) => w.end + LATENESS_S * S),
      ),
    );
    const lastSettle = Math.max(...sent.map((e) => e.t + 20 * S + LATENESS_S * S));
    const cutoff = Math.max(lastClose, lastSettle);
    await sleep(Math.max(0, cutoff + (FENCE_S + 4) * S - Date.now()));
    await api.queuesEmpty(60_000);
    const closed = await waitFor(
      async () => {
        const all = (await derived("eventflow.window.closed")).filter((d) =>
          d.data.aggregation?.endsWith(run),
        );
        return all;
      },
      10_000,
      "window.closed events",
    );
    for (const [name, windows] of Object.entries(want)) {
      const expected = windows
        .filter((w) => w.count > 0 && w.end + LATENESS_S * S <= cutoff)
        .map((w) => {
          const { late: _l, partial: _p, ...rest } = expectedWindow(w);
          return rest;
        })
        .sort(byWindow);
      const got = closed
        .filter((d) => d.data.aggregation === name)
        .map((d) => ({
          group: d.data.group ?? {},
          start: d.data.window?.start ?? "",
          end: d.data.window?.end ?? "",
          count: d.data.count ?? 0,
          measures: d.data.measures ?? {},
        }))
        .filter((w) => Date.parse(w.end) + LATENESS_S * S <= cutoff)
        .sort(byWindow);
      expect(got, `${name}: window.closed`).toEqual(expected);
    }
    for (const d of closed) {
      // Emitted after the window's close time (end + lateness + fence), never before.
      expect(Date.parse(d.receivedAt)).toBeGreaterThanOrEqual(
        Date.parse(d.data.window?.end ?? "") + LATENESS_S * S,
      );
    }

    // The rule matched each tumbling window.closed as it was processed.
    const alerted = closed.filter((d) => d.data.aggregation === `tumble-${run}`);
    expect(alerted.length).toBeGreaterThan(0);
    for (const d of alerted) expect(d.enrichment?.alert).toBe(`count ${d.data.count}`);

    const matched = (await derived("eventflow.pattern.matched")).filter((d) =>
      d.data.pattern?.endsWith(run),
    );
    const matchesOf = (name: string) =>
      matched
        .filter((d) => d.data.pattern === name)
        .map((d) => d.data.eventIds ?? [])
        .sort();
    const patternEvents = sent.filter((e) => e.type !== T.refund);
    expect(matchesOf(`seq-${run}`), "sequence").toEqual(
      oracleSequence(patternEvents, T.signup, T.purchase, 30 * S),
    );
    expect(matchesOf(`absent-${run}`), "absence").toEqual(
      oracleAbsence(patternEvents, T.signup, T.purchase, 20 * S),
    );
    expect(matchesOf(`burst-${run}`), "threshold").toEqual(
      oracleThreshold(patternEvents, T.purchase, 3, 30 * S),
    );
    expect(matchesOf(`seq-${run}`).length).toBeGreaterThan(0);
    expect(matchesOf(`absent-${run}`).length).toBeGreaterThan(0);
    expect(matchesOf(`burst-${run}`).length).toBeGreaterThan(0);
  }, 420_000);
});

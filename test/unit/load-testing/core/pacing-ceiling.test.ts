/**
 * --pacing even (connections spread over the second instead of autocannon's bursts at its
 * start), --ceiling's options, and the end-to-end rate the ceiling line compares with.
 */
import { EventEmitter } from "node:events";
import type { Client } from "autocannon";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ceilingText, pipelineRate } from "../../../../load-testing/core/ceiling.js";
import { type LoadOptions, parseOptions } from "../../../../load-testing/core/options.js";
import { paceEvenly } from "../../../../load-testing/core/sender.js";
import type { TimeBucket } from "../../../../load-testing/core/stats.js";

/** The part of autocannon 9's Client that its rate limit uses (lib/httpClient.js). */
function fakeClient(rate: number) {
  const client = Object.assign(new EventEmitter(), {
    reqsMade: 0,
    responseMax: 0,
    reqsMadeThisSecond: 0,
    rateInterval: undefined as NodeJS.Timeout | undefined,
    paused: false,
    destroyed: false,
    sentAt: [] as number[],
    _doRequest() {
      if (this.reqsMadeThisSecond++ < rate) {
        this.sentAt.push(Date.now());
        this.reqsMade++;
        // An instant answer: autocannon asks for the next request on each response.
        this._doRequest();
      } else {
        this.paused = true;
      }
    },
  });
  return client;
}

/** What autocannon's constructor does after setupClient: its own timer, then connect. */
function construct(client: ReturnType<typeof fakeClient>) {
  client.rateInterval = setInterval(() => {
    client.reqsMadeThisSecond = 0;
    if (client.paused) client._doRequest();
    client.paused = false;
  }, 1000);
  client._doRequest();
}

afterEach(() => {
  vi.useRealTimers();
});

describe("paceEvenly", () => {
  it("shifts each connection's one-second window by its share of the second", () => {
    vi.useFakeTimers({ now: 0 });
    const clients = [0, 1, 2, 3].map(() => fakeClient(1));
    clients.forEach((c, i) => {
      paceEvenly(c as unknown as Client, i, clients.length);
      construct(c);
    });
    // The request built at connect goes at once (send() makes it a health check).
    expect(clients.map((c) => c.sentAt)).toEqual([[0], [0], [0], [0]]);
    vi.advanceTimersByTime(3990);
    // The paced ones, relative to the first connection's first, to 10 ms (a 0 ms timer fires at 1).
    const start = clients[0]?.sentAt[1] ?? Number.NaN;
    const rel = (t: number) => Math.round((t - start) / 10) * 10;
    expect(clients.map((c) => c.sentAt.slice(1).map(rel))).toEqual([
      [0, 1000, 2000, 3000],
      [250, 1250, 2250, 3250],
      [500, 1500, 2500, 3500],
      [750, 1750, 2750, 3750],
    ]);
  });

  it("stops its timers when autocannon destroys the connection", () => {
    vi.useFakeTimers({ now: 0 });
    const client = fakeClient(1);
    paceEvenly(client as unknown as Client, 1, 2);
    construct(client);
    vi.advanceTimersByTime(600);
    expect(client.sentAt).toHaveLength(2);
    client.destroyed = true;
    client.emit("done");
    vi.advanceTimersByTime(5000);
    expect(client.sentAt).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("options", () => {
  it("defaults to autocannon's bursts and no ceiling", () => {
    const o = parseOptions([]) as LoadOptions;
    expect(o.pacing).toBe("burst");
    expect(o.ceiling).toBeUndefined();
  });

  it("reads --pacing, --ceiling and --ceiling-concurrency", () => {
    expect((parseOptions(["--pacing", "even"]) as LoadOptions).pacing).toBe("even");
    expect((parseOptions(["--ceiling"]) as LoadOptions).ceiling).toEqual({ concurrency: 0 });
    expect((parseOptions(["--ceiling-concurrency", "40"]) as LoadOptions).ceiling).toEqual({
      concurrency: 40,
    });
    expect(() => parseOptions(["--pacing", "smooth"])).toThrow("--pacing is burst or even");
  });
});

describe("pipelineRate", () => {
  const bucket = (second: number, count: number): TimeBucket => ({
    second,
    count,
    weight: count,
    p50: null,
    p95: null,
    p99: null,
  });

  it("divides what was stored by the time from the first send to the last store", () => {
    const rate = pipelineRate([bucket(0, 900), bucket(1, 1000), bucket(2, 1100), bucket(3, 0)]);
    expect(rate).toMatchObject({ stored: 3000, seconds: 3, eventsPerSecond: 1000 });
    expect(pipelineRate([])).toEqual({
      stored: 0,
      seconds: 0,
      eventsPerSecond: 0,
      sustained: { window: 0, eventsPerSecond: 0 },
    });
  });

  it("finds the best stretch of `window` seconds: what the pipeline sustained", () => {
    // A ramp, 3 s at 1,200, a tail: the whole run averages 900, the best 3 s 1,200.
    const counts = [300, 800, 1200, 1200, 1200, 700, 900, 0, 900];
    const rate = pipelineRate(
      counts.map((c, i) => bucket(i, c)),
      3,
    );
    expect(rate).toEqual({
      stored: 7200,
      seconds: 9,
      eventsPerSecond: 800,
      sustained: { window: 3, eventsPerSecond: 1200 },
    });
    // Shorter than the window: the whole run.
    expect(pipelineRate([bucket(0, 10), bucket(1, 30)], 60).sustained).toEqual({
      window: 2,
      eventsPerSecond: 20,
    });
  });

  it("prints the rate as a share of the ceiling", () => {
    const text = ceilingText(
      {
        putsPerSecond: 1250,
        puts: 12500,
        errors: 0,
        concurrency: 100,
        seconds: 10,
        cpuPercent: 160,
        setup: "",
      },
      {
        stored: 30000,
        seconds: 40,
        eventsPerSecond: 750,
        sustained: { window: 40, eventsPerSecond: 1000 },
      },
    );
    expect(text).toContain("1250 conditional PutItem/s");
    expect(text).toContain("750 events/s end-to-end = 60.0% of the emulator ceiling");
    expect(text).toContain("sustained: 1000 events/s stored over the best 40 s = 80.0%");
  });
});

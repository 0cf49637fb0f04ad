/**
 * The producer SDK (sdk/) against the local runtime through injected faults: connection
 * resets (before the request reached the API, and after it was queued but before the
 * answer), 503 bursts, 429 with Retry-After (the proxy's and the runtime's own per-tenant
 * throttle), and a restart of the runtime mid-stream. Every event is accounted for through
 * the query API: stored exactly once, none lost, none with a second id.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UUID_V7_PATTERN } from "../../lambdas/domain/ids.js";
import { EventFlow, type EventFlowError, type Receipt } from "../../sdk/src/index.js";
import { type FaultProxy, type ProxyAction, startFaultProxy } from "../support/fault-proxy.js";
import { type LocalRuntime, localOnly, startLocalRuntime } from "../support/runtime.js";
import { Api, type StoredEvent, sleep, uniqueType, waitFor } from "./client.js";

const dataDir = mkdtempSync(join(tmpdir(), "eventflow-sdk-faults-"));
/** Low enough that the SDK's own pace meets the runtime's 429 with Retry-After. */
const SETTINGS = { tenantRateLimit: 10, tenantBurstLimit: 10 };
let runtime: LocalRuntime | undefined;
let proxy: FaultProxy | undefined;

afterAll(async () => {
  await proxy?.close();
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Request n's fate: a mix of every fault, and a 503 burst (requests 20-27). */
function plan(n: number): ProxyAction {
  if (n >= 20 && n < 28) return "503";
  if (n % 9 === 1) return "reset";
  if (n % 9 === 4) return "reset-after";
  if (n % 11 === 5) return "503-after";
  if (n % 13 === 6) return "429";
  return "pass";
}

/** Every event of `type`, through the query API, once the pipeline stored `expected`. */
async function storedOf(api: Api, type: string, expected: number): Promise<StoredEvent[]> {
  return waitFor(
    async () => {
      const { items } = await api.listAll({ type, limit: "100" });
      return items.length >= expected ? items : undefined;
    },
    120_000,
    `${expected} events of ${type} to be stored`,
    1_000,
  );
}

describe.skipIf(!localOnly)("the SDK through faults", () => {
  it("resets, 503 bursts, 429s and a restart mid-stream: every event stored exactly once", async () => {
    runtime = await startLocalRuntime({ dataDir, settings: SETTINGS });
    proxy = await startFaultProxy(runtime.url, plan);
    const errors: EventFlowError[] = [];
    const client = new EventFlow({
      url: proxy.url,
      apiKey: runtime.apiKey,
      maxBatchEvents: 50,
      flushIntervalMs: 20,
      retryBaseMs: 50,
      retryMaxMs: 1_000,
      maxRetries: 200,
      timeoutMs: 10_000,
      onError: (e) => errors.push(e),
    });
    const type = uniqueType("sdk-faults");
    // The runtime's own 429, for certain: 40 one-event requests at once (10 per second with a
    // burst of 10 are allowed), whatever pace the stream below keeps on a loaded machine.
    const burstType = uniqueType("sdk-burst");
    const burst = new EventFlow({
      url: proxy.url,
      apiKey: runtime.apiKey,
      maxBatchEvents: 1,
      maxInFlight: 40,
      retryBaseMs: 50,
      retryMaxMs: 1_000,
      maxRetries: 200,
      onError: (e) => errors.push(e),
    });
    const burstSent = burst.send(
      Array.from({ length: 40 }, (_, n) => ({ type: burstType, data: { n } })),
    );
    const N = 3_000;
    const receipts: Promise<Receipt[]>[] = [];
    let restart: Promise<void> | undefined;
    for (let chunk = 0; chunk < N / 50; chunk++) {
      const events = Array.from({ length: 50 }, (_, k) => ({ type, data: { n: chunk * 50 + k } }));
      // Half of the chunks through send() (awaiting receipts), half through track().
      if (chunk % 2 === 0) receipts.push(client.send(events));
      else for (const e of events) client.track(e);
      if (chunk === N / 100) {
        // Mid-stream: a graceful stop (503 while draining, then connection refused) and a
        // start on the same data folder, on a new port.
        const first = runtime;
        restart = (async () => {
          await first.stop();
          runtime = await startLocalRuntime({ dataDir, settings: SETTINGS });
          expect(runtime.apiKey).toBe(first.apiKey);
          (proxy as FaultProxy).upstream = runtime.url;
        })();
      }
      // The first chunks in one burst (over the tenant's 10 requests/s: the runtime's own
      // 429s), then a steady stream.
      if (chunk >= 10) await sleep(40);
    }
    await restart;
    await client.close();
    expect((await burstSent).filter((r) => r.status !== "queued")).toEqual([]);
    await burst.close();
    expect(burst.stats()).toMatchObject({ accepted: 40, rejected: 0, failed: 0, dropped: 0 });

    const sent = (await Promise.all(receipts)).flat();
    console.log(
      `sdk faults: ${N} events, ${client.stats().requests} requests, ${client.stats().retries} retries, proxy ${JSON.stringify(proxy.counts)}`,
    );
    expect(sent.filter((r) => r.status !== "queued")).toEqual([]);
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(client.stats()).toMatchObject({ accepted: N, rejected: 0, failed: 0, dropped: 0 });

    const api = new Api((runtime as LocalRuntime).url);
    const stored = await storedOf(api, type, N);
    expect(stored).toHaveLength(N);
    expect(new Set(stored.map((e) => e.id)).size).toBe(N);
    expect(stored.every((e) => UUID_V7_PATTERN.test(e.id))).toBe(true);
    const ns = stored.map((e) => e.data.n as number).sort((a, b) => a - b);
    expect(ns).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(stored.every((e) => e.status === "processed")).toBe(true);
    // The send() receipts name the ids that were stored.
    const storedIds = new Set(stored.map((e) => e.id));
    expect(sent.every((r) => storedIds.has(r.id))).toBe(true);

    // Every fault happened; what reached the API twice was deduplicated, not stored twice.
    const counts = proxy.counts;
    for (const action of ["reset", "reset-after", "503", "503-after", "429"]) {
      expect(counts[action], action).toBeGreaterThan(0);
    }
    expect(counts["upstream-429"], "the runtime's own 429").toBeGreaterThan(0);
    expect(counts["upstream-down"], "requests while the runtime was down").toBeGreaterThan(0);
    expect(client.stats().retries).toBeGreaterThan(0);
    const stats = await waitFor(
      async () => {
        const s = await api.stats(type);
        return s.processed === N && s.duplicate > 0 ? s : undefined;
      },
      30_000,
      "the statistics to count the deduplicated resends",
    );
    expect(stats.failed).toBe(0);
    console.log(`sdk faults: duplicates absorbed ${stats.duplicate}`);
    const burstStored = await storedOf(api, burstType, 40);
    expect(burstStored.map((e) => e.data.n as number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
  });

  it("CloudEvents mode through resets: stored once under the ids derived from source + id", async () => {
    const target = runtime as LocalRuntime;
    const flaky = await startFaultProxy(target.url, (n) =>
      n % 3 === 1 ? "reset-after" : n % 3 === 2 ? "reset" : "pass",
    );
    try {
      const client = new EventFlow({
        url: flaky.url,
        apiKey: target.apiKey,
        mode: "cloudevents",
        source: "/sdk-test",
        maxBatchEvents: 20,
        retryBaseMs: 20,
        retryMaxMs: 200,
      });
      const type = uniqueType("sdk-ce");
      const receipts = await client.send(
        Array.from({ length: 100 }, (_, n) => ({ type, data: { n } })),
      );
      await client.close();
      expect(receipts.every((r) => r.status === "queued" && r.id.startsWith("ce:"))).toBe(true);
      const stored = await storedOf(new Api(target.url), type, 100);
      expect(stored).toHaveLength(100);
      expect(new Set(stored.map((e) => e.id))).toEqual(new Set(receipts.map((r) => r.id)));
      expect(flaky.counts["reset-after"]).toBeGreaterThan(0);
    } finally {
      await flaky.close();
    }
  });
});

/**
 * Section 5: the producer SDK (sdk/). Two figures (issue 21):
 *
 * 1. Throughput: events/s that one SDK instance sustains against the local runtime, next
 *    to raw autocannon requests of the same batch size and the same number of requests in
 *    flight (the gateway's ceiling for that shape). The runtime runs in a child process
 *    (`local/main.ts --memory`, per-tenant throttle raised so it does not cap either side);
 *    raw and SDK runs alternate, so both meet the same backlog and machine load.
 * 2. CPU per event in the producer: the SDK end to end in-process (track, batch, serialize,
 *    receipt) against a fetch that answers at once, next to building the same request body
 *    by hand (JSON.stringify + join), the least any client does; and, from the runs in 1,
 *    the bench process's CPU per accepted event in each mode.
 */
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import autocannon, { type Result } from "autocannon";
import { EventFlow } from "../../sdk/src/index.js";
import type { Method } from "./handlers.js";
import { drained, type RuntimeChild as Runtime, startRuntimeChild } from "./runtime-child.js";
import { median } from "./stats.js";

export interface SdkOptions {
  batches: readonly number[];
  inFlight: number;
  seconds: number;
  rounds: number;
  /** Events for the in-process CPU figure. */
  cpuEvents: number;
}

export interface SdkRun {
  mode: "raw" | "sdk";
  batch: number;
  round: number;
  eventsPerSecond: number;
  requests: number;
  non202: number;
  /** Bench-process CPU (user + system) per accepted event, microseconds. */
  clientCpuUsPerEvent: number;
}

export interface SdkResult {
  runs: SdkRun[];
  /** Per batch size: median SDK events/s over median raw events/s. */
  ratio: { batch: number; raw: number; sdk: number; share: number }[];
  cpu: { sdkUsPerEvent: number; handBuiltUsPerEvent: number; overheadUsPerEvent: number };
}

export function sdkMethod(o: SdkOptions): Method {
  return {
    summary: `local runtime (--memory, tenant throttle raised) in a child process, 2 s warm-up per mode; ${o.rounds} rounds (order alternating, each run after the queue drained) of ${o.seconds} s per mode and batch size (${o.batches.join(", ")} events of ~1 KiB per request), ${o.inFlight} requests in flight: raw = autocannon (${o.inFlight} connections, each body built with new ids just before it is sent), sdk = one EventFlow instance (maxInFlight ${o.inFlight}, ids generated per event); CPU: ${o.cpuEvents} events through the SDK with a fetch that answers at once, vs building the same bodies by hand`,
    detail: [
      "events/s = events answered queued / seconds; the share is median SDK over median raw.",
      "Client CPU per event is the bench process's process.cpuUsage() over the run (autocannon's, or the SDK's).",
    ],
  };
}

const PAD = "x".repeat(960);
const event = (n: number) => ({ type: "bench.sdk", data: { n, pad: PAD } });

/** The per-tenant and API throttles raised, so they cap neither mode. */
const RAISED_LIMITS = [
  "tenantRateLimit=1000000",
  "tenantBurstLimit=1000000",
  "apiThrottleRateLimit=1000000",
  "apiThrottleBurstLimit=1000000",
  "tenantQuotaPerDay=0",
];

export async function benchSdk(o: SdkOptions): Promise<SdkResult> {
  const runtime = await startRuntimeChild(RAISED_LIMITS);
  try {
    const runs: SdkRun[] = [];
    // Warm-up, not reported: the runtime's first requests pay for lazy imports and JIT.
    await rawRun(runtime, o.batches[0] ?? 25, { ...o, seconds: 2 }, 0);
    await sdkRun(runtime, o.batches[0] ?? 25, { ...o, seconds: 2 }, 0);
    for (let round = 1; round <= o.rounds; round++) {
      for (const batch of o.batches) {
        // Each run starts with the pipeline idle (the previous run's backlog processed), and
        // the order alternates, so neither mode inherits the other's backlog more often.
        const order = round % 2 === 1 ? [rawRun, sdkRun] : [sdkRun, rawRun];
        for (const run of order) {
          await drained(runtime);
          runs.push(await run(runtime, batch, o, round));
        }
      }
    }
    runs.sort((a, b) => a.round - b.round || a.batch - b.batch || a.mode.localeCompare(b.mode));
    const ratio = o.batches.map((batch) => {
      const of = (mode: SdkRun["mode"]) =>
        median(
          runs.filter((r) => r.mode === mode && r.batch === batch).map((r) => r.eventsPerSecond),
        );
      const raw = of("raw");
      const sdk = of("sdk");
      return { batch, raw, sdk, share: raw > 0 ? sdk / raw : 0 };
    });
    return { runs, ratio, cpu: await cpuPerEvent(o.cpuEvents, o.batches[0] ?? 25) };
  } finally {
    runtime.child.kill("SIGTERM");
    await once(runtime.child, "exit");
  }
}

export function sdkLines(r: SdkResult): string[] {
  const lines = ["  mode  batch  round     events/s  requests  non-202  client CPU µs/event"];
  for (const run of r.runs) {
    lines.push(
      `  ${run.mode.padEnd(4)}  ${String(run.batch).padStart(5)}  ${String(run.round).padStart(5)}  ${run.eventsPerSecond.toFixed(0).padStart(11)}  ${String(run.requests).padStart(8)}  ${String(run.non202).padStart(7)}  ${run.clientCpuUsPerEvent.toFixed(1).padStart(19)}`,
    );
  }
  for (const x of r.ratio) {
    lines.push(
      `  batch ${x.batch}: SDK ${x.sdk.toFixed(0)} events/s vs raw ${x.raw.toFixed(0)} events/s (medians) = ${(x.share * 100).toFixed(0)}%`,
    );
  }
  lines.push(
    `  producer CPU per event in-process: SDK ${r.cpu.sdkUsPerEvent.toFixed(2)} µs, hand-built body ${r.cpu.handBuiltUsPerEvent.toFixed(2)} µs: the SDK adds ${r.cpu.overheadUsPerEvent.toFixed(2)} µs/event`,
  );
  return lines;
}

async function rawRun(rt: Runtime, batch: number, o: SdkOptions, round: number): Promise<SdkRun> {
  // Each request carries new ids, as the SDK's do: a body of repeated ids would only meet
  // duplicates downstream, which cost the pipeline (sharing the 2 cores) much less.
  const tail = JSON.stringify(event(0)).slice(1);
  const prefix = `raw-${Date.now().toString(36)}-${batch}-${round}`;
  let n = 0;
  const body = () => {
    let text = "";
    for (let i = 0; i < batch; i++) text += `${i ? "," : ""}{"id":"${prefix}-${n++}",${tail}`;
    return `{"events":[${text}]}`;
  };
  const cpu = process.cpuUsage();
  const result = await new Promise<Result>((resolve, reject) => {
    autocannon(
      {
        url: rt.url,
        connections: o.inFlight,
        pipelining: 1,
        duration: o.seconds,
        requests: [
          {
            method: "POST",
            path: "/v1/events",
            headers: { authorization: `Bearer ${rt.apiKey}`, "content-type": "application/json" },
            setupRequest: (request) => ({ ...request, body: body() }),
          },
        ],
      },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
  });
  const used = process.cpuUsage(cpu);
  const ok = result.statusCodeStats["202"]?.count ?? 0;
  const events = ok * batch;
  return {
    mode: "raw",
    batch,
    round,
    eventsPerSecond: events / o.seconds,
    requests: result.requests.total,
    non202: result.non2xx + result.errors,
    clientCpuUsPerEvent: (used.user + used.system) / Math.max(events, 1),
  };
}

async function sdkRun(rt: Runtime, batch: number, o: SdkOptions, round: number): Promise<SdkRun> {
  const client = new EventFlow({
    url: rt.url,
    apiKey: rt.apiKey,
    maxBatchEvents: batch,
    maxInFlight: o.inFlight,
    maxQueueEvents: Math.max(batch * o.inFlight * 2, 1000),
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  const end = started + o.seconds * 1000;
  let n = 0;
  let accepted = 0;
  // Producers handing over one batch's worth at a time, two per request in flight.
  const lane = async () => {
    while (performance.now() < end) {
      const receipts = await client.send(Array.from({ length: batch }, () => event(n++)));
      for (const r of receipts) if (r.status === "queued") accepted++;
    }
  };
  await Promise.all(Array.from({ length: o.inFlight * 2 }, lane));
  const seconds = (performance.now() - started) / 1000;
  await client.close();
  const used = process.cpuUsage(cpu);
  const s = client.stats();
  return {
    mode: "sdk",
    batch,
    round,
    eventsPerSecond: accepted / seconds,
    requests: s.requests,
    non202: s.retries,
    clientCpuUsPerEvent: (used.user + used.system) / Math.max(accepted, 1),
  };
}

/** CPU per event in the producer: the SDK against an instant fetch, and a hand-built body. */
async function cpuPerEvent(count: number, batch: number) {
  const receipt = (n: number) =>
    new Response(
      JSON.stringify({
        results: Array.from({ length: n }, (_, index) => ({
          index,
          id: `id-${index}`,
          status: "queued",
        })),
      }),
      { status: 202 },
    );
  const fetch = (async (_: string, init: RequestInit) => {
    // The receipt is as long as the batch: count the events in the body's ids.
    const n = (String(init.body).match(/"id":/g) ?? []).length;
    return receipt(n);
  }) as unknown as typeof globalThis.fetch;
  const measure = async (fn: () => Promise<void>) => {
    await fn(); // warm-up
    const cpu = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / count;
  };
  const viaSdk = await measure(async () => {
    const client = new EventFlow({
      url: "http://bench",
      apiKey: "k",
      fetch,
      maxBatchEvents: batch,
    });
    for (let i = 0; i < count; i++) client.track(event(i));
    await client.close();
  });
  const handBuilt = await measure(async () => {
    for (let i = 0; i < count; i += batch) {
      const events = Array.from({ length: batch }, (_, k) =>
        JSON.stringify({ id: crypto.randomUUID(), ...event(i + k) }),
      );
      const res = await fetch("http://bench", { body: `{"events":[${events.join(",")}]}` });
      JSON.parse(await res.text());
    }
  });
  return {
    sdkUsPerEvent: viaSdk,
    handBuiltUsPerEvent: handBuilt,
    overheadUsPerEvent: viaSdk - handBuilt,
  };
}

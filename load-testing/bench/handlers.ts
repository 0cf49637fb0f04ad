/**
 * Section 1: what a handler costs in CPU per event, in this process, one invocation at a
 * time (as in one Lambda execution environment), (a) against the embedded emulators and
 * (b) against a no-I/O stub of AWS.
 */
import type { APIGatewayProxyEvent, SQSEvent } from "aws-lambda";
import { installStub, StubRequestHandler } from "./aws-stub.js";
import { benchAws } from "./bench-aws.js";
import { contextFor, eventSource, ingestRequest, OutputSink, queuedRecord } from "./fixtures.js";
import { median, type Summary, summarize } from "./stats.js";

export type HandlerMode = "emulators" | "stub";

export interface HandlerCase {
  fn: "ingest" | "process";
  /** Events per request (ingest) or records per SQS batch (process). */
  batch: number;
  mode: HandlerMode;
}

/** One measured run of one case. */
export interface HandlerRound {
  invocations: number;
  events: number;
  /** Wall seconds of the measured run. */
  wallSeconds: number;
  /** Process CPU seconds of the run, minus input building and the stub's own work. */
  cpuSeconds: number;
  /** CPU seconds the stub itself used (already subtracted). */
  stubCpuSeconds: number;
  eventsPerCpuSecond: number;
  /** Bytes the handler printed (logs, EMF). */
  outputBytes: number;
  durations: number[];
}

export interface HandlerResult extends HandlerCase {
  rounds: number;
  invocations: number;
  events: number;
  cpuSeconds: number;
  stubCpuSeconds: number;
  /** Median over the rounds, and the lowest and highest round. */
  eventsPerCpuSecond: number;
  eventsPerCpuSecondRange: [number, number];
  cpuMsPerEvent: number;
  /** One invocation in flight at a time. */
  eventsPerWallSecond: number;
  /** Wall milliseconds per invocation, all rounds. */
  invocationMs: Summary;
  /** Bytes the handler printed (logs, EMF), per event. */
  outputBytesPerEvent: number;
}

export interface HandlerOptions {
  /** Rounds over all cases, interleaved, so a noisy moment hits every case a little. */
  rounds: number;
  /** Warm-up before a case's first round, and before each later round. */
  warmupSeconds: number;
  rewarmSeconds: number;
  seconds: number;
}

export const HANDLER_CASES: readonly Omit<HandlerCase, "mode">[] = [
  { fn: "ingest", batch: 1 },
  { fn: "ingest", batch: 25 },
  { fn: "ingest", batch: 100 },
  { fn: "process", batch: 10 },
  { fn: "process", batch: 100 },
];

const cpuMicros = (u: NodeJS.CpuUsage) => u.user + u.system;

export interface Method {
  /** The one line printed above the figures. */
  summary: string;
  /** The rest, for the JSON report. */
  detail: string[];
}

export function handlersMethod(o: HandlerOptions): Method {
  return {
    summary: `in-process, one invocation at a time, ${o.rounds} interleaved rounds of ${o.seconds}s per case (median [lowest-highest round]) after warm-up, production env (1 KiB events, INFO logs + EMF to a discarded stdout); events/s per core = events / process CPU s (user+system, all threads) minus input building; emulators: fauxqs + dynalite in this process, their CPU counted; stub: canned-response requestHandler on the handlers' clients, stub CPU subtracted`,
    detail: [
      `tsx, Node ${process.version}; handlers imported once, as in one warm Lambda execution environment`,
      "CPU from process.cpuUsage() over the whole measured run, minus the CPU of building each input (measured around it)",
      "(a) emulators: fauxqs + dynalite answer over loopback HTTP in this same process (local/emulators.ts), so their CPU is included",
      "(b) stub: config.requestHandler of the handlers' clients (made by the lambdas/shared factories, bench-aws.ts) replaced by StubRequestHandler (aws-stub.ts); serialization, SigV4 signing, the SQS MD5 check and deserialization still run; only network and service are gone",
      "events: the load generator's EventFactory (1024 B, default mix, no invalid events); ingest batch 1 uses the single-event body",
      "process records: fresh ids every batch (no duplicate path); Powertools log level INFO and metrics on, as deployed",
    ],
  };
}

export type Driver<T> = {
  prepare(): T;
  /** Runs one invocation; resolves to the events it handled. */
  invoke(input: T): Promise<number>;
};

export async function benchHandlers(options: HandlerOptions): Promise<HandlerResult[]> {
  const aws = await benchAws();
  const sink = new OutputSink();
  const stub = new StubRequestHandler();
  const events = eventSource(`bh${Date.now().toString(36)}`);
  const ingestContext = contextFor("ingest", aws.settings.ingestMemoryMb);
  const processContext = contextFor("process", aws.settings.processMemoryMb);

  const drivers = new Map<Omit<HandlerCase, "mode">, Driver<unknown>>();
  for (const c of HANDLER_CASES) {
    if (c.fn === "ingest") {
      // A few distinct bodies, built before the runs: ingest does not dedupe.
      const pool: APIGatewayProxyEvent[] = Array.from({ length: 16 }, () =>
        ingestRequest(Array.from({ length: c.batch }, () => events.next())),
      );
      let i = 0;
      drivers.set(c, {
        prepare: () => pool[i++ % pool.length],
        invoke: async (request) => {
          const response = await aws.ingest(request as APIGatewayProxyEvent, ingestContext);
          if (response.statusCode !== 202) {
            throw new Error(`ingest answered ${response.statusCode}: ${response.body}`);
          }
          return c.batch;
        },
      });
    } else {
      // Fresh ids every batch: a repeated id would take the duplicate path.
      drivers.set(c, {
        prepare: (): SQSEvent => ({
          Records: Array.from({ length: c.batch }, () =>
            queuedRecord(events.next(), aws.resources.queueArn),
          ),
        }),
        invoke: async (batch) => {
          const response = await aws.process(batch as SQSEvent, processContext);
          if (response.batchItemFailures.length > 0) {
            throw new Error(`process failed ${response.batchItemFailures.length} records`);
          }
          return c.batch;
        },
      });
    }
  }

  const rounds = new Map<string, HandlerRound[]>();
  const key = (c: HandlerCase) => `${c.fn}/${c.batch}/${c.mode}`;
  for (let round = 0; round < options.rounds; round++) {
    for (const mode of ["emulators", "stub"] as const) {
      const restore =
        mode === "stub"
          ? installStub([aws.clients.sqs, aws.clients.dynamodb], stub)
          : () => undefined;
      try {
        for (const [c, driver] of drivers) {
          const warmup = round === 0 ? options.warmupSeconds : options.rewarmSeconds;
          const result = await measure(driver, warmup, options.seconds, sink, stub);
          const list = rounds.get(key({ ...c, mode })) ?? [];
          list.push(result);
          rounds.set(key({ ...c, mode }), list);
          if (mode === "emulators" && c.fn === "ingest") await aws.purgeQueue();
        }
      } finally {
        restore();
      }
    }
  }

  const results: HandlerResult[] = [];
  for (const mode of ["emulators", "stub"] as const) {
    for (const c of HANDLER_CASES) {
      const list = rounds.get(key({ ...c, mode })) ?? [];
      const sum = (f: (r: HandlerRound) => number) => list.reduce((s, r) => s + f(r), 0);
      const rates = list.map((r) => r.eventsPerCpuSecond);
      const rate = median(rates);
      const events = sum((r) => r.events);
      results.push({
        ...c,
        mode,
        rounds: list.length,
        invocations: sum((r) => r.invocations),
        events,
        cpuSeconds: sum((r) => r.cpuSeconds),
        stubCpuSeconds: sum((r) => r.stubCpuSeconds),
        eventsPerCpuSecond: rate,
        eventsPerCpuSecondRange: [Math.min(...rates), Math.max(...rates)],
        cpuMsPerEvent: 1000 / rate,
        eventsPerWallSecond: events / sum((r) => r.wallSeconds),
        invocationMs: summarize(list.flatMap((r) => r.durations)),
        outputBytesPerEvent: sum((r) => r.outputBytes) / events,
      });
    }
  }
  return results;
}

export async function measure(
  driver: Driver<unknown>,
  warmupSeconds: number,
  seconds: number,
  sink: OutputSink,
  stub: StubRequestHandler,
): Promise<HandlerRound> {
  sink.install();
  try {
    const warmEnd = performance.now() + warmupSeconds * 1000;
    while (performance.now() < warmEnd) await driver.invoke(driver.prepare());
    sink.take();

    const stubBefore = stub.cpuMicros;
    let prepareMicros = 0;
    let events = 0;
    const durations: number[] = [];
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const end = start + seconds * 1000;
    while (performance.now() < end) {
      const p = process.cpuUsage();
      const input = driver.prepare();
      prepareMicros += cpuMicros(process.cpuUsage(p));
      const t = performance.now();
      events += await driver.invoke(input);
      durations.push(performance.now() - t);
    }
    const wallSeconds = (performance.now() - start) / 1000;
    const stubMicros = stub.cpuMicros - stubBefore;
    const cpuSeconds = (cpuMicros(process.cpuUsage(cpuStart)) - prepareMicros - stubMicros) / 1e6;
    return {
      invocations: durations.length,
      events,
      wallSeconds,
      cpuSeconds,
      stubCpuSeconds: stubMicros / 1e6,
      eventsPerCpuSecond: events / cpuSeconds,
      outputBytes: sink.take(),
      durations,
    };
  } finally {
    sink.restore();
  }
}

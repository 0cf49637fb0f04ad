/**
 * Section 10: the local pipeline's CPU per event (issue 20, local throughput). The local
 * runtime runs in a child process at default settings; the bench sends generated ~1 KiB
 * events (the load generator's mix, 25 per request) at a steady rate, waits until the process
 * poller has handed every one to the function and the queue is empty, and divides the
 * child's CPU over that span (every thread, from /proc: utime + stime) by the events. CPU
 * per event moves much less with the machine's other load than events/s does, so a change
 * can be judged on a shared machine; the split by thread says where it went: the main
 * thread (gateway, handlers, pollers, their SDK clients), the worker threads (the emulator
 * thread: dynalite, fauxqs), and V8's and libuv's helper threads (GC, compiler).
 */
import { once } from "node:events";
import { readdir, readFile } from "node:fs/promises";
import { EventFactory, newRunId } from "../core/events.js";
import { DEFAULT_MIX, parseMix } from "../core/mix.js";
import type { Method } from "./handlers.js";
import { drained, type RuntimeChild, runtimeStatus, startRuntimeChild } from "./runtime-child.js";
import { median } from "./stats.js";

export interface PipelineOptions {
  /** Events per measured round. */
  events: number;
  /** Events per second offered (well below the machine's limit: a backlog is not measured). */
  rate: number;
  rounds: number;
  warmupEvents: number;
}

export interface PipelineRound {
  round: number;
  events: number;
  seconds: number;
  /** Milliseconds of CPU per event: all threads, and by thread group. */
  msPerEvent: number;
  threads: Record<string, number>;
}

export interface PipelineResult {
  rounds: PipelineRound[];
  medianMsPerEvent: number;
  medianThreads: Record<string, number>;
}

const BATCH = 25;

export function pipelineMethod(o: PipelineOptions): Method {
  return {
    summary: `local runtime (--memory, default settings) in a child process; ${o.warmupEvents} events of warm-up, then ${o.rounds} rounds of ${o.events} events at ${o.rate} events/s (~1 KiB, mix ${DEFAULT_MIX}, ${BATCH} per request); CPU of every thread of the runtime's process from /proc (utime + stime) from the first send until the process poller has received every event and the queue is empty, per event; median of the rounds`,
    detail: [
      "main = the runtime's main thread (API gateway emulation, handlers, SQS pollers, change feed, their AWS SDK clients); workers = the Node worker threads (the emulator thread running dynalite and fauxqs does nearly all of it); helpers = V8's and libuv's threads (GC, compiler).",
      "Linux only (/proc).",
    ],
  };
}

/** CPU ticks (utime + stime) of each thread of a process, by thread id. */
export async function threadTicks(
  pid: number,
): Promise<Map<number, { name: string; ticks: number }>> {
  const out = new Map<number, { name: string; ticks: number }>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    out.set(Number(tid), parseStat(stat));
  }
  return out;
}

/** The name and utime + stime (clock ticks) of one /proc stat line. */
export function parseStat(stat: string): { name: string; ticks: number } {
  // The name is in parentheses and may itself hold spaces or parentheses.
  const open = stat.indexOf("(");
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  // After the name: state is field 3, utime field 14, stime field 15 (proc(5)).
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (open < 0 || close < open || !Number.isFinite(ticks)) {
    throw new Error(`unreadable /proc stat line: ${stat.slice(0, 80)}`);
  }
  return { name: stat.slice(open + 1, close), ticks };
}

/** Ticks per thread group between two snapshots (threads that ended are not counted). */
export function groupDelta(
  pid: number,
  before: Map<number, { name: string; ticks: number }>,
  after: Map<number, { name: string; ticks: number }>,
): Record<string, number> {
  const groups: Record<string, number> = { main: 0, workers: 0, helpers: 0 };
  for (const [tid, { name, ticks }] of after) {
    const delta = ticks - (before.get(tid)?.ticks ?? 0);
    const group = tid === pid ? "main" : name === "WorkerThread" ? "workers" : "helpers";
    groups[group] = (groups[group] ?? 0) + delta;
  }
  return groups;
}

/** Sends `count` events at `rate` events/s, 25 per request, a few requests in flight. */
async function send(
  rt: RuntimeChild,
  factory: EventFactory,
  from: number,
  count: number,
  rate: number,
) {
  const requests = Math.ceil(count / BATCH);
  const interval = (BATCH / rate) * 1000;
  const started = performance.now();
  const pending = new Set<Promise<void>>();
  for (let r = 0; r < requests; r++) {
    const wait = started + r * interval - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const size = Math.min(BATCH, count - r * BATCH);
    const events = Array.from(
      { length: size },
      (_, i) => factory.create(from + r * BATCH + i, Date.now()).event,
    );
    const p = fetch(`${rt.url}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${rt.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ events }),
    }).then(async (res) => {
      await res.arrayBuffer();
      if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}`);
    });
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => {});
    if (pending.size >= 16) await Promise.race(pending);
  }
  await Promise.all(pending);
}

export async function benchPipeline(o: PipelineOptions): Promise<PipelineResult> {
  if (process.platform !== "linux")
    throw new Error("the pipeline section reads /proc (Linux only)");
  const rt = await startRuntimeChild();
  const pid = rt.child.pid as number;
  try {
    const factory = new EventFactory({
      runId: newRunId(),
      mix: parseMix(DEFAULT_MIX),
      sizeBytes: 1024,
      invalidShare: 0,
      random: Math.random,
    });
    let sent = 0;
    const run = async (count: number) => {
      const before = (await runtimeStatus(rt)).pollers.process?.records ?? 0;
      await send(rt, factory, sent, count, o.rate);
      sent += count;
      await drained(rt, 600_000, before + count);
    };
    await run(o.warmupEvents);
    const rounds: PipelineRound[] = [];
    for (let round = 1; round <= o.rounds; round++) {
      const t0 = await threadTicks(pid);
      const started = performance.now();
      await run(o.events);
      const t1 = await threadTicks(pid);
      const seconds = (performance.now() - started) / 1000;
      // Linux reports 100 ticks a second (USER_HZ): a tick is 10 ms.
      const groups = groupDelta(pid, t0, t1);
      const perEvent = (ticks: number) => (ticks * 10) / o.events;
      const threads = Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, perEvent(v)]));
      const total = Object.values(groups).reduce((a, b) => a + b, 0);
      rounds.push({ round, events: o.events, seconds, msPerEvent: perEvent(total), threads });
    }
    const medianThreads = Object.fromEntries(
      ["main", "workers", "helpers"].map((k) => [k, median(rounds.map((r) => r.threads[k] ?? 0))]),
    );
    return { rounds, medianMsPerEvent: median(rounds.map((r) => r.msPerEvent)), medianThreads };
  } finally {
    rt.child.kill("SIGTERM");
    await once(rt.child, "exit");
  }
}

export function pipelineLines(r: PipelineResult): string[] {
  const fmt = (v: number | undefined) => (v ?? 0).toFixed(3).padStart(9);
  const lines = ["  round   events  seconds  CPU ms/event     main    workers  helpers"];
  for (const x of r.rounds) {
    lines.push(
      `  ${String(x.round).padStart(5)}  ${String(x.events).padStart(7)}  ${x.seconds.toFixed(0).padStart(7)}  ${fmt(x.msPerEvent)}     ${fmt(x.threads.main)}  ${fmt(x.threads.workers)}  ${fmt(x.threads.helpers)}`,
    );
  }
  lines.push(
    `  median: ${r.medianMsPerEvent.toFixed(3)} ms of CPU per event (main ${fmt(r.medianThreads.main).trim()}, workers ${fmt(r.medianThreads.workers).trim()}, helpers ${fmt(r.medianThreads.helpers).trim()})`,
  );
  return lines;
}

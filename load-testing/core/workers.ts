/**
 * Several generators, one run (issue 20): each generator (a process here, or a host) sends
 * its share with ids of its own (`<runId>-w<i>-<n>`) and writes its ledger to a file; the
 * files merge into one ledger and one send phase, and the run is then drained, verified
 * and reported once, with the same lost / duplicated / unexpected checks as a single
 * generator's run.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Ledger, type LedgerSnapshot, type StatsSnapshot } from "./accounting.js";
import type { SendPhase } from "./sender.js";
import { TimeSeries, type TimeSeriesSnapshot } from "./stats.js";

export const LEDGER_FILE_VERSION = 1;

/** What one generator writes (`--send-only FILE`). */
export interface LedgerFile {
  version: typeof LEDGER_FILE_VERSION;
  runId: string;
  worker: { index: number; count: number };
  /** /v1/stats before this generator sent (per type), to check the counters' growth. */
  statsBefore?: [
    type: string,
    counters: { processed: number; failed: number; duplicate: number },
  ][];
  phase: Omit<SendPhase, "requestSeries" | "acceptedSeries"> & {
    requestSeries: TimeSeriesSnapshot;
    acceptedSeries: TimeSeriesSnapshot;
  };
  ledger: LedgerSnapshot;
}

export function ledgerFile(
  runId: string,
  worker: { index: number; count: number },
  phase: SendPhase,
  ledger: Ledger,
  statsBefore: StatsSnapshot | undefined,
): LedgerFile {
  return {
    version: LEDGER_FILE_VERSION,
    runId,
    worker,
    ...(statsBefore ? { statsBefore: [...statsBefore].map(([t, c]) => [t, { ...c }]) } : {}),
    phase: {
      ...phase,
      requestSeries: phase.requestSeries.snapshot(),
      acceptedSeries: phase.acceptedSeries.snapshot(),
    },
    ledger: ledger.snapshot(),
  };
}

export interface MergedRun {
  runId: string;
  ledger: Ledger;
  phase: SendPhase;
  /** The earliest snapshot (fewest events counted): taken before any generator's events. */
  statsBefore?: StatsSnapshot;
  generators: number;
}

/** Merges generators' ledger files into one run; refuses files of different runs. */
export function mergeLedgerFiles(files: LedgerFile[]): MergedRun {
  const first = files[0];
  if (!first) throw new Error("no ledger files to merge");
  for (const f of files) {
    if (f.version !== LEDGER_FILE_VERSION) throw new Error(`ledger file version ${f.version}`);
    if (f.runId !== first.runId) {
      throw new Error(`ledger files of two runs: ${first.runId} and ${f.runId}`);
    }
  }
  const workers = new Set(files.map((f) => f.worker.index));
  if (workers.size !== files.length) throw new Error("the same worker's ledger given twice");
  const ledger = new Ledger();
  for (const f of files) ledger.absorb(f.ledger);
  const startedAtMs = Math.min(...files.map((f) => f.phase.startedAtMs));
  const requestSeries = new TimeSeries(startedAtMs);
  const acceptedSeries = new TimeSeries(startedAtMs);
  const statusCodes: Record<string, number> = {};
  for (const f of files) {
    requestSeries.absorb(f.phase.requestSeries);
    acceptedSeries.absorb(f.phase.acceptedSeries);
    for (const [k, v] of Object.entries(f.phase.statusCodes))
      statusCodes[k] = (statusCodes[k] ?? 0) + v;
  }
  const sum = (pick: (f: LedgerFile) => number) => files.reduce((s, f) => s + pick(f), 0);
  // autocannon's latency histogram cannot be merged: the busiest generator's is kept.
  const busiest = files.reduce((a, b) =>
    b.phase.autocannon.requests > a.phase.autocannon.requests ? b : a,
  );
  const phase: SendPhase = {
    startedAtMs,
    finishedAtMs: Math.max(...files.map((f) => f.phase.finishedAtMs)),
    statusCodes,
    requestsAnswered: sum((f) => f.phase.requestsAnswered),
    requestSeries,
    acceptedSeries,
    latenciesMs: files.flatMap((f) => f.phase.latenciesMs),
    autocannon: {
      latency: busiest.phase.autocannon.latency,
      errors: sum((f) => f.phase.autocannon.errors),
      timeouts: sum((f) => f.phase.autocannon.timeouts),
      non2xx: sum((f) => f.phase.autocannon.non2xx),
      resets: sum((f) => f.phase.autocannon.resets),
      requests: sum((f) => f.phase.autocannon.requests),
    },
  };
  const snapshots = files.flatMap((f) => (f.statsBefore ? [f.statsBefore] : []));
  const total = (snap: NonNullable<LedgerFile["statsBefore"]>) =>
    snap.reduce((s, [, c]) => s + c.processed + c.failed + c.duplicate, 0);
  const earliest = snapshots.sort((a, b) => total(a) - total(b))[0];
  return {
    runId: first.runId,
    ledger,
    phase,
    ...(earliest ? { statsBefore: new Map(earliest) } : {}),
    generators: files.length,
  };
}

export async function readLedgerFiles(paths: string[]): Promise<LedgerFile[]> {
  return Promise.all(paths.map(async (p) => JSON.parse(await readFile(p, "utf8")) as LedgerFile));
}

export async function writeLedgerFile(file: string, content: LedgerFile): Promise<void> {
  await writeFile(file, JSON.stringify(content));
}

/**
 * Runs `count` generator processes of this command (`--worker i/count --send-only FILE`,
 * the same other arguments), waits for all, and returns their ledger files. A generator
 * that fails fails the run.
 */
export async function runGeneratorProcesses(
  argv: readonly string[],
  count: number,
  runId: string,
  log: (line: string) => void,
): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), `eventflow-load-${runId}-`));
  const script = process.argv[1] ?? "load-testing/load.ts";
  const files = Array.from({ length: count }, (_, i) => path.join(dir, `ledger-${i}.json`));
  const base = withoutOption(withoutOption(argv, "--processes"), "--run-id");
  await Promise.all(
    files.map(
      (file, i) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [
              ...process.execArgv,
              script,
              ...base,
              "--run-id",
              runId,
              "--worker",
              `${i}/${count}`,
              "--send-only",
              file,
            ],
            { stdio: ["ignore", "ignore", "pipe"] },
          );
          let err = "";
          child.stderr.on("data", (d: Buffer) => {
            err = (err + d.toString()).slice(-4000);
          });
          child.on("error", reject);
          child.on("exit", (code) => {
            if (code === 0) {
              log(`generator ${i}/${count} done`);
              resolve();
            } else reject(new Error(`generator ${i}/${count} exited ${code}: ${err.trim()}`));
          });
        }),
    ),
  );
  return files;
}

/** argv without `--name VALUE` / `--name=VALUE`. */
export function withoutOption(argv: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === name) {
      i++;
      continue;
    }
    if (a.startsWith(`${name}=`)) continue;
    out.push(a);
  }
  return out;
}

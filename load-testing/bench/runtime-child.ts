/**
 * The local runtime in a child process for the bench sections that drive it over HTTP
 * (`local/main.ts --memory --json`): its URL, dev key and pid, and a wait for its queue.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { REPO_ROOT } from "../../lib/constructs/eventflow-function.js";

export interface RuntimeChild {
  child: ChildProcess;
  url: string;
  apiKey: string;
}

/** `settings` are `--set name=value` pairs; none = the defaults. */
export async function startRuntimeChild(settings: readonly string[] = []): Promise<RuntimeChild> {
  const args = ["--import", "tsx", "local/main.ts", "--memory", "--port", "0", "--json"];
  args.push("--log-level", "warn");
  for (const s of settings) args.push("--set", s);
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("AWS_ENDPOINT_URL")) delete env[key];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  for await (const line of lines) {
    if (!line.includes('"EventFlow ready"')) continue;
    const doc = JSON.parse(line) as { port: number; apiKey: string };
    lines.on("line", () => {});
    return { child, url: `http://127.0.0.1:${doc.port}`, apiKey: doc.apiKey };
  }
  throw new Error("the local runtime exited before it was ready");
}

type Depth = { visible: number; inFlight: number; delayed: number };

export interface RuntimeStatus {
  queues: { queue: Depth };
  pollers: Record<string, { inFlight: number; records: number }>;
}

export async function runtimeStatus(rt: RuntimeChild): Promise<RuntimeStatus> {
  return (await (await fetch(`${rt.url}/_local/status`)).json()) as RuntimeStatus;
}

/**
 * Waits until the runtime's queue is empty and no batch is being processed (and, with
 * `records`, until the process poller has handed at least that many records to the function).
 */
export async function drained(rt: RuntimeChild, timeoutMs = 180_000, records = 0): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await runtimeStatus(rt);
    const q = status.queues.queue;
    const busy = Object.values(status.pollers).some((p) => p.inFlight > 0);
    const done = (status.pollers.process?.records ?? 0) >= records;
    if (q.visible + q.inFlight + q.delayed === 0 && !busy && done) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the runtime's queue did not drain");
}

/**
 * Test support: a platform to drive over HTTP. With EVENTFLOW_URL set (a deployed
 * stack's base URL, stage included), that URL, with the key in EVENTFLOW_API_KEY;
 * otherwise the local runtime as a child process (`local/main.ts --port 0 --json`), so a
 * test can signal it, kill it and restart it on the same data folder, with the
 * development key it prints.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import type { FaultInput } from "../../local/faults.js";

const repoRoot = resolve(import.meta.dirname, "../..");

export interface LocalRuntimeOptions {
  /** Settings overrides, as `--set key=value`. */
  settings?: Record<string, string | number>;
  /** Data folder; absent runs in memory. */
  dataDir?: string;
  faults?: FaultInput;
  drainTimeoutSeconds?: number;
  logLevel?: "debug" | "info" | "warn" | "error" | "silent";
  /** Milliseconds to wait for the ready line. */
  startTimeoutMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LocalRuntime {
  url: string;
  port: number;
  pid: number;
  /** The runtime's development key (tenant "local", every scope). */
  apiKey: string;
  /** Its DynamoDB endpoint: where `npm run keys -- --endpoint` creates more keys. */
  dynamodbEndpoint: string;
  /** Its SQS (and SNS) endpoint: where tests make destination queues and topics. */
  sqsEndpoint: string;
  /** The child's recent output lines (for failure messages). */
  logs(): string[];
  signal(signal: NodeJS.Signals): void;
  /** Resolves when the child exits. */
  readonly exited: Promise<ExitInfo>;
  /** SIGTERM and wait (graceful); SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
}

/** Starts `local/main.ts` and waits for its ready line. */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const args = ["--import", "tsx", "local/main.ts", "--port", "0", "--json"];
  args.push("--log-level", options.logLevel ?? "warn");
  if (options.dataDir) args.push("--data-dir", options.dataDir);
  else args.push("--memory");
  for (const [key, value] of Object.entries(options.settings ?? {})) {
    args.push("--set", `${key}=${value}`);
  }
  if (options.drainTimeoutSeconds !== undefined) {
    args.push("--drain-timeout", String(options.drainTimeoutSeconds));
  }
  const f = options.faults ?? {};
  if (f.dynamodbThrottleRate) args.push("--fault-throttle-rate", String(f.dynamodbThrottleRate));
  if (f.dynamodbUnreachableSeconds) {
    args.push("--fault-unreachable-seconds", String(f.dynamodbUnreachableSeconds));
  }
  if (f.crashAfterWriteRate) args.push("--fault-crash-rate", String(f.crashAfterWriteRate));
  if (f.poisonType) args.push("--fault-poison-type", f.poisonType);

  // The child runs its own emulators: endpoints from the test environment must not leak in.
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith("AWS_ENDPOINT_URL")) delete env[key];
  }
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };
  const exited: Promise<ExitInfo> = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  if (child.stderr) createInterface({ input: child.stderr }).on("line", keep);
  type Where = {
    url: string;
    port: number;
    apiKey: string;
    dynamodbEndpoint: string;
    sqsEndpoint: string;
  };
  const ready = new Promise<Where>((resolvePromise, reject) => {
    if (!child.stdout) return reject(new Error("no stdout"));
    createInterface({ input: child.stdout }).on("line", (line) => {
      keep(line);
      if (!line.includes('"EventFlow ready"')) return;
      try {
        const doc = JSON.parse(line) as {
          port: number;
          apiKey: string;
          dynamodb: string;
          sqs: string;
        };
        resolvePromise({
          port: doc.port,
          url: `http://127.0.0.1:${doc.port}`,
          apiKey: doc.apiKey,
          dynamodbEndpoint: doc.dynamodb,
          sqsEndpoint: doc.sqs,
        });
      } catch (error) {
        reject(error);
      }
    });
    void exited.then((info) =>
      reject(
        new Error(
          `the local runtime exited (${info.code ?? info.signal}) before it was ready:\n${lines.join("\n")}`,
        ),
      ),
    );
  });
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`the local runtime was not ready in ${timeoutMs} ms:\n${lines.join("\n")}`),
        ),
      timeoutMs,
    );
  });
  let where: Where;
  try {
    where = await Promise.race([ready, timeout]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const pid = child.pid ?? 0;
  keysByUrl.set(where.url, where.apiKey);
  // A first authenticated request, as a client's first call would: the authorizer's answer
  // is then cached (authorizerCacheSeconds), so a fault a test injects right away (DynamoDB
  // throttled or unreachable) meets a warm key, as a busy producer's would on AWS.
  await fetch(`${where.url}/v1/health`, {
    headers: { authorization: `Bearer ${where.apiKey}` },
  }).then(
    (r) => r.arrayBuffer(),
    () => undefined,
  );
  return {
    ...where,
    pid,
    logs: () => [...lines],
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    exited,
    stop: async (ms = 60_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), ms);
      try {
        return await exited;
      } finally {
        clearTimeout(killer);
      }
    },
  };
}

/** The key each started runtime printed, by URL (Api in test/e2e/client.ts sends it). */
const keysByUrl = new Map<string, string>();

/** The key for a platform URL: the local runtime's, else EVENTFLOW_API_KEY (deployed stack). */
export function apiKeyFor(url: string): string | undefined {
  return keysByUrl.get(url.replace(/\/+$/, "")) ?? process.env.EVENTFLOW_API_KEY;
}

export interface Platform {
  /** Base URL: append /v1/events. */
  url: string;
  /** The key the suite sends: the local runtime's dev key, or EVENTFLOW_API_KEY. */
  apiKey?: string;
  /** The local runtime (undefined against a deployed stack). */
  local?: LocalRuntime;
  stop(): Promise<void>;
}

/** EVENTFLOW_URL when set (a deployed stack), otherwise a local runtime. */
export async function startPlatform(options: LocalRuntimeOptions = {}): Promise<Platform> {
  const deployed = process.env.EVENTFLOW_URL;
  if (deployed) {
    const apiKey = process.env.EVENTFLOW_API_KEY;
    return {
      url: deployed.replace(/\/+$/, ""),
      ...(apiKey ? { apiKey } : {}),
      stop: async () => {},
    };
  }
  const local = await startLocalRuntime(options);
  return {
    url: local.url,
    apiKey: local.apiKey,
    local,
    stop: async () => {
      await local.stop();
    },
  };
}

/** Whether tests that need the local runtime's controls (faults, signals) can run. */
export const localOnly = !process.env.EVENTFLOW_URL;

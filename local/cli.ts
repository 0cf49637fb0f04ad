/**
 * `npm start` flags (node:util parseArgs, no CLI dependency) and the help text.
 * Settings use the CDK context keys of lib/config.ts: `--set key=value`.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { resolveSettings, settingsSchema } from "../lib/config.js";
import type { FaultInput } from "./faults.js";
import type { LogLevel } from "./log.js";

export class CliError extends Error {}

export interface CliOptions {
  help: boolean;
  port: number;
  host: string;
  dataDir: string | null;
  reset: boolean;
  settings: Record<string, string>;
  drainTimeoutSeconds: number;
  json: boolean;
  logLevel: LogLevel;
  faults: FaultInput;
}

const LOG_LEVELS: LogLevel[] = ["debug", "info", "warn", "error", "silent"];

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  port: { type: "string", short: "p" },
  host: { type: "string" },
  "data-dir": { type: "string" },
  memory: { type: "boolean" },
  reset: { type: "boolean" },
  set: { type: "string", multiple: true },
  "drain-timeout": { type: "string" },
  json: { type: "boolean" },
  "log-level": { type: "string" },
  "fault-throttle-rate": { type: "string" },
  "fault-unreachable-seconds": { type: "string" },
  "fault-crash-rate": { type: "string" },
  "fault-poison-type": { type: "string" },
} as const;

export function parseCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  repoRoot: string,
  stdoutIsTty: boolean,
): CliOptions {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];
  try {
    ({ values } = parseArgs({
      args: argv,
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new CliError(`${(error as Error).message} (see npm start -- --help)`);
  }
  const number = (flag: string, raw: string | undefined, fallback: number, min = 0, max = 1e9) => {
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new CliError(`--${flag} must be a number between ${min} and ${max}, got "${raw}"`);
    }
    return n;
  };
  const port = number("port", values.port ?? env.PORT, 3000, 0, 65_535);
  if (!Number.isInteger(port)) throw new CliError(`--port must be an integer, got "${port}"`);
  if (values.memory && values["data-dir"]) {
    throw new CliError("--memory and --data-dir exclude each other: pick one");
  }
  const settings: Record<string, string> = {};
  for (const pair of values.set ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new CliError(`--set expects key=value, got "${pair}"`);
    const key = pair.slice(0, eq).trim();
    if (!(key in settingsSchema.shape)) {
      throw new CliError(
        `unknown setting "${key}"; known settings: ${Object.keys(settingsSchema.shape).join(", ")}`,
      );
    }
    settings[key] = pair.slice(eq + 1);
  }
  const logLevel = (values["log-level"] ?? "info").toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
  }
  const faults: FaultInput = {};
  if (values["fault-throttle-rate"] !== undefined) {
    faults.dynamodbThrottleRate = number(
      "fault-throttle-rate",
      values["fault-throttle-rate"],
      0,
      0,
      1,
    );
  }
  if (values["fault-unreachable-seconds"] !== undefined) {
    faults.dynamodbUnreachableSeconds = number(
      "fault-unreachable-seconds",
      values["fault-unreachable-seconds"],
      0,
      0,
      86_400,
    );
  }
  if (values["fault-crash-rate"] !== undefined) {
    faults.crashAfterWriteRate = number("fault-crash-rate", values["fault-crash-rate"], 0, 0, 1);
  }
  if (values["fault-poison-type"]) faults.poisonType = values["fault-poison-type"];

  return {
    help: values.help ?? false,
    port,
    host: values.host ?? "127.0.0.1",
    dataDir: values.memory ? null : resolve(values["data-dir"] ?? resolve(repoRoot, ".eventflow")),
    reset: values.reset ?? false,
    settings,
    drainTimeoutSeconds: number("drain-timeout", values["drain-timeout"], 30, 0, 3600),
    json: values.json ?? !stdoutIsTty,
    logLevel,
    faults,
  };
}

export function helpText(): string {
  const defaults = resolveSettings({});
  const settingLines = Object.entries(defaults)
    .map(([key, value]) => {
      const shown = Array.isArray(value) ? value.join(",") || '""' : value === "" ? '""' : value;
      return `    ${key.padEnd(34)} ${String(shown)}`;
    })
    .join("\n");
  return `EventFlow local runtime: the whole platform on one machine, faithful to AWS.

Usage: npm start -- [options]

Starts, in one process: SQS (fauxqs) and DynamoDB (dynalite) emulators, the
stack's queue, DLQ and table (same settings as the CDK stack), the REST API and
the SQS event sources that run the process and DLQ functions.

Options
  -p, --port <n>                  API port (default 3000, or PORT; 0 picks a free one)
      --host <address>            interface to listen on (default 127.0.0.1)
      --data-dir <folder>         where queues and events are kept between runs
                                  (default .eventflow/ in the repository, git-ignored)
      --memory                    keep everything in memory: a throwaway run
      --reset                     empty the data folder before starting
      --set <key=value>           override a setting (repeatable), e.g.
                                  --set processBatchSize=20 --set processMaxBatchingWindowSeconds=1
      --drain-timeout <seconds>   on SIGINT/SIGTERM, how long to drain queued and
                                  in-flight work before stopping (default 30)
      --json                      log JSON lines (default when stdout is not a terminal)
      --log-level <level>         debug, info, warn, error or silent (default info);
                                  also the handlers' POWERTOOLS_LOG_LEVEL
  -h, --help                      this text

Fault injection (off by default; also at run time: POST /_local/faults)
      --fault-throttle-rate <0-1>       share of DynamoDB requests answered with
                                        ProvisionedThroughputExceededException
      --fault-unreachable-seconds <n>   DynamoDB unreachable (ECONNREFUSED) for n seconds
      --fault-crash-rate <0-1>          share of process batches that "crash" after the
                                        handler wrote and before it answered
      --fault-poison-type <type>        events of this type always fail transiently in
                                        the process function (they end in the DLQ)

API keys
  Every API route needs one: Authorization: Bearer <key> (or curl -u <key>:). The first
  start creates a key for tenant "local" with every scope, keeps it in <data-dir>/dev-key
  and prints it (--memory: a new one each run). More keys, against the running runtime:
    npm run keys -- create --tenant <tenant> --scopes events:write[,events:read,admin]
    npm run keys -- list|revoke|rotate --tenant <tenant> [--key efk_<id>]

Local-only endpoints (on AWS these are unknown resources: 404 Not Found)
  GET    /_local/status     queues, pollers, settings, endpoints
  GET    /_local/faults     current faults and how often each fired
  POST   /_local/faults     JSON, e.g. {"dynamodbThrottleRate":0.2,"dynamodbUnreachableSeconds":10,
                            "crashAfterWriteRate":0.5,"poisonType":"test.poison"} (null clears poisonType)
  DELETE /_local/faults     all faults off
  GET    /_local/metrics    Powertools metrics (EMF) aggregated in memory; DELETE resets

External services
  When AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL_DYNAMODB is set, that
  service is used instead of its embedded emulator (LocalStack, DynamoDB Local...), and the
  queue, DLQ and table are created there when missing. AWS_REGION defaults to us-east-1 and
  dummy credentials are used when none are set.

Settings (--set key=value; defaults shown, the same keys as cdk -c eventflow:<key>=<value>)
${settingLines}
  Accepted for parity, no effect locally: alarm*, retainData, ingestProvisionedConcurrency*,
  queue/dlq retention (fauxqs never expires messages), eventRetentionDays (dynalite has no TTL).

Stopping
  Ctrl-C (SIGINT) or SIGTERM stops accepting requests (503), drains the queues, stops
  the pollers and the emulators, and exits 0. A second signal exits at once (code 130).
`;
}

/**
 * `npm start`: the local runtime's entry point. Parses flags, starts the runtime,
 * prints where everything is, and shuts down gracefully on SIGINT/SIGTERM
 * (local/signals.ts).
 */
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SettingsError } from "../lib/config.js";
import { API_PREFIX } from "../lib/contracts/functions.js";
import { CliError, helpText, parseCli } from "./cli.js";
import { API_KEY_VARIABLE } from "./keys.js";
import { isLoopbackAddress } from "./listen.js";
import { createLogger, rawStdout } from "./log.js";
import { type Runtime, RuntimeStartError, startRuntime } from "./runtime.js";
import { DUPLICATE_SIGNAL_WINDOW_MS, signalPolicy } from "./signals.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** A line a person can act on, then a non-zero exit. */
function fail(message: string, code = 1): never {
  process.stderr.write(`eventflow: ${message}\n`);
  process.exit(code);
}

function sampleCurl(url: string): string {
  const body = JSON.stringify({
    type: "purchase",
    source: "local-demo",
    data: { orderId: "o-1001", amount: 1250, currency: "USD" },
  });
  return `curl -sS -X POST ${url}${API_PREFIX}/events -H "Authorization: Bearer $${API_KEY_VARIABLE}" -H 'content-type: application/json' -d '${body}'`;
}

async function main(): Promise<void> {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli(process.argv.slice(2), process.env, repoRoot, process.stdout.isTTY === true);
  } catch (error) {
    if (error instanceof CliError) fail(error.message, 2);
    throw error;
  }
  if (cli.help) {
    rawStdout.write(helpText());
    return;
  }
  // Whatever the runtime and its emulators create (the data folder's SQLite and LevelDB
  // files included) is the user's alone: 0600 files, 0700 folders (local/data-dir.ts).
  process.umask(0o077);
  const color = !cli.json && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const log = createLogger({ json: cli.json, level: cli.logLevel, color });

  let runtime: Runtime;
  try {
    runtime = await startRuntime({
      repoRoot,
      port: cli.port,
      host: cli.host,
      dataDir: cli.dataDir,
      reset: cli.reset,
      settings: cli.settings,
      drainTimeoutSeconds: cli.drainTimeoutSeconds,
      json: cli.json,
      color,
      logLevel: cli.logLevel,
      faults: cli.faults,
      logger: log,
    });
  } catch (error) {
    if (error instanceof RuntimeStartError || error instanceof SettingsError) fail(error.message);
    fail(`could not start: ${error instanceof Error ? error.message : String(error)}`);
  }

  if (!isLoopbackAddress(runtime.boundAddress)) {
    process.stderr.write(
      `eventflow: WARNING: listening on ${runtime.boundAddress} (--host ${cli.host}), not loopback: other machines can reach the API, the console and /_local/status. The dev key and /_local/ changes are refused to them; the emulators stay on 127.0.0.1.\n`,
    );
  }
  const where = runtime.dataDir
    ? relative(process.cwd(), runtime.dataDir) || runtime.dataDir
    : "memory (nothing is kept)";
  const emulated = (embedded: boolean, endpoint: string, name: string) =>
    embedded ? `${name} (embedded) ${endpoint}` : `external ${endpoint}`;
  if (cli.json) {
    // Always printed, whatever the log level: scripts and tests wait for this line.
    const ready = {
      timestamp: new Date().toISOString(),
      level: "INFO",
      component: "runtime",
      message: "EventFlow ready",
      url: runtime.url,
      port: runtime.port,
      apiBase: `${runtime.url}${API_PREFIX}`,
      console: `${runtime.url}/`,
      dataDir: runtime.dataDir,
      sqs: runtime.endpoints.sqs,
      dynamodb: runtime.endpoints.dynamodb,
      // The development key (tenant "local", every scope): send it as a Bearer token.
      apiKey: runtime.devKey,
      apiKeyFile: runtime.devKeyFile,
      faults: runtime.faults.active ? runtime.faults.snapshot() : undefined,
    };
    rawStdout.write(`${JSON.stringify(ready)}\n`);
  } else {
    const lines = [
      "",
      "  EventFlow is running locally",
      "",
      `  Console    ${runtime.url}/  (live pipeline; API docs at /docs)`,
      `  API        ${runtime.url}${API_PREFIX}`,
      `  Data       ${where}`,
      `  SQS        ${emulated(runtime.endpoints.embeddedSqs, runtime.endpoints.sqs, "fauxqs")}`,
      `  DynamoDB   ${emulated(runtime.endpoints.embeddedDynamodb, runtime.endpoints.dynamodb, "dynalite")}`,
      `  Local      ${runtime.url}/_local/status  ·  /_local/metrics  ·  /_local/faults`,
      ...(runtime.faults.active
        ? [`  Faults     ${JSON.stringify(runtime.faults.snapshot())}`]
        : []),
      "",
      `  API key    ${runtime.devKey}`,
      `             tenant "local", every scope; ${runtime.devKeyFile ? `kept in ${relative(process.cwd(), runtime.devKeyFile) || runtime.devKeyFile}` : "new each --memory run"}`,
      "",
      "  Try:",
      `    export ${API_KEY_VARIABLE}=${runtime.devKey}`,
      `    ${sampleCurl(runtime.url)}`,
      `    curl -sS -H "Authorization: Bearer $${API_KEY_VARIABLE}" ${runtime.url}${API_PREFIX}/events/<id from the answer>`,
      "    npm run keys -- create --tenant <tenant> --scopes events:write   (more keys)",
      "",
      "  Ctrl-C stops (drains the queues first; again after a second exits at once).",
      "",
    ];
    rawStdout.write(`${lines.join("\n")}\n`);
  }

  const onSignal = signalPolicy({
    onShutdown: (signal) => {
      log.info(`${signal} received`);
      runtime
        .shutdown({ drain: true })
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          process.stderr.write(`eventflow: shutdown failed: ${String(error)}\n`);
          process.exit(1);
        });
    },
    onDuplicate: (signal) =>
      log.info(`${signal} again within ${DUPLICATE_SIGNAL_WINDOW_MS} ms: a copy, still draining`),
    onForce: (signal) => {
      process.stderr.write(`eventflow: ${signal} again: exiting without draining\n`);
      process.exit(130);
    },
  });
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

await main();

/** Command-line options of `npm run load`, parsed and validated without side effects. */
import { parseArgs } from "node:util";
import { LIMITS } from "../../lambdas/domain/event.js";
import { DEFAULT_MIX, type MixEntry, parseMix } from "./mix.js";

export interface LoadOptions {
  url: URL;
  apiKey?: string;
  /** Target events per second; undefined sends as fast as the connections allow. */
  rate?: number;
  batch: number;
  /** Exactly one of durationSeconds and count is set. */
  durationSeconds?: number;
  count?: number;
  connections: number;
  mix: MixEntry[];
  sizeBytes: number;
  duplicates: number;
  invalid: number;
  drainTimeoutSeconds: number;
  timeoutSeconds: number;
  maxDurationSeconds: number;
  verify: "list" | "get";
  verifyConcurrency: number;
  seed?: number;
  out?: string;
  json: boolean;
  /** With --rate: "burst" sends each second's requests at its start (autocannon), "even" spreads them. */
  pacing: "burst" | "even";
  /** raw: autocannon, the gateway's ceiling; sdk: the producer SDK (sdk/), what producers see. */
  client: "raw" | "sdk";
  /** After the run, measure the emulator's ceiling (core/ceiling.ts) at this concurrency (0: the runtime's). */
  ceiling?: { concurrency: number };
}

export const HELP = `Usage: npm run load -- [options]

Sends generated events to an EventFlow API (POST /v1/events), waits for the pipeline
to drain, checks through the query API that every accepted event is stored exactly
once with the expected status, and writes a JSON result and an HTML report.

Load
  --url URL              API base URL (default http://localhost:3000)
  --api-key KEY          sent as "Authorization: Bearer KEY" (default: $EVENTFLOW_API_KEY)
  --rate N               target events/s (default: as fast as possible)
  --pacing MODE          with --rate: burst sends each second's requests at its start
                         (autocannon's rate limit, default); even spaces the connections'
                         requests evenly over the second (steady load, for latency targets)
  --client MODE          raw: requests built and sent by autocannon, one per connection in
                         flight: the gateway's own ceiling (default); sdk: one producer SDK
                         client (sdk/, --batch events per request, --connections requests in
                         flight, its retries): latency per event from hand-over to receipt
  --batch N              events per request, 1-${LIMITS.maxBatchEvents} (default 25; 1 sends the single-event form)
  --duration S           seconds of sending (default 10), or
  --count N              events to send (original events; duplicates come on top)
  --connections N        concurrent connections (default 10)
  --mix SPEC             event types and weights (default ${DEFAULT_MIX})
  --size BYTES           approximate size of one event (default 1024)
  --duplicates SHARE     share of sends that re-send an accepted event's id (default 0)
  --invalid SHARE        share of events breaking a business rule; they must end "failed" (default 0)
  --timeout S            request timeout (default 30)
  --max-duration S       hard cap of the send phase in --count mode (default 3600)
  --seed N               seed of the event generator (default: random)

Verification
  --drain-timeout S      seconds to wait for the pipeline to process everything (default 120)
  --verify MODE          list: page GET /v1/events by type and time (default);
                         get: GET /v1/events/{id} for every event
  --verify-concurrency N parallel query requests (default 16)

Ceiling (local runtime)
  --ceiling              after the run, measure conditional PutItem/s into a fresh dynalite
                         (the emulator's ceiling) and print the run's end-to-end rate as a
                         share of it
  --ceiling-concurrency N  writes in flight (default: the runtime's processMaxConcurrency
                         x processBatchSize from /_local/status, else 100)

Output
  --out DIR              report folder (default reports/load-<timestamp>)
  --json                 print only the JSON result on stdout
  --help                 this text

Exit status: 0 when no event was lost, duplicated or unexpected; 1 otherwise; 2 on bad usage.
`;

export class UsageError extends Error {}

function num(
  name: string,
  raw: string | undefined,
  { min, max, integer = false }: { min: number; max: number; integer?: boolean },
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"}, got "${raw}"`);
  }
  if (value < min || value > max) {
    throw new UsageError(`--${name} must be within ${min}-${max}, got ${value}`);
  }
  return value;
}

export function parseOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): LoadOptions | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: "string" },
        "api-key": { type: "string" },
        rate: { type: "string" },
        batch: { type: "string" },
        duration: { type: "string" },
        count: { type: "string" },
        connections: { type: "string" },
        mix: { type: "string" },
        size: { type: "string" },
        duplicates: { type: "string" },
        invalid: { type: "string" },
        timeout: { type: "string" },
        "max-duration": { type: "string" },
        seed: { type: "string" },
        "drain-timeout": { type: "string" },
        verify: { type: "string" },
        "verify-concurrency": { type: "string" },
        out: { type: "string" },
        json: { type: "boolean" },
        pacing: { type: "string" },
        client: { type: "string" },
        ceiling: { type: "boolean" },
        "ceiling-concurrency": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  const s = (k: string) => values[k] as string | undefined;

  let url: URL;
  try {
    url = new URL(s("url") ?? "http://localhost:3000");
  } catch {
    throw new UsageError(`--url is not a URL: ${s("url")}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError("--url must be http:// or https://");
  }

  const batch = num("batch", s("batch"), { min: 1, max: LIMITS.maxBatchEvents, integer: true });
  const sizeBytes = num("size", s("size"), { min: 1, max: LIMITS.maxEventBytes - 1024 }) ?? 1024;
  const effectiveBatch = batch ?? 25;
  // Keep a request under the body limit, with room for the envelope and JSON commas.
  if (effectiveBatch * (sizeBytes + 64) + 64 > LIMITS.maxBodyBytes) {
    throw new UsageError(
      `--batch ${effectiveBatch} x --size ${sizeBytes} exceeds the ${LIMITS.maxBodyBytes}-byte request limit`,
    );
  }
  const duration = num("duration", s("duration"), { min: 1, max: 86_400 });
  const count = num("count", s("count"), { min: 1, max: 100_000_000, integer: true });
  if (duration !== undefined && count !== undefined) {
    throw new UsageError("give --duration or --count, not both");
  }
  const verify = s("verify") ?? "list";
  if (verify !== "list" && verify !== "get") throw new UsageError("--verify is list or get");
  let mix: MixEntry[];
  try {
    mix = parseMix(s("mix") ?? DEFAULT_MIX);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const apiKey = s("api-key") ?? env.EVENTFLOW_API_KEY;
  const rate = num("rate", s("rate"), { min: 1, max: 10_000_000 });
  const seed = num("seed", s("seed"), { min: 0, max: 2 ** 32 - 1, integer: true });
  const out = s("out");
  const pacing = s("pacing") ?? "burst";
  if (pacing !== "burst" && pacing !== "even") throw new UsageError("--pacing is burst or even");
  const client = s("client") ?? "raw";
  if (client !== "raw" && client !== "sdk") throw new UsageError("--client is raw or sdk");
  const ceilingConcurrency = num("ceiling-concurrency", s("ceiling-concurrency"), {
    min: 1,
    max: 10_000,
    integer: true,
  });

  return {
    url,
    ...(apiKey ? { apiKey } : {}),
    ...(rate !== undefined ? { rate } : {}),
    batch: effectiveBatch,
    ...(count !== undefined ? { count } : { durationSeconds: duration ?? 10 }),
    connections: num("connections", s("connections"), { min: 1, max: 1000, integer: true }) ?? 10,
    mix,
    sizeBytes,
    duplicates: num("duplicates", s("duplicates"), { min: 0, max: 0.9 }) ?? 0,
    invalid: num("invalid", s("invalid"), { min: 0, max: 1 }) ?? 0,
    drainTimeoutSeconds: num("drain-timeout", s("drain-timeout"), { min: 0, max: 86_400 }) ?? 120,
    timeoutSeconds: num("timeout", s("timeout"), { min: 1, max: 600, integer: true }) ?? 30,
    maxDurationSeconds: num("max-duration", s("max-duration"), { min: 1, max: 86_400 }) ?? 3600,
    verify,
    verifyConcurrency:
      num("verify-concurrency", s("verify-concurrency"), { min: 1, max: 256, integer: true }) ?? 16,
    ...(seed !== undefined ? { seed } : {}),
    ...(out ? { out } : {}),
    json: values.json === true,
    pacing,
    client,
    ...(values.ceiling || ceilingConcurrency !== undefined
      ? { ceiling: { concurrency: ceilingConcurrency ?? 0 } }
      : {}),
  };
}

export interface RatePlan {
  /** Requests per second over all connections (autocannon's overallRate); undefined: unlimited. */
  requestsPerSecond?: number;
  /** Events per request: the requested batch, lowered for low rates. */
  batch: number;
  /** The events/s the plan actually targets (rate rounded to whole requests per second). */
  eventsPerSecond?: number;
  connections: number;
}

/**
 * autocannon limits requests per second (whole numbers, per 1-second window), so a
 * target in events/s becomes whole requests/s of equal batches no larger than --batch
 * (the target is then met within one event per request).
 */
export function planRate(
  options: Pick<LoadOptions, "rate" | "batch" | "connections" | "count">,
): RatePlan {
  const { rate, count } = options;
  let { batch, connections } = options;
  // A connection with nothing left to send would still send one request.
  if (count !== undefined) connections = Math.min(connections, Math.ceil(count / batch));
  if (rate === undefined) return { batch, connections };
  const requestsPerSecond = Math.max(1, Math.ceil(rate / batch));
  batch = Math.min(batch, Math.ceil(rate / requestsPerSecond));
  return {
    requestsPerSecond,
    batch,
    eventsPerSecond: requestsPerSecond * batch,
    connections: Math.max(1, Math.min(connections, requestsPerSecond)),
  };
}

#!/usr/bin/env node
/**
 * History from the command line (README "History"): SQL over the archive (DuckDB on the
 * local runtime's files, Athena on a deployed stack), and the history API's verbs (exports,
 * replays, erasure, a subject's data) against the local runtime or a deployed stack.
 *
 *   npm run history -- sql "SELECT type, count(*) FROM events WHERE tenant='local' GROUP BY 1"
 *   npm run history -- export --from 2026-12-01T00:00:00Z --type purchase --format parquet
 *   npm run history -- replay --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z --rate 50
 *   npm run history -- replay --from 7d --to dst_01jf... (one destination)
 *   npm run history -- replay --from 7d --aggregation purchases-per-user (a backfill)
 *   npm run history -- erase user-42
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { INSTANT_HINT, parseInstant } from "../lambdas/domain/replay.js";
import { LOCAL_RUNTIME } from "../lib/contracts/local-runtime.js";
import { STACK_OUTPUT } from "../lib/contracts/stack-outputs.js";
import {
  API_TARGET_OPTIONS,
  apiErrorLines,
  apiTargetFromFlags,
  requestApi,
} from "./tools/api-target.js";
import { type CliIo, DEFAULT_CLI_IO, printTable } from "./tools/cli-io.js";
import { AthenaClient, type QueryResult, queryAthena, queryDuckDb } from "./tools/history-sql.js";
import { dataDirOf, readRuntimeInfo } from "./tools/local-runtime.js";
import { readStackOutputs, stackRegion } from "./tools/stack-outputs.js";
import { UsageError } from "./tools/usage-error.js";

const USAGE = `Usage: npm run history -- <verb> [arguments] [options]

Verbs:
  sql "<SQL>"             query history: tables \`events\` (latest revision of each event)
                          and \`events_archive\` (every revision); columns tenant, day
                          (YYYY-MM-DD), id, type, source, subject, time, received_at, status,
                          data (JSON text), ... (README History). DuckDB on the local archive,
                          or Athena with --stack-outputs (name a tenant: tenant = '...').
  export                  start an export and wait for its download URL
      --from T [--to T] [--type T] [--pattern JSON] [--format jsonl|parquet]
  replay                  replay archived events and follow it: into the pipeline (default),
                          to one destination, or into one aggregation (a backfill)
      --from T [--to T] [--type T] [--pattern JSON] [--rate N]
      [--destination dst_... | --to dst_...]   deliver to this destination only
      [--aggregation NAME]                      contribute to this aggregation only
  replay-status ID | cancel ID
  erase SUBJECT           erase a subject everywhere and follow the receipt
  erasure ID              an erasure's receipt
  subject SUBJECT         everything the archive holds about a subject (JSON)

Times: RFC 3339, or a duration ago (30m, 1h, 7d).
Options:
  --json                  sql: print rows as JSON lines
  --no-wait               export/replay/erase: print the job and return
  --data-dir D            the local runtime's data folder (default ${LOCAL_RUNTIME.dataDir})
  --url U                 API base URL (default: EVENTFLOW_URL, else ${LOCAL_RUNTIME.defaultUrl})
  --stack-outputs F       a deployed stack (\`cdk deploy --outputs-file F\`): its API, and
                          for sql its Athena workgroup and Glue database
  --stack NAME            the stack in F when it holds several
  --api-key K             default: EVENTFLOW_API_KEY, else the local dev key
  -h, --help
`;

export type Io = Pick<CliIo, "fetch" | "out" | "err" | "env" | "now" | "sleep" | "readFile">;

const defaultIo: Io = DEFAULT_CLI_IO;

const OPTIONS = {
  from: { type: "string" },
  to: { type: "string" },
  type: { type: "string" },
  pattern: { type: "string" },
  format: { type: "string" },
  rate: { type: "string" },
  destination: { type: "string" },
  aggregation: { type: "string" },
  json: { type: "boolean" },
  "no-wait": { type: "boolean" },
  "data-dir": { type: "string" },
  ...API_TARGET_OPTIONS,
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>["values"];

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [verb, arg] = positionals;
  if (values.help || !verb) {
    io.out(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    switch (verb) {
      case "sql":
        if (!arg) throw new UsageError('sql needs a query: npm run history -- sql "SELECT ..."');
        return await sql(arg, values, io);
      case "export":
        return await startAndFollow(
          "exports",
          rangeBody(values, io, { format: values.format }),
          values,
          io,
        );
      case "replay":
        return await startAndFollow("replays", replayBody(values, io), values, io);
      case "replay-status":
        return await show(`/v1/replays/${required(arg, "a replay id")}`, "GET", values, io);
      case "cancel":
        return await show(`/v1/replays/${required(arg, "a replay id")}`, "DELETE", values, io);
      case "erase":
        return await follow(
          await call(
            `/v1/subjects/${encodeURIComponent(required(arg, "a subject"))}`,
            "DELETE",
            values,
            io,
          ),
          "erasures",
          values,
          io,
        );
      case "erasure":
        return await show(`/v1/erasures/${required(arg, "an erasure id")}`, "GET", values, io);
      case "subject":
        return await show(
          `/v1/subjects/${encodeURIComponent(required(arg, "a subject"))}/export`,
          "GET",
          values,
          io,
        );
      default:
        throw new UsageError(`unknown verb ${verb}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ApiFailure) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}

const required = (value: string | undefined, what: string): string => {
  if (!value) throw new UsageError(`give ${what}`);
  return value;
};

async function sql(query: string, values: Values, io: Io): Promise<number> {
  let result: QueryResult;
  if (values["stack-outputs"]) {
    const outputs = readStackOutputs(
      values["stack-outputs"],
      io.readFile,
      [STACK_OUTPUT.historyWorkGroup, STACK_OUTPUT.historyDatabase],
      values.stack,
    );
    const athena = new AthenaClient({ region: stackRegion(outputs, io.env) });
    result = await queryAthena(
      athena,
      {
        workGroup: outputs.get(STACK_OUTPUT.historyWorkGroup),
        database: outputs.get(STACK_OUTPUT.historyDatabase),
      },
      query,
    );
    athena.destroy();
  } else {
    result = await queryDuckDb(archiveRoot(values, io), query);
  }
  if (values.json) {
    for (const row of result.rows) {
      io.out(JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c, row[i]]))));
    }
  } else {
    printTable(
      io.out,
      result.columns,
      result.rows.map((r) => r.map((v) => (v === null ? "" : String(v)))),
      { clip: 60 },
    );
  }
  const scanned =
    result.scannedBytes === undefined
      ? ""
      : `, ${(result.scannedBytes / 1e6).toFixed(1)} MB scanned`;
  io.err(
    `${result.rows.length} row(s), ${result.engine}, ${Math.round(result.elapsedMs)} ms${scanned}`,
  );
  return 0;
}

/** Where the local archive's objects are: the running runtime's, else the data folder's. */
function archiveRoot(values: Values, io: Io): string {
  const dataDir = dataDirOf(values["data-dir"]);
  const info = readRuntimeInfo(dataDir, io.readFile);
  return (
    info?.archiveFileRoot ??
    join(dataDir, LOCAL_RUNTIME.s3Dir, "buckets", LOCAL_RUNTIME.archiveBucketName, "objects")
  );
}

function rangeBody(
  values: Values,
  io: Io,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const now = io.now();
  // RFC 3339 or a duration ago; a value that is neither is refused here, not sent as nothing.
  const instant = (v: string | undefined) => {
    if (!v) return undefined;
    const at = parseInstant(v, now);
    if (!at) throw new UsageError(`${v}: ${INSTANT_HINT}`);
    return at;
  };
  if (!values.from) throw new UsageError("give --from (RFC 3339, or a duration ago such as 7d)");
  let pattern: unknown;
  if (values.pattern) {
    try {
      pattern = JSON.parse(values.pattern);
    } catch {
      throw new UsageError("--pattern must be JSON (an EventBridge event pattern)");
    }
  }
  const body: Record<string, unknown> = { from: instant(values.from) };
  if (values.to) body.to = instant(values.to);
  if (values.type) body.type = values.type;
  if (pattern !== undefined) body.pattern = pattern;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) body[k] = v;
  return body;
}

/** A destination id (`dst_` + 26 characters): `--to` names one instead of a range end. */
const DESTINATION_ID = /^dst_[a-z0-9]{26}$/;

/** POST /v1/replays' body: the range, the rate and the target (README "History"). */
export function replayBody(values: Values, io: Io): Record<string, unknown> {
  const destination =
    values.destination ?? (values.to && DESTINATION_ID.test(values.to) ? values.to : undefined);
  if (destination && values.aggregation) {
    throw new UsageError("give one target: --destination (or --to dst_...) or --aggregation");
  }
  const range = {
    ...values,
    ...(values.to && values.to === destination ? { to: undefined } : {}),
  };
  const target = destination
    ? { destination }
    : values.aggregation
      ? { aggregation: values.aggregation }
      : undefined;
  return rangeBody(range, io, {
    ...(values.rate ? { rate: Number(values.rate) } : {}),
    ...(target ? { target } : {}),
  });
}

class ApiFailure extends Error {}

/** One API call; an error answer throws ApiFailure with the API's message and details. */
async function call(
  path: string,
  method: string,
  values: Values,
  io: Io,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const target = apiTargetFromFlags(values, io);
  const answer = await requestApi(io.fetch, target, method, path, body);
  if (!answer.ok) {
    throw new ApiFailure(
      `${method} ${path}: ${apiErrorLines(answer)
        .join("\n")
        .replace(/^error: /, "")}`,
    );
  }
  return answer.body;
}

async function show(path: string, method: string, values: Values, io: Io): Promise<number> {
  io.out(JSON.stringify(await call(path, method, values, io), null, 2));
  return 0;
}

async function startAndFollow(
  kind: "exports" | "replays",
  body: Record<string, unknown>,
  values: Values,
  io: Io,
): Promise<number> {
  return follow(await call(`/v1/${kind}`, "POST", values, io, body), kind, values, io);
}

/** Polls a job until it finishes, printing its progress; prints the final job. */
async function follow(
  job: Record<string, unknown>,
  kind: "exports" | "replays" | "erasures",
  values: Values,
  io: Io,
): Promise<number> {
  io.err(`${kind.slice(0, -1)} ${String(job.id)} ${String(job.status)}`);
  if (values["no-wait"]) {
    io.out(JSON.stringify(job, null, 2));
    return 0;
  }
  let last = "";
  for (;;) {
    const status = String(job.status);
    const progress = job.progress as { selected?: number; done?: number } | undefined;
    const line = `${status} ${progress?.done ?? 0}/${progress?.selected ?? 0}`;
    if (line !== last) io.err(`  ${line}`);
    last = line;
    if (["succeeded", "failed", "cancelled"].includes(status)) break;
    await io.sleep(1000);
    job = await call(`/v1/${kind}/${String(job.id)}`, "GET", values, io);
  }
  io.out(JSON.stringify(job, null, 2));
  return job.status === "succeeded" ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}

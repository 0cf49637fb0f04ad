#!/usr/bin/env node
/**
 * Inspect and replay failed events through the API (GET /v1/failed, POST
 * /v1/failed/replay), against the local runtime or a deployed stack.
 *
 *   npm run replay -- --list --kind dead_letter
 *   npm run replay -- --type order.paid --since 1h --dry-run
 *   npm run replay -- --type order.paid --since 1h --rate 50
 *
 * Relative times (`--since 1h`) are turned into instants here, once, so every chunk of a
 * long replay selects from the same window; anything else is passed on as given and the
 * API says what is wrong with it (400 with field errors: printed, exit code 2).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { apiKeyOf, baseUrl, DEFAULT_URL } from "./tools/api-target.js";
import { type CliIo, DEFAULT_CLI_IO, printTable } from "./tools/cli-io.js";
import { relativeToInstant } from "./tools/durations.js";
import { UsageError } from "./tools/usage-error.js";

export { DEFAULT_URL };

/** The API's cap on events per replay call. */
const MAX_CHUNK = 1000;
/** The API's cap on a list page. */
const MAX_PAGE = 100;

const USAGE = `Usage: npm run replay -- [selection] [mode] [options]

Selection (combined with AND; replaying with none needs --all):
  --type T            event type
  --kind K            business_rule | dead_letter | malformed
  --reason R          substring of the failure reason (case-sensitive)
  --since T           failed at or after T: RFC 3339, or a duration ago (30m, 1h, 7d)
  --until T           failed at or before T (same forms)
  --ids a,b,c         these event ids (each must also match the selection)
Mode:
  --list              show the failed events as a table; change nothing
  --dry-run           show what would be replayed; change nothing
  (neither)           replay, then print a summary
  --all               allow a replay with no selection (every failed event)
Options:
  --rate N            replay at most N events per second (calls of N events, paced)
  --limit N           --list: rows to show (default 50)
  --url U             API base URL (default: EVENTFLOW_URL, else ${DEFAULT_URL})
  --stack-outputs F   read the URL from \`cdk deploy --outputs-file F\` (ApiUrl)
  --stack NAME        the stack in F when it holds several
  --api-key K         an API key with the admin scope (--list: events:read), sent as
                      Authorization: Bearer (default: EVENTFLOW_API_KEY, else the local
                      runtime's .eventflow/dev-key when the URL is the default)
  -h, --help
`;

export type Io = Pick<CliIo, "fetch" | "out" | "err" | "env" | "now" | "sleep" | "readFile">;

const defaultIo: Io = DEFAULT_CLI_IO;

/** A failure already printed; carries the exit code. */
class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

interface Options {
  selection: Record<string, string>;
  ids?: string[];
  list: boolean;
  dryRun: boolean;
  all: boolean;
  rate?: number;
  limit: number;
  url: string;
  apiKey?: string;
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  try {
    const options = parseOptions(argv, io);
    if (!options) {
      io.out(USAGE);
      return 0;
    }
    const client = new ApiClient(options, io);
    if (options.list) await list(options, client, io);
    else await replay(options, client, io);
    return 0;
  } catch (error) {
    if (error instanceof Exit) return error.code;
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}`);
      io.err("Run with --help for the options.");
      return 2;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function parseOptions(argv: string[], io: Io): Options | undefined {
  let values: ReturnType<typeof parse>["values"];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return undefined;
  const now = io.now();
  const selection: Record<string, string> = {};
  for (const key of ["type", "kind", "reason"] as const) {
    const value = values[key];
    if (value !== undefined) selection[key] = value;
  }
  for (const key of ["since", "until"] as const) {
    const value = values[key];
    if (value !== undefined) selection[key] = relativeToInstant(value, now) ?? value;
  }
  const ids = values.ids
    ?.split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  if (values.ids !== undefined && ids?.length === 0) throw new UsageError("--ids lists no id");
  const list = values.list ?? false;
  const dryRun = values["dry-run"] ?? false;
  if (list && dryRun) throw new UsageError("--list and --dry-run are two modes; pick one");
  const all = values.all ?? false;
  if (!list && !dryRun && !all && !ids && Object.keys(selection).length === 0) {
    throw new UsageError(
      "no selection: give --type, --kind, --reason, --since, --until or --ids, or --all to replay every failed event",
    );
  }
  const rate = values.rate === undefined ? undefined : positiveInt("--rate", values.rate);
  const limit = values.limit === undefined ? 50 : positiveInt("--limit", values.limit);
  return {
    selection,
    ...(ids ? { ids } : {}),
    list,
    dryRun,
    all,
    ...(rate === undefined ? {} : { rate }),
    limit,
    url: baseUrl(values.url, values["stack-outputs"], values.stack, io),
    ...apiKeyOf(values["api-key"], values.url ?? values["stack-outputs"], io),
  };
}

const parse = (argv: string[]) =>
  parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      type: { type: "string" },
      kind: { type: "string" },
      reason: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      ids: { type: "string" },
      list: { type: "boolean" },
      "dry-run": { type: "boolean" },
      all: { type: "boolean" },
      rate: { type: "string" },
      limit: { type: "string" },
      url: { type: "string" },
      "stack-outputs": { type: "string" },
      stack: { type: "string" },
      "api-key": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });

function positiveInt(flag: string, value: string): number {
  if (!/^\d{1,7}$/.test(value) || Number(value) < 1) {
    throw new UsageError(`${flag} must be a positive integer, not "${value}"`);
  }
  return Number(value);
}

interface ApiError {
  error?: { code?: string; message?: string; details?: { path: string; message: string }[] };
}

class ApiClient {
  constructor(
    private readonly options: Options,
    private readonly io: Io,
  ) {}

  async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let response: Response;
    try {
      response = await this.io.fetch(`${this.options.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      this.io.err(
        `error: cannot reach ${this.options.url} (${cause instanceof Error ? cause.message : cause})`,
      );
      this.io.err("Is the local runtime running (npm start)? Or pass --url / --stack-outputs.");
      throw new Exit(1);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = {};
    }
    if (response.ok) return parsed as T;
    const e = (parsed as ApiError).error;
    this.io.err(
      `error: ${response.status} ${e?.code ?? ""} ${e?.message ?? text.slice(0, 200)}`.trim(),
    );
    for (const d of e?.details ?? []) this.io.err(`  ${d.path}: ${d.message}`);
    // The caller's request was wrong (400): nothing to retry.
    throw new Exit(response.status >= 400 && response.status < 500 ? 2 : 1);
  }
}

interface FailedItem {
  id: string;
  type: string;
  failure: { kind: string; reason: string };
  attempts: number;
  failedAt: string;
  status?: string;
}

async function list(options: Options, client: ApiClient, io: Io): Promise<void> {
  const rows: FailedItem[] = [];
  let more = false;
  if (options.ids) {
    for (const id of options.ids) {
      const e = await client
        .call<FailedItem & { status: string }>("GET", `/v1/events/${encodeURIComponent(id)}`)
        .catch((error) => {
          if (error instanceof Exit && error.code === 2) return undefined;
          throw error;
        });
      if (e?.status === "failed") rows.push(e);
    }
  } else {
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({
        ...renameTimes(options.selection),
        limit: String(Math.min(MAX_PAGE, options.limit - rows.length)),
        ...(cursor ? { cursor } : {}),
      });
      const page = await client.call<{ items: FailedItem[]; nextCursor?: string }>(
        "GET",
        `/v1/failed?${query}`,
      );
      rows.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && rows.length < options.limit);
    more = cursor !== undefined;
  }
  if (rows.length === 0) {
    io.out("No failed events match.");
    return;
  }
  printTable(
    io.out,
    ["FAILED AT", "ID", "TYPE", "KIND", "ATTEMPTS", "REASON"],
    rows.map((r) => [
      r.failedAt ?? "",
      r.id,
      r.type,
      r.failure?.kind ?? "",
      String(r.attempts),
      r.failure?.reason ?? "",
    ]),
    { clip: 60 },
  );
  io.out(
    `${rows.length} failed event${rows.length === 1 ? "" : "s"}${more ? ` shown; more match (raise --limit)` : ""}.`,
  );
}

/** GET /v1/failed names the failedAt bounds from/to; the replay body names them since/until. */
function renameTimes(selection: Record<string, string>): Record<string, string> {
  const { since, until, ...rest } = selection;
  return { ...rest, ...(since ? { from: since } : {}), ...(until ? { to: until } : {}) };
}

interface ReplayAnswer {
  replayed?: number;
  ids?: string[];
  skipped: { id: string; reason: string; detail?: string }[];
  nextCursor?: string;
  events?: { id: string; type: string; kind?: string; reason?: string; attempts: number }[];
}

async function replay(options: Options, client: ApiClient, io: Io): Promise<void> {
  const chunk = Math.min(options.rate ?? MAX_CHUNK, MAX_CHUNK);
  const started = io.now().getTime();
  const replayed: string[] = [];
  const candidates: NonNullable<ReplayAnswer["events"]> = [];
  const skipped: ReplayAnswer["skipped"] = [];
  let calls = 0;
  const send = async (extra: Record<string, unknown>) => {
    const answer = await client.call<ReplayAnswer>("POST", "/v1/failed/replay", {
      ...options.selection,
      ...(options.dryRun ? { dryRun: true } : {}),
      ...extra,
    });
    calls++;
    replayed.push(...(answer.ids ?? []));
    candidates.push(...(answer.events ?? []));
    skipped.push(...answer.skipped);
    if (options.rate && !options.dryRun) {
      // Paced by what was actually replayed: N events per second on average.
      const due = started + (replayed.length / options.rate) * 1000;
      const wait = due - io.now().getTime();
      if (wait > 0) await io.sleep(wait);
    }
    return answer;
  };
  if (options.ids) {
    for (let i = 0; i < options.ids.length; i += chunk) {
      await send({ ids: options.ids.slice(i, i + chunk) });
    }
  } else {
    let cursor: string | undefined;
    do {
      const answer = await send({ limit: chunk, ...(cursor ? { cursor } : {}) });
      cursor = answer.nextCursor;
      if (options.rate && !options.dryRun) progress(io, replayed.length, skipped.length);
    } while (cursor);
  }
  const seconds = ((io.now().getTime() - started) / 1000).toFixed(1);
  if (options.dryRun) {
    if (candidates.length > 0) {
      printTable(
        io.out,
        ["ID", "TYPE", "KIND", "ATTEMPTS", "REASON"],
        candidates.map((c) => [c.id, c.type, c.kind ?? "", String(c.attempts), c.reason ?? ""]),
        { clip: 60 },
      );
    }
    io.out(
      `Dry run: ${candidates.length} event${candidates.length === 1 ? "" : "s"} would be replayed${skippedSummary(skipped)}; nothing was changed.`,
    );
    printSkipped(io, skipped);
    return;
  }
  io.out(
    `Replayed ${replayed.length} event${replayed.length === 1 ? "" : "s"} in ${calls} call${calls === 1 ? "" : "s"} (${seconds} s)${skippedSummary(skipped)}.`,
  );
  printSkipped(io, skipped);
}

function progress(io: Io, replayed: number, skipped: number): void {
  io.err(`  ... ${replayed} replayed, ${skipped} skipped`);
}

function skippedSummary(skipped: ReplayAnswer["skipped"]): string {
  if (skipped.length === 0) return "";
  const counts = new Map<string, number>();
  for (const s of skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  const parts = [...counts].map(([reason, n]) => `${reason} ${n}`).join(", ");
  return `; skipped ${skipped.length} (${parts})`;
}

function printSkipped(io: Io, skipped: ReplayAnswer["skipped"]): void {
  const shown = skipped.slice(0, 20);
  for (const s of shown)
    io.out(`  skipped ${s.id}: ${s.reason}${s.detail ? ` (${s.detail})` : ""}`);
  if (skipped.length > shown.length) io.out(`  ... and ${skipped.length - shown.length} more`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}

#!/usr/bin/env node
/**
 * Send events through the producer SDK (sdk/, @eventflow/sdk): one event from flags, or a
 * JSON-lines file streamed in batches with a progress bar on stderr.
 *
 *   npm run send -- --type purchase --data '{"amount":12}'
 *   npm run send -- --file events.jsonl
 *
 * By default it talks to the local runtime: the URL in its data folder's runtime.json and
 * its development key; --url / --api-key (or EVENTFLOW_URL / EVENTFLOW_API_KEY) for any
 * other API. Every event gets its id before the first attempt (the SDK), so the retries
 * behind a flaky network never store an event twice. Rejected lines (invalid JSON, or
 * refused by the API) go to a rejects file, one JSON line each with the line number.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { LOCAL_RUNTIME } from "../lib/contracts/local-runtime.js";
import { EventFlow, type EventOf, type Receipt } from "../sdk/src/index.js";
import { dataDirOf, readRuntimeInfo } from "./tools/local-runtime.js";
import { UsageError } from "./tools/usage-error.js";

const USAGE = `Usage: npm run send -- (--type T --data JSON | --file F.jsonl) [options]

One event:
  --type T            event type
  --data JSON         its data, a JSON object (default {})
  --id ID             idempotency key (default: a UUIDv7 made before the first attempt)
  --subject S, --source S, --time T
A file:
  --file F            JSON lines, one event per line ({"type":...,"data":{...}}); - for stdin
  --rejects F         where rejected lines go (default: F.rejects.jsonl beside the file)
Options:
  --url U             API base URL (default: EVENTFLOW_URL, else the local runtime's
                      runtime.json in the data folder, else ${LOCAL_RUNTIME.defaultUrl})
  --api-key K         key with events:write (default: EVENTFLOW_API_KEY, else the local
                      runtime's development key)
  --data-dir D        the local runtime's data folder (default ${LOCAL_RUNTIME.dataDir})
  --cloudevents       send CloudEvents 1.0 (application/cloudevents-batch+json)
  --batch N           events per request (1-500, default 500)
  --in-flight N       requests in flight (default 4)
  --no-progress       nothing on stderr (else a bar redrawn on a terminal, or a line
                      per tenth of the file when stderr is not a terminal)
  -h, --help
Exit status: 0 all accepted, 1 some rejected or not delivered, 2 usage error.
`;

export interface Io {
  out: (line: string) => void;
  /** Progress and problems. */
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
  /** Whether err is a terminal (a redrawn bar) or not (a line every 10%). */
  tty: boolean;
  fetch?: typeof fetch;
}

const defaultIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (text) => process.stderr.write(text),
  env: process.env,
  readFile: (path) => readFileSync(path, "utf8"),
  tty: Boolean(process.stderr.isTTY),
};

type AnyEvent = EventOf<Record<string, Record<string, unknown>>>;

export interface Summary {
  lines: number;
  accepted: number;
  rejected: number;
  failed: number;
  rejectsFile?: string;
  seconds: number;
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    const target = resolveTarget(values, io);
    const client = new EventFlow({
      url: target.url,
      apiKey: target.apiKey,
      mode: values.cloudevents ? "cloudevents" : "native",
      ...(values.batch ? { maxBatchEvents: intFlag("--batch", values.batch, 1, 500) } : {}),
      ...(values["in-flight"]
        ? { maxInFlight: intFlag("--in-flight", values["in-flight"], 1, 64) }
        : {}),
      ...(io.fetch ? { fetch: io.fetch } : {}),
    });
    if (values.file !== undefined) {
      if (values.type || values.data) throw new UsageError("--file goes without --type/--data");
      const summary = await sendFile(
        client,
        values.file,
        values.rejects,
        !values["no-progress"],
        io,
      );
      io.out(
        `${summary.accepted} accepted, ${summary.rejected} rejected, ${summary.failed} not delivered` +
          ` of ${summary.lines} lines in ${summary.seconds.toFixed(1)} s` +
          ` (${Math.round(summary.lines / Math.max(summary.seconds, 0.001))} events/s)` +
          (summary.rejectsFile ? `; rejects written to ${summary.rejectsFile}` : ""),
      );
      return summary.rejected + summary.failed > 0 ? 1 : 0;
    }
    if (!values.type) throw new UsageError("give --type (with --data) or --file");
    const event = singleEvent(values);
    const receipt = await client.send(event);
    await client.close();
    io.out(JSON.stringify(printable(receipt)));
    return receipt.status === "queued" ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n(npm run send -- --help)\n`);
      return 2;
    }
    throw error;
  }
}

const parse = (argv: string[]) =>
  parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      type: { type: "string" },
      data: { type: "string" },
      id: { type: "string" },
      subject: { type: "string" },
      source: { type: "string" },
      time: { type: "string" },
      file: { type: "string" },
      rejects: { type: "string" },
      url: { type: "string" },
      "api-key": { type: "string" },
      "data-dir": { type: "string" },
      cloudevents: { type: "boolean" },
      batch: { type: "string" },
      "in-flight": { type: "string" },
      "no-progress": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });

type Values = ReturnType<typeof parse>["values"];

/** Where to send, and with which key: flags, then the environment, then the local runtime. */
export function resolveTarget(values: Values, io: Io): { url: string; apiKey: string } {
  const dataDir = dataDirOf(values["data-dir"]);
  const explicitUrl = values.url ?? io.env.EVENTFLOW_URL;
  const url = explicitUrl ?? readRuntimeInfo(dataDir, io.readFile)?.url ?? LOCAL_RUNTIME.defaultUrl;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`not a URL: ${url}`);
  }
  let apiKey = values["api-key"] ?? io.env[LOCAL_RUNTIME.apiKeyVariable];
  if (!apiKey && !explicitUrl) {
    try {
      apiKey = io.readFile(resolve(dataDir, LOCAL_RUNTIME.devKeyFile)).trim() || undefined;
    } catch {
      // No local runtime has run here.
    }
  }
  if (!apiKey) {
    throw new UsageError(
      `no API key: give --api-key or ${LOCAL_RUNTIME.apiKeyVariable}` +
        (explicitUrl ? "" : ` (or start the local runtime: npm start writes ${dataDir}/dev-key)`),
    );
  }
  return { url: url.replace(/\/+$/, ""), apiKey };
}

function singleEvent(values: Values): AnyEvent {
  let data: unknown = {};
  if (values.data !== undefined) {
    try {
      data = JSON.parse(values.data);
    } catch (error) {
      throw new UsageError(`--data is not JSON: ${(error as Error).message}`);
    }
  }
  return {
    type: values.type as string,
    data: data as Record<string, unknown>,
    ...(values.id ? { id: values.id } : {}),
    ...(values.subject ? { subject: values.subject } : {}),
    ...(values.source ? { source: values.source } : {}),
    ...(values.time ? { time: values.time } : {}),
  };
}

function printable(receipt: Receipt<AnyEvent>): Record<string, unknown> {
  if (receipt.status === "failed") {
    return { status: receipt.status, id: receipt.id, error: receipt.error.message };
  }
  const { event: _event, ...rest } = receipt;
  return rest;
}

/** Chunks of this many lines go to the SDK at once; a few chunks are in flight at most. */
const CHUNK = 500;

/**
 * Streams a JSON-lines file through the SDK: chunks of lines become send() calls, at most
 * a few outstanding (so memory stays bounded on any file size), and each receipt that is
 * not "queued" becomes a line in the rejects file.
 */
export async function sendFile(
  client: EventFlow,
  file: string,
  rejectsPath: string | undefined,
  progress: boolean,
  io: Io,
): Promise<Summary> {
  const started = performance.now();
  const stdin = file === "-";
  const total = stdin ? 0 : statOrUsage(file);
  const input = stdin ? process.stdin : createReadStream(file);
  const rejectsFile = rejectsPath ?? (stdin ? "rejects.jsonl" : `${file}.rejects.jsonl`);
  let rejects: ReturnType<typeof createWriteStream> | undefined;
  const reject = async (entry: Record<string, unknown>) => {
    rejects ??= createWriteStream(rejectsFile);
    if (!rejects.write(`${JSON.stringify(entry)}\n`)) await once(rejects, "drain");
  };
  const summary: Summary = { lines: 0, accepted: 0, rejected: 0, failed: 0, seconds: 0 };
  const bar = new ProgressBar(io, progress, total);
  let bytesRead = 0;
  const outstanding: Promise<void>[] = [];
  const maxOutstanding = 8;

  const submit = (chunk: { line: number; event: AnyEvent }[]) => {
    const done = client.send(chunk.map((c) => c.event)).then(async (receipts) => {
      for (const [i, r] of receipts.entries()) {
        if (r.status === "queued") summary.accepted++;
        else {
          if (r.status === "rejected") summary.rejected++;
          else summary.failed++;
          await reject({
            line: chunk[i]?.line,
            status: r.status,
            id: r.id,
            ...(r.status === "rejected" ? { errors: r.errors } : { error: r.error.message }),
            event: r.event,
          });
        }
      }
      bar.update(bytesRead, summary);
    });
    outstanding.push(done);
  };

  let chunk: { line: number; event: AnyEvent }[] = [];
  let lineNo = 0;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const text of lines) {
    lineNo++;
    bytesRead += Buffer.byteLength(text) + 1;
    if (text.trim() === "") continue;
    summary.lines++;
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (error) {
      summary.rejected++;
      await reject({
        line: lineNo,
        status: "rejected",
        errors: [{ path: "", message: `not JSON: ${(error as Error).message}` }],
      });
      continue;
    }
    if (typeof event !== "object" || event === null || Array.isArray(event)) {
      summary.rejected++;
      await reject({
        line: lineNo,
        status: "rejected",
        errors: [{ path: "", message: "not a JSON object" }],
      });
      continue;
    }
    chunk.push({ line: lineNo, event: event as AnyEvent });
    if (chunk.length === CHUNK) {
      submit(chunk);
      chunk = [];
      if (outstanding.length >= maxOutstanding) await outstanding.shift();
    }
  }
  if (chunk.length > 0) submit(chunk);
  await Promise.all(outstanding);
  await client.close();
  if (rejects) {
    const stream = rejects;
    await new Promise<void>((r) => stream.end(r));
  }
  summary.seconds = (performance.now() - started) / 1000;
  bar.done(total || bytesRead, summary);
  return { ...summary, ...(rejects ? { rejectsFile } : {}) };
}

function statOrUsage(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
}

/** `[#######.........]  45%  45,000 sent  12 rejected  3,200/s` on stderr. */
class ProgressBar {
  private readonly started = performance.now();
  private lastDraw = 0;
  private lastTenth = -1;

  constructor(
    private readonly io: Io,
    private readonly enabled: boolean,
    private readonly total: number,
  ) {}

  update(bytes: number, s: Pick<Summary, "accepted" | "rejected" | "failed">, final = false): void {
    if (!this.enabled) return;
    const share = this.total > 0 ? Math.min(1, bytes / this.total) : 0;
    const now = performance.now();
    const done = s.accepted + s.rejected + s.failed;
    const rate = Math.round(done / Math.max((now - this.started) / 1000, 0.001));
    const text =
      `${this.total > 0 ? `[${"#".repeat(Math.round(share * 30)).padEnd(30, ".")}] ${String(Math.floor(share * 100)).padStart(3)}%  ` : ""}` +
      `${done.toLocaleString("en-US")} sent  ${s.rejected + s.failed} rejected  ${rate.toLocaleString("en-US")}/s`;
    if (this.io.tty) {
      if (!final && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      this.io.err(`\r${text}${final ? "\n" : ""}`);
      return;
    }
    const tenth = Math.floor(share * 10);
    // The 100% line is the final one (with the final counts), printed once.
    if (final || (tenth > this.lastTenth && tenth < 10)) {
      this.lastTenth = tenth;
      this.io.err(`${text}\n`);
    }
  }

  done(bytes: number, s: Pick<Summary, "accepted" | "rejected" | "failed">): void {
    this.update(bytes, s, true);
  }
}

function intFlag(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, not "${value}"`);
  }
  return n;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}

#!/usr/bin/env node
/**
 * Destinations and deliveries through the API, against the local runtime or a deployed
 * stack (the same key rules as `npm run replay`):
 *
 *   npm run destinations -- create --kind webhook --name orders --url http://127.0.0.1:4000/hook
 *   npm run destinations -- list
 *   npm run destinations -- get dst_...
 *   npm run destinations -- update dst_... --enabled true
 *   npm run destinations -- rotate dst_... --overlap-hours 24
 *   npm run destinations -- delete dst_...
 *   npm run destinations -- deliveries [--destination dst_...] [--status failed] [--event ID]
 *   npm run destinations -- retry dlv_...
 *   npm run destinations -- replay dst_... --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z [--pattern '{"type":["order.paid"]}'] [--dry-run]
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  type ApiAnswer,
  apiErrorLines,
  apiTargetFromFlags,
  DEFAULT_URL,
  requestApi,
} from "./tools/api-target.js";
import { type CliIo, DEFAULT_CLI_IO } from "./tools/cli-io.js";
import { relativeToInstant } from "./tools/durations.js";
import { UsageError } from "./tools/usage-error.js";

const USAGE = `Usage: npm run destinations -- <verb> [id] [options]

Verbs:
  create        --kind webhook|slack|email|sqs|sns|eventbridge --name N and the kind's
                fields: --url U [--header Name=Value ...] (webhook, slack), --template T
                (slack, email), --to a@x,b@y --subject S (email), --queue-url U (sqs),
                --topic-arn A (sns), --event-bus-arn A [--source S] (eventbridge);
                [--ordered] [--max-concurrency N] [--rate-limit N]. Prints the webhook's
                signing secret: it is shown this once.
  list | get ID | delete ID
  update ID     any create field, --enabled true|false
  rotate ID     [--overlap-hours H] (default 24): a new secret; the old one signs too meanwhile
  deliveries    [--destination ID] [--event ID] [--status pending|delivered|failed]
                [--from T] [--to T] [--limit N]
  retry DLV_ID  deliver again (same webhook-id)
  replay ID     --from T --to T [--pattern JSON] [--dry-run]: stored events to this destination
Options:
  --api-url U         API base URL (default: EVENTFLOW_URL, else ${DEFAULT_URL})
  --stack-outputs F   read the URL from \`cdk deploy --outputs-file F\` (ApiUrl)
  --stack NAME        the stack in F when it holds several
  --api-key K         (default: EVENTFLOW_API_KEY, else the local runtime's .eventflow/dev-key)
  --json              print the API's answer as JSON
  -h, --help
`;

export type Io = Pick<CliIo, "fetch" | "out" | "err" | "env" | "now" | "readFile">;

const defaultIo: Io = DEFAULT_CLI_IO;

const OPTIONS = {
  kind: { type: "string" },
  name: { type: "string" },
  description: { type: "string" },
  url: { type: "string" },
  header: { type: "string", multiple: true },
  template: { type: "string" },
  to: { type: "string" },
  subject: { type: "string" },
  "queue-url": { type: "string" },
  "topic-arn": { type: "string" },
  "event-bus-arn": { type: "string" },
  source: { type: "string" },
  ordered: { type: "boolean" },
  "max-concurrency": { type: "string" },
  "rate-limit": { type: "string" },
  enabled: { type: "string" },
  "overlap-hours": { type: "string" },
  destination: { type: "string" },
  event: { type: "string" },
  status: { type: "string" },
  from: { type: "string" },
  limit: { type: "string" },
  pattern: { type: "string" },
  "dry-run": { type: "boolean" },
  "api-url": { type: "string" },
  "stack-outputs": { type: "string" },
  stack: { type: "string" },
  "api-key": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>["values"];

/** The destination fields given on the command line (create and update). */
export function destinationBody(v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) body[key] = value;
  };
  set("kind", v.kind);
  set("name", v.name);
  set("description", v.description);
  set("url", v.url);
  if (v.header?.length) {
    body.headers = Object.fromEntries(
      v.header.map((h) => {
        const at = h.indexOf("=");
        if (at <= 0) throw new UsageError(`--header ${h}: expected Name=Value`);
        return [h.slice(0, at), h.slice(at + 1)];
      }),
    );
  }
  set("template", v.template);
  set(
    "to",
    v.to?.split(",").map((s) => s.trim()),
  );
  set("subject", v.subject);
  set("queueUrl", v["queue-url"]);
  set("topicArn", v["topic-arn"]);
  set("eventBusArn", v["event-bus-arn"]);
  set("source", v.source);
  if (v.ordered) body.ordered = true;
  if (v["max-concurrency"]) body.maxConcurrency = Number(v["max-concurrency"]);
  if (v["rate-limit"]) body.rateLimitPerSecond = Number(v["rate-limit"]);
  if (v.enabled !== undefined) body.enabled = v.enabled === "true";
  return body;
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  try {
    const { values: v, positionals } = parseArgs({
      args: argv,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    const [verb, id] = positionals;
    if (v.help || !verb) {
      io.out(USAGE);
      return v.help ? 0 : 2;
    }
    // --url is a webhook destination's URL here, so the API's is --api-url.
    const target = apiTargetFromFlags({ ...v, url: v["api-url"] }, io);
    const call = (method: string, path: string, body?: unknown) =>
      requestApi(io.fetch, target, method, path, body);
    const need = (what: string) => {
      if (!id) throw new UsageError(`${verb} needs ${what}`);
      return encodeURIComponent(id);
    };
    let answer: ApiAnswer;
    switch (verb) {
      case "create":
        answer = await call("POST", "/v1/destinations", destinationBody(v));
        break;
      case "list":
        answer = await call("GET", "/v1/destinations");
        break;
      case "get":
        answer = await call("GET", `/v1/destinations/${need("a destination id")}`);
        break;
      case "update":
        answer = await call(
          "PATCH",
          `/v1/destinations/${need("a destination id")}`,
          destinationBody(v),
        );
        break;
      case "delete":
        answer = await call("DELETE", `/v1/destinations/${need("a destination id")}`);
        break;
      case "rotate":
        answer = await call("POST", `/v1/destinations/${need("a destination id")}/rotate-secret`, {
          ...(v["overlap-hours"] ? { overlapHours: Number(v["overlap-hours"]) } : {}),
        });
        break;
      case "deliveries": {
        const q = new URLSearchParams();
        for (const k of ["destination", "event", "status", "limit"] as const)
          if (v[k]) q.set(k, String(v[k]));
        if (v.from) q.set("from", instant(v.from, io));
        if (v.to) q.set("to", instant(v.to, io));
        answer = await call("GET", `/v1/deliveries${q.size ? `?${q}` : ""}`);
        break;
      }
      case "retry":
        answer = await call("POST", `/v1/deliveries/${need("a delivery id")}/retry`);
        break;
      case "replay": {
        if (!v.from || !v.to) throw new UsageError("replay needs --from and --to");
        let pattern: unknown;
        if (v.pattern) {
          try {
            pattern = JSON.parse(v.pattern);
          } catch {
            throw new UsageError("--pattern must be JSON");
          }
        }
        answer = await call("POST", `/v1/destinations/${need("a destination id")}/replay`, {
          from: instant(v.from, io),
          to: instant(v.to, io),
          ...(pattern ? { pattern } : {}),
          ...(v["dry-run"] ? { dryRun: true } : {}),
        });
        break;
      }
      default:
        throw new UsageError(`unknown verb ${verb}`);
    }
    print(verb, answer, v.json === true, io);
    if (answer.status >= 400) return answer.status < 500 ? 2 : 1;
    return 0;
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      io.err(`error: ${(error as Error).message}`);
      io.err("Run with --help for the options.");
      return 2;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function instant(value: string, io: Io): string {
  return relativeToInstant(value, io.now()) ?? value;
}

function print(verb: string, answer: ApiAnswer, asJson: boolean, io: Io): void {
  if (!answer.ok) {
    for (const line of apiErrorLines(answer)) io.err(line);
    return;
  }
  if (asJson) {
    io.out(JSON.stringify(answer.body, null, 2));
    return;
  }
  const items = answer.body.items as Record<string, unknown>[] | undefined;
  if (verb === "list" && items) {
    for (const d of items) {
      io.out(
        `${d.id}  ${String(d.kind).padEnd(11)} ${d.enabled ? "enabled " : "DISABLED"} ${d.ordered ? "ordered " : "        "} ${d.name}`,
      );
    }
    return;
  }
  if (verb === "deliveries" && items) {
    for (const d of items) {
      io.out(
        `${d.id}  ${String(d.status).padEnd(9)} attempts ${d.attemptCount}  ${d.destinationId}  ${d.eventId}`,
      );
    }
    if (answer.body.nextCursor) io.out("(more: narrow with --from/--to or --limit)");
    return;
  }
  if (typeof answer.body.secret === "string") {
    io.out(JSON.stringify({ ...answer.body, secret: undefined }, null, 2));
    io.out(`signing secret (shown once, keep it): ${answer.body.secret}`);
    return;
  }
  io.out(JSON.stringify(answer.body, null, 2));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(process.argv.slice(2));
}

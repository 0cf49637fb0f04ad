#!/usr/bin/env node
/**
 * A tenant's rules through the API (GET/PUT/DELETE /v1/rules, POST /v1/rules/test),
 * against the local runtime or a deployed stack.
 *
 *   npm run rules -- list
 *   npm run rules -- put --file rules.json
 *   npm run rules -- test --type purchase --last 5 [--file draft.json]
 *   npm run rules -- test --event '{"type":"purchase","data":{"amount":2000}}'
 *   npm run rules -- reset
 *
 * The API checks everything (400 with each problem's path: printed, exit code 2).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  API_TARGET_OPTIONS,
  type ApiAnswer,
  type ApiTarget,
  ApiUnreachable,
  apiErrorLines,
  apiTargetFromFlags,
  DEFAULT_URL,
  requestApi,
} from "./tools/api-target.js";
import { type CliIo, DEFAULT_CLI_IO } from "./tools/cli-io.js";
import { UsageError } from "./tools/usage-error.js";

const USAGE = `Usage: npm run rules -- <verb> [options]

Verbs:
  list                 the tenant's current rules: version, source, each rule (--json: as is)
  put --file F         replace the rules with those in F: {"rules": [...]} or a bare list;
                       --expected-version N refuses if someone changed them since N
  test                 dry run, nothing stored or sent:
                         --event JSON | --event-file F   one event (as POST /v1/events takes it)
                         --type T [--last N]              the newest N (default 5) stored of type T
                         [--file F]                       a draft ruleset instead of the current one
  reset                back to the built-in default rules (a new version)
Options:
  --url U              API base URL (default: EVENTFLOW_URL, else ${DEFAULT_URL})
  --stack-outputs F    read the URL from \`cdk deploy --outputs-file F\` (ApiUrl)
  --stack NAME         the stack in F when it holds several
  --api-key K          an API key (list/test: events:read; put/reset: rules:write), sent as
                       Authorization: Bearer (default: EVENTFLOW_API_KEY, else the local
                       runtime's .eventflow/dev-key when the URL is the default)
  --json               print the API's answer as JSON
  -h, --help
`;

export type Io = Pick<CliIo, "fetch" | "out" | "err" | "env" | "readFile">;

const defaultIo: Io = DEFAULT_CLI_IO;

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

interface RuleView {
  name: string;
  enabled?: boolean;
  match: unknown;
  condition?: string;
  actions: { type: string; [k: string]: unknown }[];
}
interface RulesetView {
  version: number;
  source: string;
  rules: RuleView[];
  updatedAt?: string;
  updatedBy?: string;
}
interface TestView {
  rulesetVersion?: number;
  results: {
    event: { id: string; type: string };
    matched: string[];
    outcome: string;
    rejectedBy?: { rule: string; message: string };
    enrichment: Record<string, unknown>;
    deliveries: { rule: string; destinationId: string; body: unknown }[];
    errors: { rule: string; at: string; message: string }[];
  }[];
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  try {
    const { values, positionals } = parse(argv);
    const verb = positionals[0];
    if (values.help || !verb) {
      io.out(USAGE);
      return verb || values.help ? 0 : 2;
    }
    if (positionals.length > 1) throw new UsageError(`unexpected "${positionals[1]}"`);
    const target = apiTargetFromFlags(values, io);
    const call = <T>(method: string, path: string, body?: unknown) =>
      callApi<T>(io, target, method, path, body);
    const json = values.json ?? false;
    switch (verb) {
      case "list": {
        const r = await call<RulesetView>("GET", "/v1/rules");
        if (json) io.out(JSON.stringify(r, null, 2));
        else printRuleset(io, r);
        return 0;
      }
      case "put": {
        if (!values.file) throw new UsageError("put needs --file F");
        const file = readJson(io, values.file);
        const body = Array.isArray(file) ? { rules: file } : (file as Record<string, unknown>);
        if (values["expected-version"] !== undefined) {
          body.expectedVersion = Number(values["expected-version"]);
        }
        const r = await call<RulesetView>("PUT", "/v1/rules", body);
        if (json) io.out(JSON.stringify(r, null, 2));
        else io.out(`saved: version ${r.version} (${r.rules.length} rules)`);
        return 0;
      }
      case "reset": {
        const r = await call<RulesetView>("DELETE", "/v1/rules");
        if (json) io.out(JSON.stringify(r, null, 2));
        else io.out(`reset to the defaults: version ${r.version} (${r.rules.length} rules)`);
        return 0;
      }
      case "test": {
        const body: Record<string, unknown> = {};
        const eventText =
          values.event ?? (values["event-file"] ? io.readFile(values["event-file"]) : undefined);
        if (eventText !== undefined) body.event = parseJsonArg("--event", eventText);
        if (values.type) body.type = values.type;
        if (values.last) body.last = Number(values.last);
        if (values.file) {
          const draft = readJson(io, values.file);
          body.rules = Array.isArray(draft) ? draft : (draft as { rules?: unknown }).rules;
        }
        if ((body.event === undefined) === (body.type === undefined)) {
          throw new UsageError("test needs --event (or --event-file) or --type, one of them");
        }
        const r = await call<TestView>("POST", "/v1/rules/test", body);
        if (json) io.out(JSON.stringify(r, null, 2));
        else printTest(io, r);
        return 0;
      }
      default:
        throw new UsageError(`unknown verb "${verb}": list, put, test or reset`);
    }
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

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        file: { type: "string" },
        "expected-version": { type: "string" },
        event: { type: "string" },
        "event-file": { type: "string" },
        type: { type: "string" },
        last: { type: "string" },
        ...API_TARGET_OPTIONS,
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function parseJsonArg(what: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${what} is not JSON: ${error instanceof Error ? error.message : error}`);
  }
}

function readJson(io: Io, path: string): unknown {
  let text: string;
  try {
    text = io.readFile(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : error}`);
  }
  return parseJsonArg(path, text);
}

/** One API call: the answer's body, or (an error, or no answer) its lines on stderr and Exit. */
async function callApi<T>(
  io: Io,
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  let answer: ApiAnswer;
  try {
    answer = await requestApi(io.fetch, target, method, path, body);
  } catch (error) {
    if (!(error instanceof ApiUnreachable)) throw error;
    io.err(`error: ${error.message}`);
    throw new Exit(1);
  }
  if (answer.ok) return answer.body as T;
  for (const line of apiErrorLines(answer)) io.err(line);
  throw new Exit(answer.status >= 400 && answer.status < 500 ? 2 : 1);
}

function printRuleset(io: Io, r: RulesetView): void {
  const when = r.updatedAt
    ? `, changed ${r.updatedAt}${r.updatedBy ? ` by ${r.updatedBy}` : ""}`
    : "";
  io.out(`version ${r.version} (${r.source}${when}): ${r.rules.length} rules, in order`);
  r.rules.forEach((rule, i) => {
    const off = rule.enabled === false ? " [off]" : "";
    io.out(`${i + 1}. ${rule.name}${off}`);
    io.out(`   match     ${JSON.stringify(rule.match)}`);
    if (rule.condition) io.out(`   condition ${rule.condition}`);
    for (const action of rule.actions) {
      const { type, ...rest } = action;
      io.out(`   ${type.padEnd(9)} ${JSON.stringify(rest)}`);
    }
  });
}

function printTest(io: Io, r: TestView): void {
  io.out(r.rulesetVersion === undefined ? "draft rules" : `rules version ${r.rulesetVersion}`);
  if (r.results.length === 0) io.out("no events to test");
  for (const result of r.results) {
    io.out(`${result.event.id} (${result.event.type}): ${result.outcome}`);
    io.out(`  matched     ${result.matched.join(", ") || "(none)"}`);
    if (result.rejectedBy) {
      io.out(`  rejected by ${result.rejectedBy.rule}: ${result.rejectedBy.message}`);
    }
    if (Object.keys(result.enrichment).length > 0) {
      io.out(`  enrichment  ${JSON.stringify(result.enrichment)}`);
    }
    for (const d of result.deliveries) {
      io.out(`  -> ${d.destinationId} (${d.rule}): ${JSON.stringify(d.body).slice(0, 200)}`);
    }
    for (const e of result.errors) io.out(`  error in ${e.rule} ${e.at}: ${e.message}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}

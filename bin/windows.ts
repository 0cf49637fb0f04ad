#!/usr/bin/env node
/**
 * Windows and patterns from the command line, through the API (/v1/aggregations,
 * /v1/patterns), against the local runtime or a deployed stack.
 *
 *   npm run windows -- list
 *   npm run windows -- put aggregation purchases-per-user --file agg.json
 *   npm run windows -- results purchases-per-user --from 2h --group user-42
 *   npm run windows -- backfill purchases-per-user --from 24h
 *   npm run windows -- delete pattern signup-no-purchase
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  API_TARGET_OPTIONS,
  type ApiAnswer,
  apiErrorLines,
  apiTargetFromFlags,
  DEFAULT_URL,
  requestApi,
} from "./tools/api-target.js";
import { type CliIo, DEFAULT_CLI_IO } from "./tools/cli-io.js";
import { relativeToInstant } from "./tools/durations.js";
import { UsageError } from "./tools/usage-error.js";

const USAGE = `Usage: npm run windows -- <verb> [kind] [name] [options]

Verbs:
  list                          every aggregation and pattern (name, version, window or kind)
  show <kind> <name>            a declaration (kind: aggregation | pattern)
  put <kind> <name> --file F    declare from a JSON file (- reads stdin); a new version each time
  delete <kind> <name>          remove a declaration
  results <name>                an aggregation's windows: --from, --to (RFC 3339 or a duration
                                ago, default the last hour), --group V
  backfill <name> --from T      stored events since T (RFC 3339 or 24h) contribute; repeats
                                until done (idempotent)
Options:
  --url U             API base URL (default: EVENTFLOW_URL, else ${DEFAULT_URL})
  --stack-outputs F   read the URL from \`cdk deploy --outputs-file F\` (ApiUrl)
  --stack NAME        the stack in F when it holds several
  --api-key K         key (admin to change, events:read to read); default EVENTFLOW_API_KEY,
                      else the local runtime's .eventflow/dev-key for the default URL
  --json              print the API's JSON answers as they are
  -h, --help
`;

export type Io = Pick<CliIo, "fetch" | "out" | "err" | "env" | "now" | "readFile">;

const defaultIo: Io = DEFAULT_CLI_IO;

const KINDS = { aggregation: "aggregations", pattern: "patterns" } as const;
type Kind = keyof typeof KINDS;

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        file: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        group: { type: "string" },
        ...API_TARGET_OPTIONS,
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    const [verb, ...rest] = positionals;
    if (values.help || !verb) {
      io.out(USAGE);
      return values.help ? 0 : 2;
    }
    const target = apiTargetFromFlags(values, io);
    const call = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
      const answer = await requestApi(io.fetch, target, method, path, body);
      if (!answer.ok) {
        for (const line of apiErrorLines(answer)) io.err(line);
        throw new ExitCode(answer.status < 500 ? 2 : 1);
      }
      return answer;
    };
    const kindOf = (word: string | undefined): Kind => {
      if (word === "aggregation" || word === "pattern") return word;
      throw new UsageError(`kind must be aggregation or pattern, got ${word ?? "nothing"}`);
    };
    const nameOf = (word: string | undefined): string => {
      if (!word) throw new UsageError("a name is needed");
      return encodeURIComponent(word);
    };
    const print = (a: ApiAnswer, human: () => void) => {
      if (values.json) io.out(JSON.stringify(a.body, null, 2));
      else human();
    };
    const instant = (v: string | undefined) =>
      v === undefined ? undefined : (relativeToInstant(v, io.now()) ?? v);

    switch (verb) {
      case "list": {
        for (const kind of Object.keys(KINDS) as Kind[]) {
          const a = await call("GET", `/v1/${KINDS[kind]}`);
          print(a, () => {
            for (const d of (a.body.items ?? []) as Record<string, unknown>[]) {
              const what =
                kind === "aggregation"
                  ? JSON.stringify((d as { window?: unknown }).window)
                  : String((d as { kind?: unknown }).kind);
              io.out(`${kind.padEnd(12)} ${String(d.name).padEnd(32)} v${d.version}  ${what}`);
            }
          });
        }
        return 0;
      }
      case "show": {
        const kind = kindOf(rest[0]);
        const path = `/v1/${KINDS[kind]}/${nameOf(rest[1])}`;
        const a = await call(
          "GET",
          kind === "pattern"
            ? path
            : `${path}?from=${encodeURIComponent(io.now().toISOString())}&to=${encodeURIComponent(new Date(io.now().getTime() + 1).toISOString())}`,
        );
        const decl = kind === "pattern" ? a.body : a.body.declaration;
        io.out(JSON.stringify(decl, null, 2));
        return 0;
      }
      case "put": {
        const kind = kindOf(rest[0]);
        if (!values.file) throw new UsageError("put needs --file F (- for stdin)");
        let body: unknown;
        try {
          body = JSON.parse(io.readFile(values.file));
        } catch (error) {
          throw new UsageError(
            `${values.file}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        const a = await call("PUT", `/v1/${KINDS[kind]}/${nameOf(rest[1])}`, body);
        print(a, () => io.out(`${kind} ${a.body.name} version ${a.body.version}`));
        return 0;
      }
      case "delete": {
        const kind = kindOf(rest[0]);
        const a = await call("DELETE", `/v1/${KINDS[kind]}/${nameOf(rest[1])}`);
        print(a, () => io.out(`${kind} ${a.body.name} removed`));
        return 0;
      }
      case "results": {
        const query = new URLSearchParams();
        const from = instant(values.from);
        const to = instant(values.to);
        if (from) query.set("from", from);
        if (to) query.set("to", to);
        if (values.group !== undefined) query.set("group", values.group);
        const q = query.toString();
        const a = await call("GET", `/v1/aggregations/${nameOf(rest[0])}${q ? `?${q}` : ""}`);
        print(a, () => {
          for (const w of (a.body.windows ?? []) as Record<string, unknown>[]) {
            io.out(
              `${String(w.start)} .. ${String(w.end)}  ${w.closed ? "closed" : "open  "}  ${JSON.stringify(w.group)}  count ${w.count}  late ${w.late}  ${JSON.stringify(w.measures)}`,
            );
          }
          if (a.body.truncated)
            io.err("warning: the read bound was hit; figures may be incomplete");
        });
        return 0;
      }
      case "backfill": {
        if (!values.from)
          throw new UsageError("backfill needs --from (RFC 3339 or a duration ago)");
        let cursor: string | undefined;
        let scanned = 0;
        let contributed = 0;
        do {
          const a = await call("POST", `/v1/aggregations/${nameOf(rest[0])}/backfill`, {
            from: values.from,
            ...(values.to ? { to: values.to } : {}),
            ...(cursor ? { cursor } : {}),
          });
          scanned += Number(a.body.scanned ?? 0);
          contributed += Number(a.body.contributed ?? 0);
          cursor = typeof a.body.nextCursor === "string" ? a.body.nextCursor : undefined;
        } while (cursor);
        io.out(
          `backfill: ${scanned} stored events read, ${contributed} contributions written (once each)`,
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown verb ${verb}`);
    }
  } catch (error) {
    if (error instanceof ExitCode) return error.code;
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error)) {
      io.err(`error: ${error.message}`);
      io.err("Run with --help for the verbs.");
      return 2;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? "")).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}

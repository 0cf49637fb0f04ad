/**
 * A CLI's io for unit tests (bin/*.ts `main(argv, io)`): a fetch that records each call
 * (method, URL, JSON body, authorization) and answers from a list, captured stdout and
 * stderr lines, a fixed clock, and files from a map.
 */
import type { CliIo } from "../../bin/tools/cli-io.js";

export interface RecordedCall {
  method: string;
  url: string;
  body?: unknown;
  auth?: string;
}

export function fakeCliIo(
  answers: { status: number; body: unknown }[],
  files: Record<string, string> = {},
) {
  const calls: RecordedCall[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const value: Pick<CliIo, "fetch" | "out" | "err" | "env" | "now" | "readFile"> = {
    fetch: (async (url: string, init: RequestInit) => {
      calls.push({
        method: init.method ?? "GET",
        url,
        ...(init.body ? { body: JSON.parse(String(init.body)) } : {}),
        auth: (init.headers as Record<string, string>).authorization,
      });
      const a = answers.shift() ?? { status: 200, body: {} };
      return new Response(JSON.stringify(a.body), { status: a.status });
    }) as typeof fetch,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { EVENTFLOW_URL: "http://api.test", EVENTFLOW_API_KEY: "efk_x_y" },
    now: () => new Date("2026-12-06T12:00:00.000Z"),
    readFile: (p) => {
      const f = files[p];
      if (f === undefined) throw new Error(`ENOENT ${p}`);
      return f;
    },
  };
  return { io: value, calls, out, err };
}

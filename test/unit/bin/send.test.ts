/**
 * `npm run send` (bin/send.ts) without a network: where it sends (flags, environment, the
 * local runtime's data folder), usage errors, and one event through a scripted fetch.
 * Against the real runtime, with 100,000 events from a file: test/e2e/sdk-cli.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Io, main, resolveTarget } from "../../../bin/send.js";
import { UsageError } from "../../../bin/tools/usage-error.js";
import { writeRuntimeInfo } from "../../../local/keys.js";

const dir = mkdtempSync(join(tmpdir(), "eventflow-send-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(env: Record<string, string> = {}, fetch?: typeof globalThis.fetch) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = {
    out: (l) => out.push(l),
    err: (t) => err.push(t),
    env,
    readFile: (p) => readFileSync(p, "utf8"),
    tty: false,
    ...(fetch ? { fetch } : {}),
  };
  return { io: value, out, err };
}

describe("npm run send: where to", () => {
  writeRuntimeInfo(dir, {
    pid: 1,
    url: "http://localhost:4123",
    region: "us-east-1",
    dynamodbEndpoint: "http://127.0.0.1:1",
    keysTableName: "k",
    startedAt: new Date().toISOString(),
  });
  writeFileSync(join(dir, "dev-key"), "efk_dev_key\n");

  it("the local runtime by default: its runtime.json URL and its dev key", () => {
    expect(resolveTarget({ "data-dir": dir }, io().io)).toEqual({
      url: "http://localhost:4123",
      apiKey: "efk_dev_key",
    });
  });

  it("flags, then EVENTFLOW_URL / EVENTFLOW_API_KEY; another URL never gets the dev key", () => {
    expect(
      resolveTarget(
        { "data-dir": dir, url: "https://api.example/prod/", "api-key": "k1" },
        io().io,
      ),
    ).toEqual({ url: "https://api.example/prod", apiKey: "k1" });
    expect(
      resolveTarget(
        { "data-dir": dir },
        io({ EVENTFLOW_URL: "https://e.example", EVENTFLOW_API_KEY: "k2" }).io,
      ),
    ).toEqual({ url: "https://e.example", apiKey: "k2" });
    expect(() => resolveTarget({ "data-dir": dir, url: "https://x.example" }, io().io)).toThrow(
      UsageError,
    );
  });

  it("usage errors exit 2 with a pointer to --help", async () => {
    const a = io({ EVENTFLOW_API_KEY: "k" });
    expect(await main(["--data-dir", dir, "--type", "t", "--data", "[1"], a.io)).toBe(2);
    expect(a.err.join("")).toMatch(/--data is not JSON.*\n\(npm run send -- --help\)/s);
    const b = io();
    expect(await main(["--data-dir", dir, "--batch", "900", "--type", "t"], b.io)).toBe(2);
    expect(b.err.join("")).toMatch(/--batch must be an integer from 1 to 500/);
  });

  it("one event: the receipt as JSON on stdout, exit 0", async () => {
    let sent: { url: string; body: string } | undefined;
    const fetch = (async (url: string, init: RequestInit) => {
      sent = { url, body: String(init.body) };
      const [e] = (JSON.parse(sent.body) as { events: { id: string }[] }).events;
      return new Response(
        JSON.stringify({ results: [{ index: 0, id: e?.id, status: "queued" }] }),
        { status: 202 },
      );
    }) as unknown as typeof globalThis.fetch;
    const x = io({}, fetch);
    const code = await main(
      ["--data-dir", dir, "--type", "purchase", "--data", '{"amount":12}', "--id", "o-1"],
      x.io,
    );
    expect(code).toBe(0);
    expect(sent?.url).toBe("http://localhost:4123/v1/events");
    expect(JSON.parse(sent?.body ?? "")).toEqual({
      events: [{ type: "purchase", data: { amount: 12 }, id: "o-1" }],
    });
    expect(JSON.parse(x.out[0] ?? "")).toEqual({ status: "queued", id: "o-1" });
  });
});

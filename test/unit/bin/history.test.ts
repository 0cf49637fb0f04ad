/** `npm run history -- replay`: the body it sends for each target (README "History"). */
import { describe, expect, it } from "vitest";
import { main } from "../../../bin/history.js";

const DST = "dst_0123456789abcdefghijklmnop";

async function replayBody(args: string[]): Promise<{ code: number; body?: unknown; err: string }> {
  let body: unknown;
  const err: string[] = [];
  const code = await main(
    ["replay", "--no-wait", "--url", "http://api.test", "--api-key", "k", ...args],
    {
      fetch: async (_url, init) => {
        body = JSON.parse(String(init?.body));
        return new Response(JSON.stringify({ id: "j1", status: "queued" }), { status: 202 });
      },
      out: () => undefined,
      err: (line) => err.push(line),
      env: {},
      now: () => new Date("2026-12-06T12:00:00Z"),
      sleep: async () => undefined,
      readFile: () => "",
    },
  );
  return { code, body, err: err.join("\n") };
}

describe("history replay targets", () => {
  it("sends no target by default (the pipeline)", async () => {
    const r = await replayBody(["--from", "1h", "--to", "2026-12-06T11:30:00Z", "--rate", "50"]);
    expect(r.body).toEqual({
      from: "2026-12-06T11:00:00.000Z",
      to: "2026-12-06T11:30:00.000Z",
      rate: 50,
    });
  });

  it("--to dst_... (or --destination) names one destination; --to stays a time otherwise", async () => {
    expect((await replayBody(["--from", "1h", "--to", DST])).body).toEqual({
      from: "2026-12-06T11:00:00.000Z",
      target: { destination: DST },
    });
    expect((await replayBody(["--from", "1h", "--to", "30m", "--destination", DST])).body).toEqual({
      from: "2026-12-06T11:00:00.000Z",
      to: "2026-12-06T11:30:00.000Z",
      target: { destination: DST },
    });
  });

  it("--aggregation NAME backfills one aggregation; two targets are a usage error", async () => {
    expect((await replayBody(["--from", "7d", "--aggregation", "per-user"])).body).toMatchObject({
      target: { aggregation: "per-user" },
    });
    const both = await replayBody(["--from", "7d", "--aggregation", "a", "--to", DST]);
    expect(both.code).toBe(2);
    expect(both.err).toContain("one target");
  });
});

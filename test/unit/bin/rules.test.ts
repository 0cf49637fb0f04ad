/**
 * `npm run rules`: the verbs against a fake API (what each sends, what it prints, exit
 * codes). The API itself is tested end to end in test/e2e/rules.test.ts.
 */
import { describe, expect, it } from "vitest";
import { type Io, main } from "../../../bin/rules.js";

interface Sent {
  method: string;
  url: string;
  body?: unknown;
  auth?: string;
}

function fakeIo(
  answers: Record<string, { status: number; body: unknown }>,
  files: Record<string, string> = {},
) {
  const sent: Sent[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    fetch: (async (url: string, init: RequestInit) => {
      const method = init.method ?? "GET";
      const headers = init.headers as Record<string, string>;
      sent.push({
        method,
        url,
        ...(init.body ? { body: JSON.parse(String(init.body)) } : {}),
        ...(headers.authorization ? { auth: headers.authorization } : {}),
      });
      const answer = answers[`${method} ${new URL(url).pathname}`] ?? { status: 404, body: {} };
      return new Response(JSON.stringify(answer.body), { status: answer.status });
    }) as typeof fetch,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { EVENTFLOW_API_KEY: "efk_test" },
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error("ENOENT");
      return text;
    },
  };
  return { io, sent, out, err };
}

const ruleset = {
  version: 3,
  source: "tenant",
  rules: [{ name: "r1", match: { type: ["x"] }, actions: [{ type: "reject", message: "no" }] }],
  updatedAt: "2026-12-06T10:00:00.000Z",
};

describe("npm run rules", () => {
  it("list prints the version and each rule in order", async () => {
    const f = fakeIo({ "GET /v1/rules": { status: 200, body: ruleset } });
    expect(await main(["list", "--url", "http://api.test"], f.io)).toBe(0);
    expect(f.sent).toEqual([
      { method: "GET", url: "http://api.test/v1/rules", auth: "Bearer efk_test" },
    ]);
    expect(f.out[0]).toBe(
      "version 3 (tenant, changed 2026-12-06T10:00:00.000Z): 1 rules, in order",
    );
    expect(f.out).toContain("1. r1");
  });

  it("put sends the file (a bare list too) with --expected-version", async () => {
    const f = fakeIo(
      { "PUT /v1/rules": { status: 200, body: { ...ruleset, version: 4 } } },
      { "rules.json": JSON.stringify(ruleset.rules) },
    );
    expect(
      await main(
        ["put", "--file", "rules.json", "--expected-version", "3", "--url", "http://api.test"],
        f.io,
      ),
    ).toBe(0);
    expect(f.sent[0]?.body).toEqual({ rules: ruleset.rules, expectedVersion: 3 });
    expect(f.out).toEqual(["saved: version 4 (1 rules)"]);
  });

  it("test sends an event or a type; a 400 prints each problem and exits 2", async () => {
    const f = fakeIo({
      "POST /v1/rules/test": {
        status: 400,
        body: {
          error: {
            code: "validation_failed",
            message: "bad",
            details: [{ path: "type", message: "is wrong" }],
          },
        },
      },
    });
    expect(
      await main(["test", "--type", "purchase", "--last", "2", "--url", "http://api.test"], f.io),
    ).toBe(2);
    expect(f.sent[0]?.body).toEqual({ type: "purchase", last: 2 });
    expect(f.err).toEqual(["error: 400 validation_failed bad", "  type: is wrong"]);
  });

  it("refuses a call without a verb's inputs, and unknown verbs", async () => {
    const f = fakeIo({});
    expect(await main(["put", "--url", "http://api.test"], f.io)).toBe(2);
    expect(await main(["test", "--url", "http://api.test"], f.io)).toBe(2);
    expect(await main(["frobnicate", "--url", "http://api.test"], f.io)).toBe(2);
    expect(f.sent).toEqual([]);
  });
});

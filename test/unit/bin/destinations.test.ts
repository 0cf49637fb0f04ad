/** `npm run destinations`: verbs map to the API, errors name their fields, the secret is shown once. */
import { describe, expect, it } from "vitest";
import { main } from "../../../bin/destinations.js";
import { fakeCliIo as io } from "../../support/cli-io.js";

describe("npm run destinations", () => {
  it("create sends the fields given, headers as an object, with the key", async () => {
    const t = io([{ status: 201, body: { id: "dst_1", secret: "whsec_abc" } }]);
    const code = await main(
      [
        "create",
        "--kind",
        "webhook",
        "--name",
        "orders",
        "--url",
        "https://hooks.example.com/e",
        "--header",
        "X-Team=shop",
        "--ordered",
        "--max-concurrency",
        "4",
      ],
      t.io,
    );
    expect(code).toBe(0);
    expect(t.calls).toEqual([
      {
        method: "POST",
        url: "http://api.test/v1/destinations",
        body: {
          kind: "webhook",
          name: "orders",
          url: "https://hooks.example.com/e",
          headers: { "X-Team": "shop" },
          ordered: true,
          maxConcurrency: 4,
        },
        auth: "Bearer efk_x_y",
      },
    ]);
    expect(t.out.join("\n")).toContain("whsec_abc");
  });

  it("deliveries turns durations into instants and lists one line per delivery", async () => {
    const t = io([
      {
        status: 200,
        body: {
          items: [
            {
              id: "dlv_1",
              status: "failed",
              attemptCount: 3,
              destinationId: "dst_1",
              eventId: "e1",
            },
          ],
        },
      },
    ]);
    expect(await main(["deliveries", "--status", "failed", "--from", "2h"], t.io)).toBe(0);
    expect(t.calls[0]?.url).toBe(
      "http://api.test/v1/deliveries?status=failed&from=2026-12-06T10%3A00%3A00.000Z",
    );
    expect(t.out).toHaveLength(1);
    expect(t.out[0]).toMatch(/^dlv_1 +failed +attempts 3 +dst_1 +e1$/);
  });

  it("an API error prints status, code, message and each field, and exits 2", async () => {
    const t = io([
      {
        status: 400,
        body: {
          error: {
            code: "validation_failed",
            message: "The destination is not valid",
            details: [{ path: "url", message: "must be https" }],
          },
        },
      },
    ]);
    expect(await main(["create", "--kind", "webhook", "--url", "http://x"], t.io)).toBe(2);
    expect(t.err).toEqual([
      "error: 400 validation_failed The destination is not valid",
      "  url: must be https",
    ]);
  });

  it("a verb that needs an id says so without calling the API", async () => {
    const t = io([]);
    expect(await main(["rotate"], t.io)).toBe(2);
    expect(t.calls).toEqual([]);
    expect(t.err[0]).toBe("error: rotate needs a destination id");
  });

  it("an unreachable API is exit 1 with the URL, not a stack trace", async () => {
    const t = io([]);
    t.io.fetch = (async () => {
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
    }) as typeof fetch;
    expect(await main(["list"], t.io)).toBe(1);
    expect(t.err[0]).toContain("cannot reach http://api.test");
    expect(t.err[0]).toContain("ECONNREFUSED");
  });
});

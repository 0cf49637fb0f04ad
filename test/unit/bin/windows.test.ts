/** `npm run windows`: verbs map to the API, errors print their field details, backfill follows cursors. */
import { describe, expect, it } from "vitest";
import { main } from "../../../bin/windows.js";
import { fakeCliIo as io } from "../../support/cli-io.js";

describe("npm run windows", () => {
  it("put sends the file to PUT /v1/aggregations/{name} with the key", async () => {
    const t = io([{ status: 201, body: { name: "a", version: 1 } }], { "a.json": '{"window":{}}' });
    expect(await main(["put", "aggregation", "a", "--file", "a.json"], t.io)).toBe(0);
    expect(t.calls).toEqual([
      {
        method: "PUT",
        url: "http://api.test/v1/aggregations/a",
        body: { window: {} },
        auth: "Bearer efk_x_y",
      },
    ]);
    expect(t.out).toEqual(["aggregation a version 1"]);
  });

  it("results turns durations into instants and prints each window", async () => {
    const t = io([
      {
        status: 200,
        body: {
          windows: [
            {
              start: "s",
              end: "e",
              closed: true,
              group: { subject: "u" },
              count: 2,
              late: 1,
              measures: { n: 2 },
            },
          ],
        },
      },
    ]);
    expect(await main(["results", "a", "--from", "2h", "--group", "u"], t.io)).toBe(0);
    expect(t.calls[0]?.url).toBe(
      "http://api.test/v1/aggregations/a?from=2026-12-06T10%3A00%3A00.000Z&group=u",
    );
    expect(t.out[0]).toContain("closed");
    expect(t.out[0]).toContain("late 1");
  });

  it("backfill follows nextCursor until done", async () => {
    const t = io([
      { status: 200, body: { scanned: 2000, contributed: 10, nextCursor: "c1" } },
      { status: 200, body: { scanned: 5, contributed: 1 } },
    ]);
    expect(await main(["backfill", "a", "--from", "24h"], t.io)).toBe(0);
    expect(t.calls.map((c) => c.body)).toEqual([{ from: "24h" }, { from: "24h", cursor: "c1" }]);
    expect(t.out).toEqual([
      "backfill: 2005 stored events read, 11 contributions written (once each)",
    ]);
  });

  it("a 400 prints each field error and exits 2; a bad kind is a usage error", async () => {
    const t = io(
      [
        {
          status: 400,
          body: {
            error: {
              message: "1 field is invalid",
              details: [{ path: "window.size", message: "must be..." }],
            },
          },
        },
      ],
      { "p.json": "{}" },
    );
    expect(await main(["put", "pattern", "p", "--file", "p.json"], t.io)).toBe(2);
    expect(t.err).toEqual(["error: 400 1 field is invalid", "  window.size: must be..."]);
    const u = io([]);
    expect(await main(["delete", "widget", "x"], u.io)).toBe(2);
    expect(u.calls).toEqual([]);
  });
});

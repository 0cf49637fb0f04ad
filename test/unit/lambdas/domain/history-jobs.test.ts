/** POST /v1/replays' target (README "History"): the forms it takes, what it refuses. */
import { describe, expect, it } from "vitest";
import { replayRequestSchema } from "../../../../lambdas/domain/history-jobs.js";

const DST = `dst_${"a".repeat(26)}`;
const from = "2026-12-01T00:00:00Z";
const parse = (target?: unknown) =>
  replayRequestSchema.safeParse({ from, ...(target === undefined ? {} : { target }) });

describe("a replay's target", () => {
  it("defaults to the pipeline, and names a destination or an aggregation", () => {
    expect(parse().data?.target).toEqual({ kind: "pipeline" });
    expect(parse({ kind: "pipeline" }).data?.target).toEqual({ kind: "pipeline" });
    expect(parse({ destination: DST }).data?.target).toEqual({
      kind: "destination",
      destination: DST,
    });
    expect(parse({ kind: "aggregation", aggregation: "per-user" }).data?.target).toEqual({
      kind: "aggregation",
      aggregation: "per-user",
    });
  });

  it("refuses two targets, a kind without its name, bad ids and unknown fields", () => {
    const paths = (target: unknown) =>
      parse(target).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    expect(paths({ destination: DST, aggregation: "a" })).toEqual([
      "target: give one of destination or aggregation",
    ]);
    expect(paths({ kind: "destination" })).toEqual([
      "target.destination: required with kind destination",
    ]);
    expect(paths({ kind: "pipeline", aggregation: "a" })).toEqual([
      "target.kind: pipeline takes no aggregation",
    ]);
    expect(paths({ destination: "dst_short" })[0]).toContain("target.destination");
    expect(paths({ aggregation: "-bad" })[0]).toContain("target.aggregation");
    expect(paths({ version: 3 })[0]).toContain("version");
  });
});

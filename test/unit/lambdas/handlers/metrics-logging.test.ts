/**
 * Powertools Metrics on the API functions, with metrics on (as in Lambda): an invocation
 * that adds no metric (a query, the health check) logs no "No application metrics to
 * publish" warning, and one that adds metrics still publishes them as EMF. The warning is
 * kept at DEBUG (lambdas/shared/powertools.ts), not lost.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { apiEvent, ingestEvent, lambdaContext } from "../../../support/apigw.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";

type Handler = (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>;

let aws: TestAws;
let query: Handler;
let ingest: Handler;
let powertools: typeof import("../../../../lambdas/shared/powertools.js");

/** The functions as a new execution environment loads them, at this log level. */
async function load(logLevel: "INFO" | "DEBUG") {
  process.env.POWERTOOLS_LOG_LEVEL = logLevel;
  vi.resetModules();
  query = await aws.handler("query");
  ({ handler: ingest } = await import("../../../../lambdas/entry/ingest.js"));
  powertools = await import("../../../../lambdas/shared/powertools.js");
}

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = "false";
  aws = await startTestAws(["query", "ingest"]);
  await load("INFO");
});
afterAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  await aws.stop();
});

/** Everything written to stdout and stderr while `fn` runs, line by line. */
async function output(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(...String(chunk).split("\n").filter(Boolean));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
  try {
    await fn();
  } finally {
    vi.restoreAllMocks();
  }
  return lines;
}

const emf = (lines: string[]) =>
  lines
    .filter((l) => l.includes('"_aws"'))
    .map(
      (l) =>
        JSON.parse(l) as Record<string, unknown> & {
          _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
        },
    )
    .flatMap((doc) => doc._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => x.Name)));

describe("metrics and the empty-buffer warning", () => {
  it("a query or health check that adds no metric logs no warning", async () => {
    // The first call publishes the ColdStart metric (a metric of its own); the others none.
    const lines = await output(async () => {
      for (const path of ["/v1/health", "/v1/openapi.json", "/v1/health"]) {
        const result = await query(apiEvent({ path }), lambdaContext());
        expect(result.statusCode).toBe(200);
      }
    });
    expect(lines.filter((l) => l.includes(powertools.EMPTY_METRICS_WARNING))).toEqual([]);
    expect(lines.filter((l) => /"level":"WARN"/.test(l))).toEqual([]);
  });

  it("still says it at DEBUG, through the structured logger", async () => {
    await load("DEBUG");
    const lines = await output(() => query(apiEvent({ path: "/v1/health" }), lambdaContext()));
    const said = lines.filter((l) => l.includes(powertools.EMPTY_METRICS_WARNING));
    expect(said).toHaveLength(1);
    expect(JSON.parse(said[0] ?? "{}")).toMatchObject({ level: "DEBUG", service: "eventflow" });
  });

  it("an invocation that adds metrics publishes them", async () => {
    const lines = await output(async () => {
      const result = await ingest(
        ingestEvent({ type: "purchase", data: { amount: 5 } }),
        lambdaContext(),
      );
      expect(result.statusCode).toBe(202);
    });
    expect(emf(lines)).toEqual(expect.arrayContaining(["EventsReceived", "EventsQueued"]));
    expect(lines.filter((l) => l.includes(powertools.EMPTY_METRICS_WARNING))).toEqual([]);
  });

  it("other Metrics warnings remain warnings", async () => {
    const lines = await output(async () => {
      powertools.metrics.addDimension("", "x");
    });
    expect(lines.some((l) => l.includes('"level":"WARN"') && l.includes("dimension"))).toBe(true);
  });
});

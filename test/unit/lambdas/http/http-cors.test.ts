/**
 * CORS on the functions' own answers. A Lambda proxy answer reaches the browser with the
 * headers the function gives it (API Gateway's preflight adds none to it), so the API
 * functions echo an allowed Origin themselves, from the `corsOrigins` setting passed
 * through functionEnvironment, and send nothing CORS-related when it is empty.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { HttpConfig } from "../../../../lambdas/shared/http.js";
import { resolveSettings } from "../../../../lib/config.js";
import { ENV } from "../../../../lib/contracts/environment.js";
import { functionEnvironment } from "../../../../lib/contracts/functions.js";
import { apiEvent, bodyOf, lambdaContext } from "../../../support/apigw.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";

const APP = "https://app.example.com";
const ADMIN = "https://admin.example.com:8443";
const EXPOSE = "X-Correlation-Id, Retry-After";

type Handler = (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>;
type Http = typeof import("../../../../lambdas/shared/http.js") & { config: HttpConfig };

/** The shared HTTP module, with the config a function reads from this CORS_ALLOWED_ORIGINS. */
async function httpWith(origins: string | undefined): Promise<Http> {
  const http = await import("../../../../lambdas/shared/http.js");
  const env = origins === undefined ? {} : { [ENV.corsOrigins]: origins };
  return { ...http, config: http.httpConfig(env) };
}

const run = (http: Http, route: Parameters<Http["httpHandler"]>[0], event: APIGatewayProxyEvent) =>
  http.httpHandler(route, http.config)(event, lambdaContext()) as Promise<APIGatewayProxyResult>;

const corsOf = (result: APIGatewayProxyResult) =>
  Object.fromEntries(
    Object.entries(result.headers ?? {}).filter(
      ([k]) => k.startsWith("Access-Control-") || k === "Vary",
    ),
  );

describe("the query function, with two allowed origins (settings -> environment -> handler)", () => {
  let aws: TestAws;
  let handler: Handler;

  beforeAll(async () => {
    aws = await startTestAws(["query"], { corsOrigins: `${APP}, ${ADMIN}` });
    expect(process.env[ENV.corsOrigins]).toBe(`${APP},${ADMIN}`);
    vi.resetModules();
    handler = await aws.handler("query");
  });
  afterAll(() => aws.stop());

  const get = (path: string, headers: Record<string, string> = {}) =>
    handler(apiEvent({ path, headers }), lambdaContext());

  it("echoes an allowed Origin, with Vary and the exposed headers", async () => {
    for (const origin of [APP, ADMIN]) {
      const result = await get("/v1/health", { Origin: origin });
      expect(result.statusCode).toBe(200);
      expect(corsOf(result)).toEqual({
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": EXPOSE,
        Vary: "Origin",
      });
      expect(result.headers?.["X-Correlation-Id"]).toBeTruthy();
    }
  });

  it("puts them on error answers too (404, 400), in the error envelope", async () => {
    const missing = await get("/v1/events/nope", { origin: APP });
    expect(missing.statusCode).toBe(404);
    expect(bodyOf(missing)).toEqual({
      error: { code: "not_found", message: "No event has this id", requestId: expect.any(String) },
    });
    const invalid = await get("/v1/events?limit=0", { origin: APP });
    expect(invalid.statusCode).toBe(400);
    for (const result of [missing, invalid]) {
      expect(result.headers?.["Access-Control-Allow-Origin"]).toBe(APP);
    }
  });

  it("allows no other origin (nor a near miss), but still says the answer varies by Origin", async () => {
    for (const origin of [
      "https://evil.example.com",
      `${APP}/`,
      "http://app.example.com",
      "https://admin.example.com",
    ]) {
      expect(corsOf(await get("/v1/health", { Origin: origin })), origin).toEqual({
        Vary: "Origin",
      });
    }
    expect(corsOf(await get("/v1/health"))).toEqual({ Vary: "Origin" });
  });
});

describe("the shared HTTP wrapper (every API function)", () => {
  beforeAll(() => {
    process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
    process.env.POWERTOOLS_METRICS_DISABLED = "true";
  });
  afterAll(() => {
    delete process.env[ENV.corsOrigins];
  });

  it("adds Origin to a Vary the route set, and covers the catch-all 500", async () => {
    const http = await httpWith(APP);
    const event = apiEvent({ path: "/x", headers: { ORIGIN: APP } });
    const negotiated = await run(http, async () => http.json(200, {}, { Vary: "Accept" }), event);
    expect(negotiated.headers?.Vary).toBe("Accept, Origin");
    const failed = await run(
      http,
      async () => {
        throw new Error("boom");
      },
      event,
    );
    expect(failed.statusCode).toBe(500);
    expect(corsOf(failed)).toEqual({
      "Access-Control-Allow-Origin": APP,
      "Access-Control-Expose-Headers": EXPOSE,
      Vary: "Origin",
    });
  });

  it("with `*`, lets any origin read answers (no Vary needed)", async () => {
    const http = await httpWith("*");
    const result = await run(
      http,
      async () => http.json(200, {}),
      apiEvent({ path: "/x", headers: { Origin: "https://anyone.example" } }),
    );
    expect(corsOf(result)).toEqual({
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Expose-Headers": EXPOSE,
    });
  });

  it("sends no CORS header at all when no origin is configured", async () => {
    for (const value of [undefined, ""]) {
      const http = await httpWith(value);
      const result = await run(
        http,
        async () => http.httpError(429, "throttled", "slow down", { headers: { Vary: "Accept" } }),
        apiEvent({ path: "/x", headers: { Origin: APP } }),
      );
      expect(corsOf(result)).toEqual({ Vary: "Accept" });
    }
  });
});

describe("the setting", () => {
  const refs = {
    tableName: "t",
    queueUrl: "q",
    dlqUrl: "d",
    keysTableName: "k",
    configTableName: "cfg",
    cursorSecretId: "c",
    archiveBucketName: "a",
    jobsQueueUrl: "j",
    deliveryQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/d",
    deliveryFifoQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/d.fifo",
    deliveryDlqUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/d-dlq",
    deliveriesTableName: "d",
    destinationSecretId: "k",
  };

  it("reaches the API functions only, and only when set", () => {
    const on = resolveSettings({ corsOrigins: `${APP},${ADMIN}` });
    for (const name of ["ingest", "query", "replay"] as const) {
      expect(functionEnvironment(name, on, refs)[ENV.corsOrigins], name).toBe(`${APP},${ADMIN}`);
    }
    for (const name of ["process", "dlq", "authorizer"] as const) {
      expect(functionEnvironment(name, on, refs), name).not.toHaveProperty(ENV.corsOrigins);
    }
    const off = resolveSettings({});
    for (const name of ["ingest", "query", "replay"] as const) {
      expect(functionEnvironment(name, off, refs), name).not.toHaveProperty(ENV.corsOrigins);
    }
  });

  it("takes origins as browsers send them, and refuses what would never match", () => {
    expect(
      resolveSettings({ corsOrigins: ` ${APP} ,*,http://localhost:5173` }).corsOrigins,
    ).toEqual([APP, "*", "http://localhost:5173"]);
    for (const bad of [`${APP}/`, "app.example.com", `${APP}/path`, "https://APP.example.com"]) {
      expect(() => resolveSettings({ corsOrigins: bad }), bad).toThrow(/corsOrigins/);
    }
  });
});

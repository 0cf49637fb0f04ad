/**
 * The local API Gateway over real HTTP, with small test handlers: REST v1 proxy
 * events, the gateway's own answers (as the stack configures them), and the mapping
 * of a handler's answer back to HTTP.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import type { Route } from "../../lib/contracts/functions.js";
import { GATEWAY_ANSWERS, INTERNAL_ERROR_MESSAGE } from "../../lib/contracts/gateway.js";
import { writeAnswer } from "../../local/gateway/answers.js";
import { ApiGateway } from "../../local/gateway/api-gateway.js";
import { buildProxyEvent } from "../../local/gateway/proxy-event.js";
import { mapProxyResult } from "../../local/gateway/proxy-result.js";
import { Router } from "../../local/gateway/router.js";
import { TokenBucket } from "../../local/gateway/token-bucket.js";
import { type AnyHandler, invokeFunction } from "../../local/lambda.js";
import { silentLogger } from "../../local/log.js";

const ROUTES: Route[] = [
  { method: "POST", path: "/v1/events", function: "ingest", scope: "events:write" },
  { method: "GET", path: "/v1/events", function: "query", scope: "events:read" },
  { method: "GET", path: "/v1/events/{id}", function: "query", scope: "events:read" },
];

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

interface Setup {
  handler: (event: APIGatewayProxyEvent, context: Context) => unknown;
  timeoutSeconds?: number;
  integrationTimeoutMs?: number;
  throttle?: { rateLimit: number; burstLimit: number };
  cors?: boolean;
}

async function start(setup: Setup) {
  const seen: { event: APIGatewayProxyEvent; context: Context }[] = [];
  const gateway = new ApiGateway({
    routes: ROUTES,
    throttle: setup.throttle ?? { rateLimit: 1000, burstLimit: 2000 },
    logger: silentLogger,
    region: "us-east-1",
    ...(setup.integrationTimeoutMs ? { integrationTimeoutMs: setup.integrationTimeoutMs } : {}),
    ...(setup.cors
      ? {
          cors: {
            allowOrigins: ["https://a.example", "https://b.example"],
            allowMethods: ["POST", "GET"],
            allowHeaders: ["Content-Type", "X-Correlation-Id"],
            exposeHeaders: ["X-Correlation-Id"],
          },
        }
      : {}),
    invoke: (route, event) =>
      invokeFunction(
        {
          name: route.function,
          functionName: `eventflow-${route.function}`,
          timeoutSeconds: setup.timeoutSeconds ?? 10,
          memoryMb: 512,
          region: "us-east-1",
        },
        ((event: APIGatewayProxyEvent, context: Context) => {
          seen.push({ event, context });
          return setup.handler(event, context);
        }) as AnyHandler,
        event,
      ),
  });
  const s = createServer((req, res) => {
    void gateway.handle(req, (s.address() as AddressInfo).port).then((a) => writeAnswer(res, a));
  });
  server = s;
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return { url, seen };
}

const ok = async () => ({ statusCode: 200, body: "{}" });

/** The error envelope every answer of the gateway's own has (lambdas/shared/http.ts). */
const envelope = (code: string, message: string, requestId: string | null) => ({
  error: { code, message, requestId: requestId ?? "(no x-amzn-RequestId header)" },
});

describe("REST v1 proxy events", () => {
  it("carries what API Gateway sends", async () => {
    const { url, seen } = await start({ handler: ok });
    await fetch(`${url}/v1/events/abc%3A1?limit=5&type=a&type=b`, {
      headers: { "X-Custom": "one", Accept: "application/json" },
    });
    const { event, context } = seen[0] ?? {};
    expect(event).toMatchObject({
      resource: "/v1/events/{id}",
      path: "/v1/events/abc%3A1",
      httpMethod: "GET",
      pathParameters: { id: "abc%3A1" },
      queryStringParameters: { limit: "5", type: "b" },
      multiValueQueryStringParameters: { limit: ["5"], type: ["a", "b"] },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        resourcePath: "/v1/events/{id}",
        httpMethod: "GET",
        stage: "local",
        protocol: "HTTP/1.1",
        identity: { sourceIp: "127.0.0.1" },
      },
    });
    expect(event?.headers["X-Custom"] ?? event?.headers["x-custom"]).toBe("one");
    expect(event?.multiValueHeaders["X-Forwarded-For"]).toEqual(["127.0.0.1"]);
    expect(event?.headers["X-Amzn-Trace-Id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(event?.requestContext.requestId).toMatch(/[0-9a-f-]{36}/);
    expect(event?.requestContext.requestTimeEpoch).toBeGreaterThan(Date.now() - 10_000);
    expect(event?.requestContext.requestTime).toMatch(/^\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    expect(context?.functionName).toBe("eventflow-query");
    expect(context?.memoryLimitInMB).toBe("512");
    expect(context?.getRemainingTimeInMillis()).toBeGreaterThan(9_000);
    expect(context?.getRemainingTimeInMillis()).toBeLessThanOrEqual(10_000);
  });

  it("passes text bodies as strings and other content types base64-encoded", async () => {
    const { url, seen } = await start({ handler: ok });
    await fetch(`${url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"a":1}',
    });
    await fetch(`${url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: new Uint8Array([0, 1, 2, 255]),
    });
    expect(seen[0]?.event).toMatchObject({
      body: '{"a":1}',
      isBase64Encoded: false,
      queryStringParameters: null,
      pathParameters: null,
    });
    expect(seen[1]?.event).toMatchObject({ body: "AAEC/w==", isBase64Encoded: true });
  });
});

describe("the gateway's own answers (as the stack configures them)", () => {
  it("an unknown resource and a wrong method are 404 route_not_found with a request id", async () => {
    const { url, seen } = await start({ handler: ok });
    for (const [method, path] of [
      ["GET", "/nope"],
      ["DELETE", "/v1/events"],
      ["GET", "/v1/events/a/b"],
    ] as const) {
      const res = await fetch(`${url}${path}`, { method });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual(
        envelope("route_not_found", "No such route", res.headers.get("x-amzn-requestid")),
      );
    }
    expect(seen).toHaveLength(0);
  });

  it("a payload over 10 MB is 413", async () => {
    const { url, seen } = await start({ handler: ok });
    const res = await fetch(`${url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(10 * 1024 * 1024 + 1),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual(
      envelope(
        "payload_too_large",
        "The request is over the API's 10 MB limit",
        res.headers.get("x-amzn-requestid"),
      ),
    );
    expect(seen).toHaveLength(0);
  });

  it("a handler that throws is 502 internal_error, without its message", async () => {
    const { url } = await start({
      handler: async () => {
        throw new Error("secret detail");
      },
    });
    const res = await fetch(`${url}/v1/events`);
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual(
      envelope("internal_error", INTERNAL_ERROR_MESSAGE, res.headers.get("x-amzn-requestid")),
    );
    expect(text).not.toContain("secret");
  });

  it("a malformed proxy answer is 502", async () => {
    const { url } = await start({ handler: async () => ({ statusCode: 200, body: { a: 1 } }) });
    expect((await fetch(`${url}/v1/events`)).status).toBe(502);
  });

  it("a handler past its function timeout is 502 (Lambda's timeout comes first)", async () => {
    const { url } = await start({
      timeoutSeconds: 1,
      handler: () => new Promise((r) => setTimeout(() => r({ statusCode: 200 }), 1_500)),
    });
    const started = Date.now();
    const res = await fetch(`${url}/v1/events`);
    expect(res.status).toBe(502);
    expect(Date.now() - started).toBeLessThan(1_400);
  });

  it("past the integration timeout is 504 integration_timeout", async () => {
    const { url } = await start({
      integrationTimeoutMs: 300,
      handler: () => new Promise((r) => setTimeout(() => r({ statusCode: 200 }), 1_000)),
    });
    const res = await fetch(`${url}/v1/events`);
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual(
      envelope(
        "integration_timeout",
        GATEWAY_ANSWERS.integrationTimeout.message,
        res.headers.get("x-amzn-requestid"),
      ),
    );
  });

  it("throttles with the stage's token bucket: 429 throttled with Retry-After", async () => {
    const { url } = await start({ handler: ok, throttle: { rateLimit: 1, burstLimit: 3 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${url}/v1/events`)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const res = await fetch(`${url}/v1/events`);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toEqual(
      envelope("throttled", "Too Many Requests", res.headers.get("x-amzn-requestid")),
    );
  });

  it("answers CORS preflights on every resource when origins are configured", async () => {
    const { url, seen } = await start({ handler: ok, cors: true });
    const res = await fetch(`${url}/v1/events/x`, {
      method: "OPTIONS",
      headers: { origin: "https://b.example" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://b.example");
    expect(res.headers.get("access-control-allow-methods")).toBe("POST,GET");
    expect(res.headers.get("vary")).toBe("Origin");
    const other = await fetch(`${url}/v1`, { method: "OPTIONS", headers: { origin: "https://x" } });
    expect(other.headers.get("access-control-allow-origin")).toBe("https://a.example");
    expect(seen).toHaveLength(0);
  });
});

describe("CORS on the gateway's own answers (the stack's gateway responses)", () => {
  it("with several origins reflects none on 404, 429 and 502; never adds any to a function's answer", async () => {
    const { url } = await start({
      cors: true,
      throttle: { rateLimit: 1, burstLimit: 2 },
      handler: async (event) => {
        if (event.httpMethod === "POST") throw new Error("boom");
        return { statusCode: 200, body: "{}" };
      },
    });
    const origin = { origin: "https://b.example" };
    const missing = await fetch(`${url}/nope`, { headers: origin });
    const fromFunction = await fetch(`${url}/v1/events`, { headers: origin });
    const failed = await fetch(`${url}/v1/events`, { method: "POST", headers: origin });
    const throttled = await fetch(`${url}/v1/events`, { headers: origin });
    expect([missing.status, fromFunction.status, failed.status, throttled.status]).toEqual([
      404, 200, 502, 429,
    ]);
    for (const res of [missing, failed, throttled]) {
      // Two origins: a gateway response cannot check the Origin (no VTL), so it names none
      // and never reflects the request's (lib/contracts/cors.ts gatewayCorsHeaders).
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
      expect(res.headers.get("access-control-expose-headers")).toBeNull();
      expect(res.headers.get("vary")).toBeNull();
    }
    // The function's answer is its own: the handler sets CORS headers (lambdas/shared/http.ts).
    expect(fromFunction.headers.get("access-control-allow-origin")).toBeNull();
    // No Origin sent: nothing to echo.
    const bare = await fetch(`${url}/nope`);
    expect(bare.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("sends none when CORS is off", async () => {
    const { url } = await start({ handler: ok });
    const res = await fetch(`${url}/nope`, { headers: { origin: "https://b.example" } });
    expect(res.status).toBe(404);
    expect([...res.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
    expect(res.headers.get("vary")).toBeNull();
    const preflight = await fetch(`${url}/v1/events`, {
      method: "OPTIONS",
      headers: { origin: "https://b.example" },
    });
    expect(preflight.status).toBe(404);
  });
});

describe("the handler's answer back to HTTP", () => {
  it("maps status, headers, multiValueHeaders and base64 bodies", async () => {
    const { url } = await start({
      handler: async () => ({
        statusCode: 201,
        headers: { "X-One": "1", "Set-Cookie": "ignored" },
        multiValueHeaders: { "Set-Cookie": ["a=1", "b=2"] },
        body: Buffer.from([1, 2, 3]).toString("base64"),
        isBase64Encoded: true,
      }),
    });
    const res = await fetch(`${url}/v1/events`);
    expect(res.status).toBe(201);
    expect(res.headers.get("x-one")).toBe("1");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-amzn-requestid")).toMatch(/[0-9a-f-]{36}/);
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([1, 2, 3]);
  });

  it("rejects answers API Gateway calls malformed", () => {
    expect(mapProxyResult(null)).toBeUndefined();
    expect(mapProxyResult({ body: "x" })).toBeUndefined();
    expect(mapProxyResult({ statusCode: 99 })).toBeUndefined();
    expect(mapProxyResult({ statusCode: 200, multiValueHeaders: { a: "b" } })).toBeUndefined();
    expect(mapProxyResult({ statusCode: "204" })).toMatchObject({ status: 204 });
  });
});

describe("routing", () => {
  it("prefers literal segments and reports a resource without the method", () => {
    const router = new Router([
      { method: "GET", path: "/v1/events/{id}", function: "query", scope: "events:read" },
      { method: "GET", path: "/v1/events/latest", function: "query", scope: "events:read" },
    ]);
    expect(router.match("GET", "/v1/events/latest")).toMatchObject({ pathParameters: null });
    expect(router.match("GET", "/v1/events/x")).toMatchObject({ pathParameters: { id: "x" } });
    expect(router.match("POST", "/v1/events/x")).toEqual({ kind: "no-method" });
    expect(router.match("GET", "/v1/events/")).toEqual({ kind: "no-resource" });
    expect(router.isResource("/v1")).toBe(true);
    expect(router.isResource("/v2")).toBe(false);
  });

  it("the token bucket refills at the rate", async () => {
    const bucket = new TokenBucket(20, 1);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(bucket.take()).toBe(true);
  });

  it("builds events without a socket", () => {
    const event = buildProxyEvent({
      method: "POST",
      path: "/v1/events",
      query: "",
      rawHeaders: ["X-Forwarded-For", "10.0.0.1", "Host", "api.local:3000"],
      body: Buffer.from("{}"),
      sourceIp: "127.0.0.1",
      route: { method: "POST", path: "/v1/events", function: "ingest", scope: "events:write" },
      pathParameters: null,
      resourceId: "abc123",
      requestId: "r-1",
      now: new Date("2026-11-22T02:15:00Z"),
      localPort: 3000,
    });
    expect(event.headers["X-Forwarded-For"]).toBe("10.0.0.1, 127.0.0.1");
    expect(event.requestContext.domainName).toBe("api.local");
    expect(event.requestContext.requestTime).toBe("22/Nov/2026:02:15:00 +0000");
  });
});

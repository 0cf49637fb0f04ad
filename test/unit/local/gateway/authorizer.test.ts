/**
 * The local gateway's authorizer and usage plan (local/gateway/authorizer.ts), with a stub authorizer
 * function and a fake clock: identity source, caching per header value, the policy
 * checked per method ARN, 401/403/429/500 answers as the stack's gateway responses, and
 * per-tenant token buckets and daily quotas.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { accessPolicy } from "../../../../lambdas/domain/access-policy.js";
import { ROUTES } from "../../../../lib/contracts/functions.js";
import { writeAnswer } from "../../../../local/gateway/answers.js";
import { ApiGateway } from "../../../../local/gateway/api-gateway.js";
import { LocalAuthorizer } from "../../../../local/gateway/authorizer.js";
import { allows, arnMatches } from "../../../../local/gateway/policy.js";
import { TenantBucket } from "../../../../local/gateway/usage-plan.js";
import type { InvokeOutcome } from "../../../../local/lambda.js";
import { silentLogger } from "../../../../local/log.js";

const API = "arn:aws:execute-api:us-east-1:000000000000:local/local";

/**
 * A stub authorizer function: keys are "<tenant>:<scope,scope>" (then "@<expiresAt>" for a
 * key that expires); "boom" fails.
 */
function stubAuthorizer() {
  const calls: APIGatewayRequestAuthorizerEvent[] = [];
  const invoke = async (event: APIGatewayRequestAuthorizerEvent): Promise<InvokeOutcome> => {
    calls.push(event);
    const header = event.headers?.authorization ?? event.headers?.Authorization ?? "";
    const token = header.replace(/^Bearer /, "");
    if (token === "boom") {
      return { kind: "error", error: new Error("socket hang up"), durationMs: 1, requestId: "r" };
    }
    const [key = "", expiresAt] = token.split("@");
    const colon = key.indexOf(":");
    const tenant = colon > 0 ? key.slice(0, colon) : undefined;
    const scopes = colon > 0 ? key.slice(colon + 1) : undefined;
    if (!tenant || scopes === undefined) {
      return { kind: "error", error: new Error("Unauthorized"), durationMs: 1, requestId: "r" };
    }
    return {
      kind: "ok",
      durationMs: 1,
      requestId: "r",
      result: {
        principalId: `${tenant}-key`,
        policyDocument: accessPolicy(event.methodArn, scopes.split(",")),
        context: {
          tenantId: tenant,
          scopes: scopes.split(",").join(" "),
          keyId: `${tenant}-key`,
          ...(expiresAt ? { expiresAt } : {}),
        },
        usageIdentifierKey: tenant === "nousage" ? undefined : `usage-${tenant}`,
      },
    };
  };
  return { calls, invoke };
}

const proxyEvent = (method: string, path: string, authorization?: string) =>
  ({
    resource: path,
    path,
    httpMethod: method,
    headers: authorization ? { Authorization: authorization } : {},
    multiValueHeaders: {},
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: "x" },
    body: null,
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEvent;

function setup(
  cacheTtlSeconds = 300,
  limits = { rateLimit: 1000, burstLimit: 1000, quotaPerDay: 0 },
) {
  const stub = stubAuthorizer();
  let now = Date.parse("2026-11-22T10:00:00Z");
  const auth = new LocalAuthorizer({
    invoke: stub.invoke,
    cacheTtlSeconds,
    limits,
    logger: silentLogger,
    now: () => now,
  });
  const check = (method: string, path: string, authorization?: string) =>
    auth.check(proxyEvent(method, path, authorization), `${API}/${method}${path}`);
  const status = async (method: string, path: string, authorization?: string) => {
    const d = await check(method, path, authorization);
    return d.kind === "allow" ? 200 : d.answer("req-1").status;
  };
  return { stub, check, status, advance: (ms: number) => (now += ms) };
}

describe("local authorizer", () => {
  it("answers 401 without calling the authorizer when there is no Authorization header", async () => {
    const { stub, check } = setup();
    const d = await check("GET", "/v1/events");
    expect(d.kind).toBe("refuse");
    if (d.kind !== "refuse") return;
    const answer = d.answer("req-1");
    expect(answer.status).toBe(401);
    expect(answer.headers).toMatchObject({ "www-authenticate": 'Bearer realm="eventflow"' });
    expect(JSON.parse(String(answer.body))).toEqual({
      error: {
        code: "unauthorized",
        message: expect.stringContaining("API key is required"),
        requestId: "req-1",
      },
    });
    expect(stub.calls).toHaveLength(0);
  });

  it("sends API Gateway's REQUEST event, and passes the context to the integration", async () => {
    const { stub, check } = setup();
    const d = await check("POST", "/v1/events", "Bearer acme:events:write");
    expect(d).toEqual({
      kind: "allow",
      authorizer: {
        tenantId: "acme",
        scopes: "events:write",
        keyId: "acme-key",
        principalId: "acme-key",
        integrationLatency: 0,
      },
      usageKey: "usage-acme",
    });
    expect(stub.calls[0]).toMatchObject({
      type: "REQUEST",
      methodArn: `${API}/POST/v1/events`,
      httpMethod: "POST",
      path: "/v1/events",
      headers: { Authorization: "Bearer acme:events:write" },
    });
  });

  it("caches an answer per header value for the TTL and checks its policy on every route", async () => {
    const { stub, status, advance } = setup(300);
    const key = "Bearer acme:events:write";
    expect(await status("POST", "/v1/events", key)).toBe(200);
    // From the cache: allowed route, and a route the scopes do not open (403).
    expect(await status("GET", "/v1/health", key)).toBe(200);
    expect(await status("GET", "/v1/events", key)).toBe(403);
    expect(await status("POST", "/v1/failed/replay", key)).toBe(403);
    expect(stub.calls).toHaveLength(1);
    advance(300_000);
    expect(await status("POST", "/v1/events", key)).toBe(200);
    expect(stub.calls).toHaveLength(2);
  });

  it("never caches an answer past the key's expiresAt (a rotated key's grace end)", async () => {
    const { stub, status, advance } = setup(300);
    // The clock starts at 10:00:00; this key stops at 10:00:10, well within the 300 s TTL.
    const key = "Bearer rotated:events:write@2026-11-22T10:00:10.000Z";
    expect(await status("POST", "/v1/events", key)).toBe(200);
    advance(9_000);
    expect(await status("POST", "/v1/events", key)).toBe(200);
    expect(stub.calls).toHaveLength(1);
    advance(1_000);
    // Past the expiry the authorizer is asked again (and would say Unauthorized).
    await status("POST", "/v1/events", key);
    expect(stub.calls).toHaveLength(2);
  });

  it("does not cache with a TTL of 0, nor an Unauthorized answer", async () => {
    const { stub, status } = setup(0);
    await status("GET", "/v1/health", "Bearer acme:admin");
    await status("GET", "/v1/health", "Bearer acme:admin");
    expect(stub.calls).toHaveLength(2);
    const cached = setup(300);
    expect(await cached.status("GET", "/v1/health", "Bearer garbage")).toBe(401);
    expect(await cached.status("GET", "/v1/health", "Bearer garbage")).toBe(401);
    expect(cached.stub.calls).toHaveLength(2);
  });

  it("answers 500 when the authorizer fails, 403 when it gives no usage plan key", async () => {
    const { status } = setup();
    expect(await status("GET", "/v1/health", "Bearer boom")).toBe(500);
    expect(await status("GET", "/v1/health", "Bearer nousage:admin")).toBe(403);
  });

  it("throttles each tenant on its own bucket: 429 throttled with Retry-After 1", async () => {
    const { check, status, advance } = setup(300, {
      rateLimit: 2,
      burstLimit: 3,
      quotaPerDay: 0,
    });
    const noisy = "Bearer noisy:events:write";
    const quiet = "Bearer quiet:events:write";
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) seen.push(await status("POST", "/v1/events", noisy));
    expect(seen).toEqual([200, 200, 200, 429, 429]);
    const d = await check("POST", "/v1/events", noisy);
    if (d.kind !== "refuse") throw new Error("expected a refusal");
    const answer = d.answer("r");
    expect(answer.headers).toMatchObject({ "retry-after": "1" });
    expect(JSON.parse(String(answer.body)).error.code).toBe("throttled");
    // Another tenant is untouched.
    expect(await status("POST", "/v1/events", quiet)).toBe(200);
    advance(500); // one token back at 2/s
    expect(await status("POST", "/v1/events", noisy)).toBe(200);
    expect(await status("POST", "/v1/events", noisy)).toBe(429);
  });

  it("counts a daily quota per tenant: 429 quota_exceeded until midnight UTC", async () => {
    const { check, status, advance } = setup(3600, {
      rateLimit: 100,
      burstLimit: 100,
      quotaPerDay: 3,
    });
    const key = "Bearer acme:events:read";
    for (let i = 0; i < 3; i++) expect(await status("GET", "/v1/events", key)).toBe(200);
    const d = await check("GET", "/v1/events", key);
    if (d.kind !== "refuse") throw new Error("expected a refusal");
    const answer = d.answer("r");
    expect(answer.status).toBe(429);
    expect(answer.headers).toMatchObject({ "retry-after": "3600" });
    expect(JSON.parse(String(answer.body)).error.code).toBe("quota_exceeded");
    expect(await status("GET", "/v1/events", "Bearer other:events:read")).toBe(200);
    advance(14 * 3_600_000); // the next UTC day
    expect(await status("GET", "/v1/events", "Bearer acme:events:read")).toBe(200);
  });
});

describe("policy evaluation", () => {
  it("matches IAM wildcards and lets an explicit Deny win", () => {
    expect(arnMatches(`${API}/GET/v1/events/*`, `${API}/GET/v1/events/e-1`)).toBe(true);
    expect(arnMatches(`${API}/GET/v1/events`, `${API}/GET/v1/events/e-1`)).toBe(false);
    expect(arnMatches(`${API}/GET/v1/openapi.json`, `${API}/GET/v1/openapiXjson`)).toBe(false);
    const allow = { Effect: "Allow" as const, Action: "execute-api:Invoke", Resource: `${API}/*` };
    const deny = {
      Effect: "Deny" as const,
      Action: "execute-api:Invoke",
      Resource: `${API}/POST/*`,
    };
    expect(allows([allow], `${API}/POST/v1/events`)).toBe(true);
    expect(allows([allow, deny], `${API}/POST/v1/events`)).toBe(false);
    expect(allows([], `${API}/GET/v1/health`)).toBe(false);
  });

  it("a token bucket refills at the rate, capped at the burst", () => {
    const bucket = new TenantBucket({ rateLimit: 10, burstLimit: 2, quotaPerDay: 0 }, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual(["ok", "ok", "throttled"]);
    expect(bucket.take(100)).toBe("ok");
    expect([bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)]).toEqual([
      "ok",
      "ok",
      "throttled",
    ]);
  });
});

describe("the local API Gateway with the authorizer", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it("answers in the stack's envelope and hands the context to the function", async () => {
    const seen: APIGatewayProxyEvent[] = [];
    const stub = stubAuthorizer();
    const gateway = new ApiGateway({
      routes: ROUTES,
      throttle: { rateLimit: 1000, burstLimit: 1000 },
      logger: silentLogger,
      region: "us-east-1",
      auth: new LocalAuthorizer({
        invoke: stub.invoke,
        cacheTtlSeconds: 300,
        limits: { rateLimit: 1000, burstLimit: 1000, quotaPerDay: 0 },
        logger: silentLogger,
      }),
      invoke: async (_route, event) => {
        seen.push(event);
        return {
          kind: "ok",
          durationMs: 1,
          requestId: "r",
          result: { statusCode: 200, body: "{}" },
        };
      },
    });
    const s = createServer((req, res) => {
      void gateway.handle(req, (s.address() as AddressInfo).port).then((a) => writeAnswer(res, a));
    });
    server = s;
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

    const none = await fetch(`${url}/v1/events`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="eventflow"');
    expect(((await none.json()) as { error: { requestId: string } }).error.requestId).toBe(
      none.headers.get("x-amzn-requestid"),
    );
    const wrong = await fetch(`${url}/v1/events`, {
      headers: { authorization: "Bearer acme:events:write" },
    });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ error: { code: "forbidden" } });
    // An unknown route is still the stack's 404, key or not.
    expect((await fetch(`${url}/v2/nothing`)).status).toBe(404);
    expect(seen).toHaveLength(0);

    const ok = await fetch(`${url}/v1/events/e-1`, {
      headers: { authorization: "Bearer acme:events:read" },
    });
    expect(ok.status).toBe(200);
    expect(seen[0]?.requestContext.authorizer).toMatchObject({
      tenantId: "acme",
      scopes: "events:read",
      principalId: "acme-key",
    });
    expect(seen[0]?.requestContext.identity.apiKey).toBe("usage-acme");
  });
});

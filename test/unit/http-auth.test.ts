/**
 * The handlers' own check of the authorizer's context (defence in depth behind the
 * gateway): no context is a server fault, never a fallback tenant; a key whose scopes do
 * not open the route is 403 even if the gateway let it through; the key id reaches the
 * route for audit lines.
 */
import type { APIGatewayProxyResult } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { apiEvent, bodyOf, lambdaContext } from "../support/apigw.js";

type Http = typeof import("../../lambdas/shared/http.js");
let http: Http;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  http = await import("../../lambdas/shared/http.js");
});

const echo = () =>
  http.httpHandler(async ({ tenantId, scopes, keyId }) =>
    http.json(200, { tenantId, scopes, keyId }),
  );
const run = (event: ReturnType<typeof apiEvent>) =>
  echo()(event, lambdaContext()) as Promise<APIGatewayProxyResult>;

describe("the authorizer's context in the handlers", () => {
  it("hands the tenant, scopes and key id to the route", async () => {
    const result = await run(
      apiEvent({ method: "GET", path: "/v1/stats", tenantId: "acme", scopes: "events:read" }),
    );
    expect(bodyOf(result)).toEqual({
      tenantId: "acme",
      scopes: ["events:read"],
      keyId: "testkeyaaaaaaaaa",
    });
  });

  it("fails closed (500, no tenant guessed) without an authorizer context", async () => {
    const result = await run(apiEvent({ method: "GET", path: "/v1/stats", tenantId: null }));
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain("default");
  });

  it("answers 403 when the key's scopes do not open the route", async () => {
    const cases = [
      { method: "POST", path: "/v1/failed/replay", scopes: "events:read events:write" },
      { method: "POST", path: "/v1/events", scopes: "events:read admin" },
      {
        method: "GET",
        path: "/v1/events/e-1",
        resource: "/v1/events/{id}",
        scopes: "events:write",
      },
      { method: "GET", path: "/v1/failed", scopes: "" },
    ];
    for (const c of cases) {
      const result = await run(
        apiEvent({
          method: c.method,
          path: c.path,
          resource: c.resource ?? c.path,
          scopes: c.scopes,
        }),
      );
      expect(result.statusCode, `${c.method} ${c.path}`).toBe(403);
      expect(bodyOf<{ error: { code: string } }>(result).error.code).toBe("forbidden");
    }
  });

  it("lets any valid key read health and the OpenAPI description", async () => {
    for (const path of ["/v1/health", "/v1/openapi.json"]) {
      const result = await run(
        apiEvent({ method: "GET", path, resource: path, scopes: "events:write" }),
      );
      expect(result.statusCode, path).toBe(200);
    }
  });
});

describe("a key's expiry outlives no cached authorizer answer", () => {
  const at = (ms: number) => new Date(Date.now() + ms).toISOString();
  const withExpiry = (expiresAt: unknown) => {
    const event = apiEvent({ method: "GET", path: "/v1/stats", scopes: "events:read" });
    (event.requestContext.authorizer as Record<string, unknown>).expiresAt = expiresAt;
    return event;
  };

  it("answers 401 with WWW-Authenticate once the key's expiresAt has passed", async () => {
    for (const expired of [at(-1), at(-86_400_000), "not a date", 12]) {
      const result = await run(withExpiry(expired));
      expect(result.statusCode, String(expired)).toBe(401);
      expect(result.headers?.["WWW-Authenticate"]).toBe('Bearer realm="eventflow"');
      expect(bodyOf(result)).toMatchObject({ error: { code: "unauthorized" } });
    }
  });

  it("lets the key through before its expiresAt, and a key that never expires", async () => {
    expect((await run(withExpiry(at(60_000)))).statusCode).toBe(200);
    expect(
      (await run(apiEvent({ method: "GET", path: "/v1/stats", scopes: "events:read" }))).statusCode,
    ).toBe(200);
  });
});

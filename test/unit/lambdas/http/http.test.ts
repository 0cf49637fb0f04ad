/**
 * The shared HTTP plumbing: headers, correlation ids, tenants, routing, query strings,
 * and the catch-all 500.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { UUID_V7_PATTERN } from "../../../../lambdas/domain/ids.js";
import { apiEvent, bodyOf, lambdaContext } from "../../../support/apigw.js";

type Http = typeof import("../../../../lambdas/shared/http.js");
let http: Http;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  http = await import("../../../../lambdas/shared/http.js");
});

const run = (
  route: Parameters<Http["httpHandler"]>[0],
  event: APIGatewayProxyEvent,
  context: Context = lambdaContext(),
) => http.httpHandler(route)(event, context) as Promise<APIGatewayProxyResult>;

describe("httpHandler", () => {
  it("answers JSON with no-store and the caller's correlation id", async () => {
    const result = await run(
      async ({ correlationId, tenantId }) => http.json(200, { correlationId, tenantId }),
      apiEvent({ path: "/x", headers: { "X-CORRELATION-ID": "abc-1" } }),
    );
    expect(result).toEqual({
      statusCode: 200,
      headers: {
        "Content-Type": "application/json; charset=utf-8",
        "Cache-Control": "no-store",
        "X-Correlation-Id": "abc-1",
      },
      body: JSON.stringify({ correlationId: "abc-1", tenantId: "default" }),
    });
  });

  it("turns an unexpected error into a 500 with the request id and nothing else", async () => {
    const context = lambdaContext();
    const result = await run(
      async () => {
        throw new Error("secret detail from the SDK");
      },
      apiEvent({ path: "/x" }),
      context,
    );
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toEqual({
      error: {
        code: "internal_error",
        message: "The request could not be completed; quote the requestId when reporting it",
        requestId: context.awsRequestId,
      },
    });
    expect(result.body).not.toMatch(/secret|Error|at /);
    expect(result.headers?.["X-Correlation-Id"]).toMatch(UUID_V7_PATTERN);
  });

  it("takes the tenant from the authorizer, and fails on a malformed one", async () => {
    const route = async ({ tenantId }: { tenantId: string }) => http.json(200, { tenantId });
    expect(bodyOf(await run(route, apiEvent({ path: "/x", tenantId: "acme-1" })))).toEqual({
      tenantId: "acme-1",
    });
    for (const bad of ["Upper", "", 42, "a#b"]) {
      const result = await run(route, apiEvent({ path: "/x", tenantId: bad }));
      expect(result.statusCode).toBe(500);
    }
  });
});

describe("correlationIdOf", () => {
  it("keeps a usable id and replaces a missing, long or spaced one", () => {
    const of = (value?: string) =>
      http.correlationIdOf(
        apiEvent({ path: "/", headers: value === undefined ? {} : { "x-correlation-id": value } }),
      );
    expect(of("Root=1-abc-def")).toBe("Root=1-abc-def");
    expect(of()).toMatch(UUID_V7_PATTERN);
    expect(of("a b")).toMatch(UUID_V7_PATTERN);
    expect(of("x".repeat(129))).toMatch(UUID_V7_PATTERN);
    expect(of("bad\nline")).toMatch(UUID_V7_PATTERN);
  });
});

describe("matchRoute", () => {
  const routes = [
    { method: "GET", path: "/v1/events" },
    { method: "POST", path: "/v1/events" },
    { method: "GET", path: "/v1/events/{id}" },
  ];

  it("matches by API Gateway resource, or by path alone", () => {
    const byResource = http.matchRoute(apiEvent({ path: "/v1/events/a%3Ab" }), routes);
    expect(byResource).toMatchObject({ kind: "matched", route: routes[2], params: { id: "a:b" } });
    const event = apiEvent({ path: "/v1/events/x1/" });
    event.resource = "";
    event.pathParameters = null;
    expect(http.matchRoute(event, routes)).toMatchObject({ kind: "matched", params: { id: "x1" } });
  });

  it("tells an unknown path from a wrong method", () => {
    expect(http.matchRoute(apiEvent({ path: "/v2/events" }), routes)).toEqual({
      kind: "not_found",
    });
    expect(http.matchRoute(apiEvent({ method: "PUT", path: "/v1/events" }), routes)).toEqual({
      kind: "method_not_allowed",
      allow: ["GET", "POST"],
    });
  });
});

describe("queryParams and bodyText", () => {
  it("keeps repeated query parameters", () => {
    expect(http.queryParams(apiEvent({ path: "/v1/events?a=1&a=2&b=3" }))).toEqual({
      a: ["1", "2"],
      b: ["3"],
    });
    const single = apiEvent({ path: "/v1/events?b=3" });
    single.multiValueQueryStringParameters = null;
    expect(http.queryParams(single)).toEqual({ b: ["3"] });
  });

  it("decodes base64 bodies strictly", () => {
    const event = apiEvent({
      path: "/",
      body: Buffer.from("héllo").toString("base64"),
      isBase64Encoded: true,
    });
    expect(http.bodyText(event)).toEqual({ ok: true, text: "héllo" });
    event.body = Buffer.from([0xff, 0xfe]).toString("base64");
    expect(http.bodyText(event)).toEqual({ ok: false });
    expect(http.bodyText(apiEvent({ path: "/" }))).toEqual({ ok: true, text: undefined });
  });
});

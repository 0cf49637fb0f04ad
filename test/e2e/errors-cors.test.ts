/**
 * What a browser page and any client see over HTTP on the local runtime: every error
 * answer, whoever makes it (the gateway: 401, 403, 404, 413, 429, 502; a function: 400,
 * 404, 413, 415), in the one envelope `{"error":{"code","message","requestId"}}`; and with
 * `corsOrigins` set (two origins), CORS headers on the functions' answers and none on the
 * gateway's (which cannot check an Origin against a list), as the stack's preflight,
 * gateway responses and functions send them. With the setting empty, no CORS header at all.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../support/keys.js";
import { type LocalRuntime, localOnly, startLocalRuntime } from "../support/runtime.js";
import { type Answer, Api, uniqueType } from "./client.js";

const APP = "https://app.example.com";
const ADMIN = "http://localhost:5173";

/** The envelope, and nothing else: code, message, request id (and field details). */
function expectEnvelope(answer: Answer, status: number, code: string) {
  const context = `${status} ${code}: ${answer.text.slice(0, 300)}`;
  expect(answer.status, context).toBe(status);
  expect(answer.headers.get("content-type"), context).toMatch(/^application\/json/);
  const body = answer.body as { error?: Record<string, unknown> };
  expect(Object.keys(body ?? {}), context).toEqual(["error"]);
  expect(body.error, context).toMatchObject({
    code,
    message: expect.stringMatching(/\S/),
    requestId: expect.stringMatching(/\S/),
  });
  for (const key of Object.keys(body.error ?? {})) {
    expect(["code", "message", "requestId", "details"], context).toContain(key);
  }
}

const corsHeaders = (answer: Answer | Response) =>
  Object.fromEntries(
    [...answer.headers].filter(([k]) => k.startsWith("access-control-") || k === "vary"),
  );

/** Each error the platform can give, made through the public API. */
async function errorAnswers(runtime: LocalRuntime, headers: Record<string, string>) {
  const api = new Api(runtime.url).withKey(runtime.apiKey);
  const anonymous = api.withKey(null);
  const suffix = randomBytes(4).toString("hex");
  const writer = api.withKey((await createKey(runtime, `writer-${suffix}`, "events:write")).key);
  const noisy = api.withKey((await createKey(runtime, `noisy-${suffix}`, "events:write")).key);
  // The tenant limits are small (to see a 429 from one key's burst): the other requests
  // wait out a 429 of their own and retry, as clients do.
  const opts = { headers };
  const event = { type: uniqueType("errors"), data: {} };
  const burst = await Promise.all(
    Array.from({ length: 12 }, () =>
      noisy.request("POST", "/v1/events", event, { headers, retryThrottled: false }),
    ),
  );
  const throttled = burst.find((a) => a.status === 429);
  expect(throttled, `statuses ${burst.map((a) => a.status)}`).toBeDefined();
  const json = { ...headers, "content-type": "application/json" };
  return {
    "401 no key": [
      await anonymous.request("GET", "/v1/events", undefined, opts),
      401,
      "unauthorized",
    ],
    "401 unknown key": [
      await api.withKey("not-a-key").request("GET", "/v1/events", undefined, opts),
      401,
      "unauthorized",
    ],
    "403 wrong scope": [
      await writer.request("GET", "/v1/events", undefined, opts),
      403,
      "forbidden",
    ],
    "429 throttled": [throttled as Answer, 429, "throttled"],
    "404 unknown route": [
      await api.request("GET", "/v1/nothing-here", undefined, opts),
      404,
      "route_not_found",
    ],
    "404 unknown event": [
      await api.request("GET", "/v1/events/never-sent", undefined, opts),
      404,
      "not_found",
    ],
    "400 invalid event": [
      await api.request("POST", "/v1/events", { type: "", data: 1 }, opts),
      400,
      "validation_failed",
    ],
    "413 over the API's limit (gateway)": [
      await api.request("POST", "/v1/events", undefined, {
        ...opts,
        headers: json,
        raw: "x".repeat(10 * 1024 * 1024 + 1),
      }),
      413,
      "payload_too_large",
    ],
    "413 over the request limit (function)": [
      await api.request("POST", "/v1/events", undefined, {
        ...opts,
        headers: json,
        raw: JSON.stringify({ type: "t", data: { pad: "x".repeat(1024 * 1024 + 1) } }),
      }),
      413,
      "payload_too_large",
    ],
    "415 wrong content type": [
      await api.request("POST", "/v1/events", undefined, {
        ...opts,
        headers: { ...headers, "content-type": "text/plain" },
        raw: "hello",
      }),
      415,
      "unsupported_media_type",
    ],
    "502 over Lambda's payload limit": [
      await api.request("POST", "/v1/events", undefined, {
        ...opts,
        headers: json,
        raw: JSON.stringify({ type: "t", data: { pad: "x".repeat(7 * 1024 * 1024) } }),
      }),
      502,
      "internal_error",
    ],
  } satisfies Record<string, [Answer, number, string]>;
}

describe.skipIf(!localOnly)("CORS on (two origins)", () => {
  let runtime: LocalRuntime;
  let api: Api;

  beforeAll(async () => {
    runtime = await startLocalRuntime({
      settings: { corsOrigins: `${APP},${ADMIN}`, tenantRateLimit: 5, tenantBurstLimit: 5 },
    });
    api = new Api(runtime.url);
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it("answers a preflight on every resource, for the key and correlation headers", async () => {
    for (const path of ["/v1/events", "/v1/events/some-id", "/v1/failed/replay"]) {
      const res = await fetch(`${runtime.url}${path}`, {
        method: "OPTIONS",
        headers: {
          origin: ADMIN,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type,x-correlation-id",
        },
      });
      expect(res.status, path).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(ADMIN);
      expect(res.headers.get("access-control-allow-methods")?.split(",")).toEqual(
        expect.arrayContaining(["GET", "POST"]),
      );
      const allowed = res.headers.get("access-control-allow-headers")?.toLowerCase().split(",");
      expect(allowed).toEqual(
        expect.arrayContaining(["authorization", "content-type", "x-correlation-id"]),
      );
    }
  });

  it("lets an allowed page read a success, its correlation id and Retry-After", async () => {
    const answer = await api.request(
      "POST",
      "/v1/events",
      { type: uniqueType("cors"), data: {} },
      { headers: { origin: APP, "x-correlation-id": "page-1" } },
    );
    expect(answer.status).toBe(202);
    expect(corsHeaders(answer)).toEqual({
      "access-control-allow-origin": APP,
      "access-control-expose-headers": "X-Correlation-Id, Retry-After",
      vary: "Origin",
    });
    expect(answer.headers.get("x-correlation-id")).toBe("page-1");
  });

  it("does not let another page read it", async () => {
    const answer = await api.request("GET", "/v1/health", undefined, {
      headers: { origin: "https://evil.example.com" },
    });
    expect(answer.status).toBe(200);
    expect(corsHeaders(answer)).toEqual({ vary: "Origin" });
  });

  it("puts the envelope on every error; CORS headers on the functions', none on the gateway's", async () => {
    // Two origins: the gateway's own answers cannot check the Origin, so they name none
    // (never the request's: any page could read them). One origin or `*` is static there.
    const gateway = new Set([
      "401 no key",
      "401 unknown key",
      "403 wrong scope",
      "429 throttled",
      "404 unknown route",
      "413 over the API's limit (gateway)",
      "502 over Lambda's payload limit",
    ]);
    const answers = await errorAnswers(runtime, { origin: APP });
    for (const [what, [answer, status, code]] of Object.entries(answers)) {
      expectEnvelope(answer, status, code);
      if (gateway.has(what)) {
        expect(corsHeaders(answer), what).toEqual({});
        continue;
      }
      expect(answer.headers.get("access-control-allow-origin"), what).toBe(APP);
      expect(answer.headers.get("access-control-expose-headers"), what).toBe(
        "X-Correlation-Id, Retry-After",
      );
      expect(answer.headers.get("vary"), what).toMatch(/\bOrigin\b/);
    }
    expect(answers["401 no key"][0].headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(answers["429 throttled"][0].headers.get("retry-after")).toBe("1");
  });
});

describe.skipIf(!localOnly)("CORS off (the default)", () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startLocalRuntime({ settings: { tenantRateLimit: 5, tenantBurstLimit: 5 } });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it("answers every error in the envelope, with no CORS header", async () => {
    const correlationId = `e2e-${randomBytes(6).toString("hex")}`;
    const answers = await errorAnswers(runtime, { origin: APP, "x-correlation-id": correlationId });
    for (const [what, [answer, status, code]] of Object.entries(answers)) {
      expectEnvelope(answer, status, code);
      expect(corsHeaders(answer), what).toEqual({});
      // The gateway's own answers echo the caller's correlation id, as the functions' do.
      expect(answer.headers.get("x-correlation-id"), what).toBe(correlationId);
    }
    const ok = await new Api(runtime.url).request("GET", "/v1/health", undefined, {
      headers: { origin: APP },
    });
    expect(ok.status).toBe(200);
    expect(corsHeaders(ok)).toEqual({});
  });

  it("has no preflight: OPTIONS is an unknown method, in the envelope", async () => {
    const res = await fetch(`${runtime.url}/v1/events`, {
      method: "OPTIONS",
      headers: { origin: APP, "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(404);
    expect(corsHeaders(res)).toEqual({});
    expect(await res.json()).toEqual({
      error: { code: "route_not_found", message: "No such route", requestId: expect.any(String) },
    });
  });
});

/**
 * The contract checker that every e2e, fuzz and browser answer goes through
 * (test/support/openapi-contract.ts) can fail: deliberately wrong answers are caught and
 * named by operation, status and path; right ones pass. And the document passes the
 * OpenAPI linter (Redocly's recommended-strict rules plus the ones below).
 */
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../../../lambdas/http/openapi-document.js";
import {
  ContractChecker,
  ContractViolation,
  type Exchange,
} from "../../support/openapi-contract.js";

const checker = new ContractChecker();

const json = (status: number, body: unknown, extra: Record<string, string> = {}): Exchange => ({
  method: "GET",
  path: "/v1/events/order-1",
  status,
  responseHeaders: new Headers({
    "content-type": "application/json",
    "x-correlation-id": "c-1",
    ...extra,
  }),
  responseText: JSON.stringify(body),
});

const notFound = { error: { code: "not_found", message: "No such event", requestId: "r-1" } };

describe("the contract checker", () => {
  it("passes an answer the document declares", async () => {
    expect(await checker.check(json(404, notFound))).toBeUndefined();
  });

  it("fails a body that breaks the declared schema, naming operation, status and path", async () => {
    const violation = await checker.check(json(404, { message: "not found" }));
    expect(violation).toMatchObject({
      operation: "getEvent",
      status: 404,
      path: "/v1/events/order-1",
    });
    expect(violation?.problems.join("\n")).toMatch(/must have required property 'error'/);
    await expect(checker.assert(json(404, { message: "not found" }))).rejects.toThrow(
      ContractViolation,
    );
  });

  it("fails a status the operation does not declare", async () => {
    const violation = await checker.check(json(418, notFound));
    expect(violation?.problems[0]).toMatch(/status 418 is not declared/);
  });

  it("fails a media type the answer does not declare", async () => {
    const violation = await checker.check({
      ...json(404, notFound),
      responseHeaders: new Headers({ "content-type": "text/html" }),
      responseText: "<h1>404</h1>",
    });
    expect(violation?.problems[0]).toMatch(/media type text\/html is not declared/);
  });

  it("fails a declared header with an invalid value", async () => {
    const violation = await checker.check({
      method: "POST",
      path: "/v1/events",
      requestHeaders: { "content-type": "application/json" },
      requestBody: JSON.stringify({ type: "x", data: {} }),
      status: 429,
      responseHeaders: new Headers({
        "content-type": "application/json",
        "retry-after": "soon",
      }),
      responseText: JSON.stringify({ error: { code: "throttled", message: "m", requestId: "r" } }),
    });
    expect(violation?.problems.join("\n")).toMatch(/header Retry-After/i);
  });

  it("fails a request the API accepted but the document refuses (the document got stricter)", async () => {
    const violation = await checker.check({
      method: "GET",
      path: "/v1/events?limit=banana",
      status: 200,
      responseHeaders: new Headers({ "content-type": "application/json" }),
      responseText: JSON.stringify({ items: [] }),
    });
    expect(violation?.problems.join("\n")).toMatch(/request accepted by the API but invalid/);
  });

  it("expects the error envelope on a path that names no operation", async () => {
    const ok = await checker.check({ ...json(404, notFound), path: "/v1/nowhere" });
    expect(ok).toBeUndefined();
    const wrong = await checker.check({ ...json(404, { oops: true }), path: "/v1/nowhere" });
    expect(wrong?.operation).toBe("(no operation)");
  });

  it("leaves the local runtime's own routes alone", async () => {
    expect(await checker.check({ ...json(200, { anything: 1 }), path: "/_local/status" })).toBe(
      undefined,
    );
  });
});

describe("the OpenAPI document", () => {
  it("passes the linter (Redocly recommended-strict and the rules clients rely on)", async () => {
    const config = await createConfig({
      extends: ["recommended-strict"],
      rules: {
        // Code generators name methods after operationIds: each one present and unique.
        "operation-operationId": "error",
        "operation-operationId-unique": "error",
        "operation-operationId-url-safe": "error",
        // Every operation says how it fails, and every component is used.
        "operation-4xx-response": "error",
        "no-unused-components": "error",
        "no-ambiguous-paths": "error",
        "no-invalid-media-type-examples": "error",
        "no-invalid-schema-examples": "error",
        "no-server-example.com": "error",
        "no-server-trailing-slash": "error",
        "path-parameters-defined": "error",
        "security-defined": "error",
        "tag-description": "error",
      },
    });
    const problems = await lintFromString({
      source: JSON.stringify(buildOpenApiDocument()),
      absoluteRef: "openapi.json",
      config,
    });
    expect(
      problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? "?"}`),
    ).toEqual([]);
  });
});

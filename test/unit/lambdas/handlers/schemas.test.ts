/**
 * The schemas function's edges (lambdas/handlers/schemas.ts) on the emulated configuration
 * table: tenants apart, bodies refused with the reason, scopes. The registry's behaviour
 * end to end is test/e2e/schemas.test.ts.
 */
import type { APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiEventInput, apiEvent, bodyOf, lambdaContext } from "../../../support/apigw.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";

type Handler = (event: unknown, context: unknown) => Promise<APIGatewayProxyResult>;

let aws: TestAws;
let handler: Handler;

beforeAll(async () => {
  aws = await startTestAws(["schemas"]);
  handler = await aws.handler<Handler>("schemas");
});

afterAll(async () => {
  await aws?.stop();
});

const call = (input: ApiEventInput) =>
  handler(
    apiEvent({ scopes: "events:read schemas:write", ...input } as ApiEventInput),
    lambdaContext(),
  );

const schema = { type: "object", properties: { n: { type: "integer" } } };

describe("schemas API edges", () => {
  it("a tenant sees only its own schemas", async () => {
    const put = await call({
      method: "PUT",
      path: "/v1/schemas/t.own",
      body: { schema },
      tenantId: "t-a",
    });
    expect(put.statusCode).toBe(201);
    const other = await call({ path: "/v1/schemas/t.own", tenantId: "t-b" });
    expect(other.statusCode).toBe(404);
    const list = bodyOf<{ types: unknown[] }>(await call({ path: "/v1/schemas", tenantId: "t-b" }));
    expect(list.types).toEqual([]);
  });

  it("refuses bodies with the reason: empty, not JSON, too large, unknown fields", async () => {
    const at = { method: "PUT", path: "/v1/schemas/t.bad", tenantId: "t-a" };
    expect((await call({ ...at })).statusCode).toBe(400);
    expect(
      bodyOf<{ error: { code: string } }>(await call({ ...at, body: "{nope" })).error.code,
    ).toBe("invalid_json");
    const big = { schema: { description: "x".repeat(300 * 1024) } };
    expect((await call({ ...at, body: big })).statusCode).toBe(413);
    const unknown = await call({ ...at, body: { schema, colour: "red" } });
    expect(unknown.statusCode).toBe(400);
    expect(bodyOf<{ error: { details: { path: string }[] } }>(unknown).error.details[0]?.path).toBe(
      "colour",
    );
  });

  it("refuses query parameters, bad types and bad version numbers", async () => {
    expect(
      (await call({ path: "/v1/schemas", query: { limit: "5" }, tenantId: "t-a" })).statusCode,
    ).toBe(400);
    expect((await call({ path: "/v1/schemas/has%20space", tenantId: "t-a" })).statusCode).toBe(400);
    expect((await call({ path: "/v1/schemas/t.own/versions/0", tenantId: "t-a" })).statusCode).toBe(
      400,
    );
  });

  it("writing needs schemas:write (checked again in the function)", async () => {
    const put = await handler(
      apiEvent({
        method: "PUT",
        path: "/v1/schemas/t.scope",
        resource: "/v1/schemas/{type}",
        body: { schema },
        tenantId: "t-a",
        scopes: "events:read",
      } as ApiEventInput),
      lambdaContext(),
    );
    expect(put.statusCode).toBe(403);
  });
});

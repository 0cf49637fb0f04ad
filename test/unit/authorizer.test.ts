/**
 * The Lambda REQUEST authorizer against the keys table in dynalite: what API Gateway gets
 * for a valid key (policy over the whole API, context, usage plan key), the one answer
 * ("Unauthorized", so 401) for every other case, and a log that never holds the key.
 */
import type { APIGatewayRequestAuthorizerEvent, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbKeyStore } from "../../lambdas/adapters/dynamodb-key-store.js";
import { generateApiKey } from "../../lambdas/domain/api-keys.js";
import { createKey, revokeKey, rotateKey } from "../../lambdas/use-cases/manage-keys.js";
import { CANARY } from "../../lib/contracts/canary.js";
import { localUsagePlans } from "../../local/keys.js";
import { lambdaContext } from "../support/apigw.js";
import { startTestAws, type TestAws } from "../support/aws.js";

type Handler = (
  event: APIGatewayRequestAuthorizerEvent,
  context: Context,
) => Promise<{
  principalId: string;
  policyDocument: { Statement: { Effect: string; Resource: string[] }[] };
  context: Record<string, string>;
  usageIdentifierKey: string;
}>;

const API = "arn:aws:execute-api:us-east-1:123456789012:api1/prod";

let aws: TestAws;
let handler: Handler;
let store: DynamoDbKeyStore;
const logged: string[] = [];
const write = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  aws = await startTestAws(["authorizer"]);
  // The log is part of what is tested: nothing secret in it.
  process.env.POWERTOOLS_LOG_LEVEL = "INFO";
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logged.push(String(chunk));
    return write(chunk as string, ...(rest as []));
  }) as typeof process.stdout.write;
  store = new DynamoDbKeyStore(aws.documentClient, { tableName: aws.resources.keysTableName });
  handler = (await import("../../lambdas/entry/authorizer.js")).handler as unknown as Handler;
});

afterAll(async () => {
  process.stdout.write = write;
  await aws?.stop();
});

const deps = () => ({ store, usage: localUsagePlans, now: () => new Date() });

function event(authorization: string | undefined, method = "POST", path = "/v1/events") {
  return {
    type: "REQUEST",
    methodArn: `${API}/${method}${path}`,
    resource: path,
    path,
    httpMethod: method,
    headers: authorization === undefined ? {} : { Authorization: authorization },
    multiValueHeaders: {},
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {},
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

describe("authorizer", () => {
  it("answers a valid key with its tenant, scopes, id, usage plan key and routes", async () => {
    const { key, record } = await createKey({ tenantId: "acme", scopes: "events:write" }, deps());
    const result = await handler(event(`Bearer ${key}`), lambdaContext());
    expect(result).toEqual({
      principalId: record.keyId,
      policyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Action: "execute-api:Invoke",
            Effect: "Allow",
            Resource: [
              `${API}/POST/v1/events`,
              `${API}/GET/v1/health`,
              `${API}/GET/v1/openapi.json`,
            ],
          },
        ],
      },
      context: { tenantId: "acme", scopes: "events:write", keyId: record.keyId },
      usageIdentifierKey: record.usageKey,
    });
    // The same answer whichever route asked: API Gateway caches it for all of them.
    const fromRead = await handler(event(`Bearer ${key}`, "GET", "/v1/stats"), lambdaContext());
    expect(fromRead.policyDocument).toEqual(result.policyDocument);
  });

  it("takes the key as the Basic auth user name, with any header case", async () => {
    const { key } = await createKey({ tenantId: "globex", scopes: "events:read,admin" }, deps());
    const basic = `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
    const e = event(undefined, "GET", "/v1/events");
    e.headers = { authorization: basic };
    const result = await handler(e, lambdaContext());
    expect(result.context).toMatchObject({ tenantId: "globex", scopes: "events:read admin" });
    expect(result.policyDocument.Statement[0]?.Resource).toContain(`${API}/POST/v1/failed/replay`);
  });

  it("answers Unauthorized (API Gateway's 401) for a missing, malformed, unknown or revoked key", async () => {
    const { key, record } = await createKey({ tenantId: "hooli", scopes: "admin" }, deps());
    await revokeKey("hooli", record.keyId, deps());
    for (const header of [
      undefined,
      "",
      "Bearer",
      "Bearer not-a-key",
      `Token ${key}`,
      `Bearer ${generateApiKey().key}`,
      `Bearer ${key}`,
    ]) {
      await expect(handler(event(header), lambdaContext()), String(header)).rejects.toThrow(
        /^Unauthorized$/,
      );
    }
  });

  it("puts a rotated key's expiresAt in the context, so no cached answer outlives it", async () => {
    const { key, record } = await createKey({ tenantId: "rotating", scopes: "admin" }, deps());
    const fresh = await handler(event(`Bearer ${key}`), lambdaContext());
    expect(fresh.context.expiresAt).toBeUndefined();
    const { old } = await rotateKey("rotating", record.keyId, 3600, deps());
    const rotated = await handler(event(`Bearer ${key}`), lambdaContext());
    expect(rotated.context.expiresAt).toBe(old.expiresAt);
  });

  it("answers a canary key as the canary tenant with the canary's scopes, whatever its item says", async () => {
    // The canary's role may write canary key items (CANARYKEY#..., an IAM condition), so
    // it could write one that claims another tenant or admin: the authorizer ignores that.
    const { key, keyId, hash } = generateApiKey(undefined, { canary: true });
    expect(keyId.startsWith(CANARY.keyIdPrefix)).toBe(true);
    await store.putKey(hash, {
      keyId,
      tenantId: "acme",
      scopes: ["events:read", "admin"],
      status: "active",
      createdAt: new Date().toISOString(),
      usageKey: "usage-of-acme",
    });
    const result = await handler(event(`Bearer ${key}`), lambdaContext());
    expect(result.context).toMatchObject({ tenantId: CANARY.tenantId, scopes: "events:read" });
    expect(result.policyDocument.Statement[0]?.Resource).not.toContain(
      `${API}/POST/v1/failed/replay`,
    );
    // Stored apart from every other key: a lookup as an ordinary key finds nothing.
    expect(await store.findByHash(hash)).toBeUndefined();
    expect(await store.findByHash(hash, keyId)).toMatchObject({ tenantId: "acme" });
  });

  it("never gives an ordinary key an id of the canary's", () => {
    // Random bytes that spell "canary..." in base32 are drawn again.
    let calls = 0;
    const canaryish = Buffer.from([0x10, 0x1a, 0x08, 0xe0, 0, 0, 0, 0, 0, 0]);
    const random = (n: number) => (n === 10 && calls++ === 0 ? canaryish : Buffer.alloc(n, 1));
    const { keyId } = generateApiKey(random);
    expect(keyId.startsWith(CANARY.keyIdPrefix)).toBe(false);
    expect(calls).toBe(2);
  });

  it("never logs a key or its secret; logs the key id and why it was refused", async () => {
    const { key, record } = await createKey({ tenantId: "initech", scopes: "admin" }, deps());
    await revokeKey("initech", record.keyId, deps());
    logged.length = 0;
    await expect(handler(event(`Bearer ${key}`), lambdaContext())).rejects.toThrow();
    const log = logged.join("");
    expect(log).toContain(record.keyId);
    expect(log).toContain('"reason":"revoked"');
    expect(log).not.toContain(key);
    expect(log).not.toContain(key.slice(-43));
  });
});

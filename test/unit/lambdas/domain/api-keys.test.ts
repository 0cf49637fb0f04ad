/**
 * API keys: the format and its hash, the Authorization header forms (Bearer, Basic with
 * the key as user name), scopes, the policy the authorizer answers with, and the key
 * life cycle (create, list, revoke, rotate) on the keys table in dynalite.
 */
import { createHash } from "node:crypto";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbKeyStore } from "../../../../lambdas/adapters/dynamodb-key-store.js";
import {
  accessPolicy,
  parseMethodArn,
  routesFor,
} from "../../../../lambdas/domain/access-policy.js";
import {
  generateApiKey,
  hashApiKey,
  keyFromAuthorization,
  keyIdOf,
  parseApiKey,
  parseScopes,
} from "../../../../lambdas/domain/api-keys.js";
import { authenticateKey } from "../../../../lambdas/use-cases/authenticate-key.js";
import {
  createKey,
  KeyManagementError,
  listKeys,
  revokeKey,
  rotateKey,
} from "../../../../lambdas/use-cases/manage-keys.js";
import { ROUTES, SCOPES } from "../../../../lib/contracts/functions.js";
import { localUsagePlans } from "../../../../local/keys.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";

const basic = (user: string, password = "") =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("key format", () => {
  it("is efk_<16 base32 id>_<43 base64url>, and its hash is SHA-256 hex of the whole key", () => {
    const { key, keyId, hash } = generateApiKey();
    expect(key).toMatch(/^efk_[a-z2-7]{16}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(`efk_${keyId}_`)).toBe(true);
    expect(hash).toBe(createHash("sha256").update(key).digest("hex"));
    expect(hashApiKey(key)).toBe(hash);
    expect(parseApiKey(key)).toEqual({ keyId });
    const other = generateApiKey();
    expect(other.keyId).not.toBe(keyId);
    expect(other.hash).not.toBe(hash);
  });

  it("refuses anything that is not exactly that shape", () => {
    const { key } = generateApiKey();
    for (const bad of [
      "",
      key.slice(0, -1),
      `${key}x`,
      key.replace("efk_", "efx_"),
      key.toUpperCase(),
      ` ${key}`,
      "efk_aaaaaaaaaaaaaaaa",
    ]) {
      expect(parseApiKey(bad), bad).toBeUndefined();
    }
  });

  it("names a key by efk_<id>, its id, or the whole key", () => {
    const { key, keyId } = generateApiKey();
    expect(keyIdOf(`efk_${keyId}`)).toBe(keyId);
    expect(keyIdOf(keyId)).toBe(keyId);
    expect(keyIdOf(key)).toBe(keyId);
    expect(keyIdOf("efk_short")).toBeUndefined();
  });
});

describe("Authorization header", () => {
  const { key } = generateApiKey();

  it("takes a Bearer token, or the Basic user name (password ignored)", () => {
    expect(keyFromAuthorization(`Bearer ${key}`)).toBe(key);
    expect(keyFromAuthorization(`bearer ${key}`)).toBe(key);
    expect(keyFromAuthorization(basic(key))).toBe(key);
    expect(keyFromAuthorization(basic(key, "anything"))).toBe(key);
    expect(keyFromAuthorization(`Basic ${Buffer.from(key).toString("base64")}`)).toBe(key);
  });

  it("gives nothing for other schemes or broken values", () => {
    for (const bad of [
      undefined,
      "",
      key,
      `Token ${key}`,
      "Bearer",
      `Bearer ${key} extra`,
      "Basic !!!",
      basic("", key),
    ]) {
      expect(keyFromAuthorization(bad), String(bad)).toBeUndefined();
    }
  });
});

describe("scopes", () => {
  it("parses comma or space separated known scopes, in a fixed order", () => {
    expect(parseScopes("admin,events:write")).toEqual(["events:write", "admin"]);
    expect(parseScopes("events:read events:read")).toEqual(["events:read"]);
    expect(() => parseScopes("events:delete")).toThrow(/unknown scope/);
    expect(() => parseScopes(" , ")).toThrow(/at least one scope/);
  });

  it("every route declares what it needs; replay needs admin, writes need events:write", () => {
    const byKey = Object.fromEntries(ROUTES.map((r) => [`${r.method} ${r.path}`, r.scope]));
    expect(byKey).toEqual({
      "POST /v1/events": "events:write",
      "GET /v1/events": "events:read",
      "GET /v1/events/{id}": "events:read",
      "GET /v1/stats": "events:read",
      "GET /v1/health": "authenticated",
      "GET /v1/openapi.json": "authenticated",
      "GET /v1/failed": "events:read",
      "POST /v1/failed/replay": "admin",
      // History (README "History"): reading the archive needs history:read; replays and
      // erasure change state: admin.
      "POST /v1/exports": "history:read",
      "GET /v1/exports": "history:read",
      "GET /v1/exports/{id}": "history:read",
      "GET /v1/subjects/{subject}/export": "history:read",
      "POST /v1/replays": "admin",
      "GET /v1/replays": "admin",
      "GET /v1/replays/{id}": "admin",
      "DELETE /v1/replays/{id}": "admin",
      "DELETE /v1/subjects/{subject}": "admin",
      "GET /v1/erasures": "admin",
      "GET /v1/erasures/{id}": "admin",
      "GET /v1/schemas": "events:read",
      "GET /v1/schemas/{type}": "events:read",
      "PUT /v1/schemas/{type}": "schemas:write",
      "DELETE /v1/schemas/{type}": "schemas:write",
      "GET /v1/schemas/{type}/versions/{version}": "events:read",
      "POST /v1/schemas/{type}/check": "events:read",
      "GET /v1/schemas/{type}/inferred": "events:read",
      "GET /v1/schema-settings": "events:read",
      "PUT /v1/schema-settings": "schemas:write",
      // Rules: reading and dry runs need events:read, changes rules:write.
      "GET /v1/rules": "events:read",
      "PUT /v1/rules": "rules:write",
      "DELETE /v1/rules": "rules:write",
      "POST /v1/rules/test": "events:read",
      // Destinations send the tenant's events out and mint secrets: their own scope;
      // reading them (no secrets) and the delivery log is events:read.
      "POST /v1/destinations": "destinations:write",
      "GET /v1/destinations": "events:read",
      "GET /v1/destinations/{id}": "events:read",
      "PATCH /v1/destinations/{id}": "destinations:write",
      "DELETE /v1/destinations/{id}": "destinations:write",
      "POST /v1/destinations/{id}/rotate-secret": "destinations:write",
      "POST /v1/destinations/{id}/replay": "destinations:write",
      "GET /v1/deliveries": "events:read",
      "GET /v1/deliveries/{id}": "events:read",
      "POST /v1/deliveries/{id}/retry": "destinations:write",
      "GET /v1/aggregations": "events:read",
      "PUT /v1/aggregations/{name}": "admin",
      "GET /v1/aggregations/{name}": "events:read",
      "DELETE /v1/aggregations/{name}": "admin",
      "POST /v1/aggregations/{name}/backfill": "admin",
      "GET /v1/patterns": "events:read",
      "PUT /v1/patterns/{name}": "admin",
      "GET /v1/patterns/{name}": "events:read",
      "DELETE /v1/patterns/{name}": "admin",
    });
  });
});

describe("access policy", () => {
  const arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/v1/events/e-1";
  const api = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod";

  it("reads the API, stage, method and path of a method ARN", () => {
    expect(parseMethodArn(arn)).toEqual({
      api: "arn:aws:execute-api:eu-west-1:123456789012:abc123",
      stage: "prod",
      method: "GET",
      path: "/v1/events/e-1",
    });
    expect(parseMethodArn("arn:aws:s3:::bucket")).toBeUndefined();
  });

  it("allows every route the scopes open, in the whole API (cached answers serve them all)", () => {
    const write = accessPolicy(arn, ["events:write"]);
    expect(write.Statement).toEqual([
      {
        Action: "execute-api:Invoke",
        Effect: "Allow",
        Resource: [`${api}/POST/v1/events`, `${api}/GET/v1/health`, `${api}/GET/v1/openapi.json`],
      },
    ]);
    const read = accessPolicy(arn, ["events:read"]).Statement[0]?.Resource;
    expect(read).toContain(`${api}/GET/v1/events/*`);
    expect(read).toContain(`${api}/GET/v1/failed`);
    expect(read).not.toContain(`${api}/POST/v1/failed/replay`);
    expect(read).toContain(`${api}/GET/v1/rules`);
    expect(read).not.toContain(`${api}/PUT/v1/rules`);
    const all = accessPolicy(arn, [...SCOPES]);
    expect(all.Statement[0]?.Resource).toHaveLength(ROUTES.length);
  });

  it("denies the whole stage when the scopes open no route", () => {
    const routes = ROUTES.filter((r) => r.scope === "admin");
    expect(routesFor(["events:read"], routes)).toEqual([]);
    expect(accessPolicy(arn, ["events:read"], routes).Statement).toEqual([
      { Action: "execute-api:Invoke", Effect: "Deny", Resource: [`${api}/*`] },
    ]);
  });
});

describe("key life cycle (keys table in dynalite)", () => {
  let aws: TestAws;
  let store: DynamoDbKeyStore;
  let clock = new Date("2026-11-22T10:00:00.000Z");
  const now = () => clock;
  const deps = () => ({ store, usage: localUsagePlans, now });

  beforeAll(async () => {
    aws = await startTestAws([]);
    store = new DynamoDbKeyStore(aws.documentClient, { tableName: aws.resources.keysTableName });
  });

  afterAll(async () => {
    await aws?.stop();
  });

  it("stores only the hash: the key is nowhere in the table", async () => {
    const { key, record } = await createKey(
      { tenantId: "acme", scopes: "events:write", name: "shop" },
      deps(),
    );
    const found = await store.findByHash(hashApiKey(key));
    expect(found).toEqual(record);
    expect(record).toMatchObject({ tenantId: "acme", scopes: ["events:write"], status: "active" });
    const dump = JSON.stringify(await aws.dynamodb.send(scanAll(aws.resources.keysTableName)));
    expect(dump).not.toContain(key);
    // The secret is base64url and may itself contain "_": cut after the id, not at "_".
    const secret = key.slice(key.indexOf("_", "efk_".length) + 1);
    expect(secret).toHaveLength(43);
    expect(dump).not.toContain(secret);
    expect(dump).toContain(hashApiKey(key));
  });

  it("gives every key of a tenant the tenant's one usage plan key", async () => {
    const a = await createKey({ tenantId: "globex", scopes: "events:read" }, deps());
    const b = await createKey({ tenantId: "globex", scopes: "admin" }, deps());
    const c = await createKey({ tenantId: "initech", scopes: "admin" }, deps());
    expect(a.record.usageKey).toBe(b.record.usageKey);
    expect(c.record.usageKey).not.toBe(a.record.usageKey);
  });

  it("authenticates an active key, and tells (in the log only) why others fail", async () => {
    const { key, record } = await createKey({ tenantId: "hooli", scopes: ["events:read"] }, deps());
    const auth = (header: string | undefined) => authenticateKey(header, { keys: store, now });
    expect(await auth(`Bearer ${key}`)).toEqual({ kind: "authenticated", key: record });
    expect(await auth(basic(key))).toEqual({ kind: "authenticated", key: record });
    expect(await auth(undefined)).toMatchObject({ reason: "missing" });
    expect(await auth("Bearer nope")).toMatchObject({ reason: "malformed" });
    const unknown = generateApiKey();
    expect(await auth(`Bearer ${unknown.key}`)).toEqual({
      kind: "unauthenticated",
      reason: "unknown",
      keyId: unknown.keyId,
    });
    await revokeKey("hooli", `efk_${record.keyId}`, deps());
    expect(await auth(`Bearer ${key}`)).toMatchObject({ reason: "revoked" });
  });

  it("lists a tenant's keys without secrets, and never another tenant's", async () => {
    const listed = await listKeys("acme", deps());
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ tenantId: "acme", state: "active", name: "shop" });
    expect(JSON.stringify(listed)).not.toMatch(/usageKey|efk_[a-z2-7]{16}_/);
    expect(await listKeys("nobody", deps())).toEqual([]);
  });

  it("revokes only the tenant's own key: another tenant's id is not found", async () => {
    const { record } = await createKey({ tenantId: "acme", scopes: "admin" }, deps());
    await expect(revokeKey("globex", record.keyId, deps())).rejects.toThrow(
      new KeyManagementError(`tenant globex has no key efk_${record.keyId}`),
    );
    const revoked = await revokeKey("acme", record.keyId, deps());
    expect(revoked).toMatchObject({ state: "revoked", revokedAt: clock.toISOString() });
    // Idempotent.
    expect(await revokeKey("acme", record.keyId, deps())).toMatchObject({ state: "revoked" });
  });

  it("rotates: a new key with the same scopes and name; the old one ends after the grace", async () => {
    const { key: oldKey, record } = await createKey(
      { tenantId: "umbrella", scopes: "events:write,events:read", name: "etl" },
      deps(),
    );
    const { created, old } = await rotateKey("umbrella", record.keyId, 3600, deps());
    expect(created.record).toMatchObject({
      tenantId: "umbrella",
      scopes: ["events:write", "events:read"],
      name: "etl",
      usageKey: record.usageKey,
    });
    expect(old).toMatchObject({ state: "active", expiresAt: "2026-11-22T11:00:00.000Z" });
    const auth = () => authenticateKey(`Bearer ${oldKey}`, { keys: store, now });
    expect(await auth()).toMatchObject({ kind: "authenticated" });
    clock = new Date("2026-11-22T11:00:00.000Z");
    expect(await auth()).toMatchObject({ reason: "expired" });
    expect(await authenticateKey(`Bearer ${created.key}`, { keys: store, now })).toMatchObject({
      kind: "authenticated",
    });
    await expect(rotateKey("umbrella", record.keyId, 60, deps())).rejects.toThrow(/is expired/);
    const now0 = await rotateKey("umbrella", created.record.keyId, 0, deps());
    expect(now0.old.state).toBe("revoked");
  });

  it("refuses bad tenants, scopes and names with a message", async () => {
    await expect(createKey({ tenantId: "Bad#1", scopes: "admin" }, deps())).rejects.toThrow(
      /not a valid tenant id/,
    );
    await expect(createKey({ tenantId: "ok", scopes: "root" }, deps())).rejects.toThrow(
      /unknown scope/,
    );
    await expect(
      createKey({ tenantId: "ok", scopes: "admin", name: "x".repeat(101) }, deps()),
    ).rejects.toThrow(/--name/);
  });
});

const scanAll = (tableName: string) => new ScanCommand({ TableName: tableName });

/**
 * Keys in the local runtime's life: the development key a first start creates in the
 * data folder (and reuses after a restart), runtime.json through which `npm run keys`
 * finds the running runtime, and a revoked key that keeps working only as long as the
 * authorizer's answer is cached.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SCOPES } from "../../lib/contracts/functions.js";
import { createKey, keysCli, revokeKey } from "../support/keys.js";
import { type LocalRuntime, localOnly, startLocalRuntime } from "../support/runtime.js";
import { Api, sleep, uniqueType } from "./client.js";

const dataDir = mkdtempSync(join(tmpdir(), "eventflow-keys-e2e-"));
const runtimes: LocalRuntime[] = [];

afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startLocalRuntime>[0] = {}) {
  const runtime = await startLocalRuntime(options);
  runtimes.push(runtime);
  return runtime;
}

describe.skipIf(!localOnly)("keys in the local runtime", () => {
  it("a first start creates a dev key in the data folder; a restart keeps it and every key", async () => {
    const first = await start({ dataDir });
    const file = join(dataDir, "dev-key");
    expect(readFileSync(file, "utf8").trim()).toBe(first.apiKey);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.apiKey).toMatch(/^efk_[a-z2-7]{16}_[A-Za-z0-9_-]{43}$/);
    const info = JSON.parse(readFileSync(join(dataDir, "runtime.json"), "utf8"));
    expect(info).toMatchObject({
      pid: first.pid,
      dynamodbEndpoint: first.dynamodbEndpoint,
      keysTableName: "eventflow-keys",
    });

    // `npm run keys` finds the running runtime through the data folder.
    const made = await createKey({ dataDir }, "acme", "events:write,events:read");
    const acme = new Api(first.url, made.key);
    const id = await acme.send({ type: uniqueType("keys"), data: {} });
    await acme.settled(id);
    const devKeyList = await keysCli<{ tenantId: string; scopes: string[] }[]>({ dataDir }, [
      "list",
      "--tenant",
      "local",
    ]);
    expect(devKeyList).toEqual([
      // The development key has every scope there is.
      expect.objectContaining({ scopes: [...SCOPES] }),
    ]);

    await first.stop();
    expect(existsSync(join(dataDir, "runtime.json"))).toBe(false);
    const second = await start({ dataDir });
    expect(second.apiKey).toBe(first.apiKey);
    expect((await new Api(second.url, made.key).event(id))?.id).toBe(id);
    expect((await new Api(second.url).request("GET", "/v1/health")).status).toBe(200);
  });

  it("a revoked key works until the authorizer's cached answer expires, then 401", async () => {
    const runtime = await start({ settings: { authorizerCacheSeconds: 3 } });
    const made = await createKey(runtime, "revoking", "events:read");
    const api = new Api(runtime.url, made.key);
    expect((await api.request("GET", "/v1/stats")).status).toBe(200);
    await revokeKey(runtime, "revoking", made.prefix);
    // Cached: API Gateway would not ask the authorizer again for 3 s either.
    expect((await api.request("GET", "/v1/stats")).status).toBe(200);
    await sleep(3_200);
    const refused = await api.request("GET", "/v1/stats");
    expect(refused.status).toBe(401);
    // A key never used before its revocation is refused at once.
    const fresh = await createKey(runtime, "revoking", "events:read");
    await revokeKey(runtime, "revoking", fresh.key);
    expect((await new Api(runtime.url, fresh.key).request("GET", "/v1/stats")).status).toBe(401);
  });
});

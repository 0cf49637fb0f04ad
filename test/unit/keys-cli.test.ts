/**
 * `npm run keys` (bin/keys.ts): create, list, revoke and rotate against a keys table in
 * dynalite (through --endpoint, as for a --memory runtime, and through a data folder's
 * runtime.json), how it finds a deployed stack in a cdk outputs file, and the API Gateway
 * calls that give a new tenant its usage plan key.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  FlushStageAuthorizersCacheCommand,
} from "@aws-sdk/client-api-gateway";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Io, main, openTarget } from "../../bin/keys.js";
import type { AwsClients } from "../../bin/tools/aws.js";
import { ApiGatewayUsagePlans } from "../../lambdas/adapters/apigateway-usage-plans.js";
import { DynamoDbKeyStore } from "../../lambdas/adapters/dynamodb-key-store.js";
import { hashApiKey } from "../../lambdas/domain/api-keys.js";
import { writeRuntimeInfo } from "../../local/keys.js";
import { startTestAws, type TestAws } from "../support/aws.js";

let aws: TestAws;
let store: DynamoDbKeyStore;
const temps: string[] = [];

beforeAll(async () => {
  aws = await startTestAws([]);
  store = new DynamoDbKeyStore(aws.documentClient, { tableName: aws.resources.keysTableName });
});

afterAll(async () => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  await aws?.stop();
});

function io(overrides: Partial<Io> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
    now: () => new Date("2026-11-22T10:00:00.000Z"),
    readFile: () => {
      throw new Error("no file");
    },
    isAlive: () => true,
    ...overrides,
  };
  return { io: value, out, err, text: () => out.join("\n"), errors: () => err.join("\n") };
}

const dynamodbEndpoint = () => aws.emulators.dynamodbEndpoint ?? "";

const endpoint = () => [
  "--endpoint",
  dynamodbEndpoint(),
  "--keys-table",
  aws.resources.keysTableName,
];

async function run(args: string[], overrides: Partial<Io> = {}) {
  const t = io(overrides);
  const code = await main(args, t.io);
  return { code, ...t };
}

describe("npm run keys against the local keys table", () => {
  it("creates a key, printed once with how to use it; only its hash is stored", async () => {
    const r = await run(["create", "--tenant", "acme", "--scopes", "events:write", ...endpoint()]);
    expect(r.code).toBe(0);
    const key = /^ {2}(efk_\S+)$/m.exec(r.text())?.[1] ?? "";
    expect(key).toMatch(/^efk_[a-z2-7]{16}_/);
    expect(r.text()).toContain("This is the only time it is shown");
    expect(r.text()).toContain(`export EVENTFLOW_API_KEY=${key}`);
    expect(await store.findByHash(hashApiKey(key))).toMatchObject({
      tenantId: "acme",
      scopes: ["events:write"],
    });
  });

  it("creates, lists, rotates and revokes with --json", async () => {
    const json = async (args: string[]) => {
      const r = await run([...args, "--json", ...endpoint()]);
      expect(r.code, r.errors()).toBe(0);
      return JSON.parse(r.text());
    };
    const created = await json([
      "create",
      "--tenant",
      "globex",
      "--scopes",
      "events:read,admin",
      "--name",
      "ops",
    ]);
    expect(created).toMatchObject({
      tenantId: "globex",
      scopes: ["events:read", "admin"],
      state: "active",
      name: "ops",
      prefix: `efk_${created.keyId}`,
    });
    const rotated = await json(["rotate", "--tenant", "globex", "--key", created.prefix]);
    expect(rotated.old).toMatchObject({ state: "active", expiresAt: "2026-11-23T10:00:00.000Z" });
    expect(rotated.created.scopes).toEqual(["events:read", "admin"]);
    const revoked = await json(["revoke", "--tenant", "globex", "--key", rotated.created.key]);
    expect(revoked).toMatchObject({ keyId: rotated.created.keyId, state: "revoked" });
    const listed = await json(["list", "--tenant", "globex"]);
    // Same creation instant (a fixed clock): compare as a set.
    expect(
      listed.map((k: { keyId: string; state: string }) => `${k.keyId} ${k.state}`).sort(),
    ).toEqual([`${created.keyId} active`, `${rotated.created.keyId} revoked`].sort());
    expect(JSON.stringify(listed)).not.toContain(created.key);
  });

  it("lists as a table, without secrets", async () => {
    await run(["create", "--tenant", "tabled", "--scopes", "admin", ...endpoint()]);
    const r = await run(["list", "--tenant", "tabled", ...endpoint()]);
    expect(r.out[0]).toMatch(/^KEY\s+STATE\s+SCOPES\s+CREATED\s+ENDS\s+NAME$/);
    expect(r.out[1]).toMatch(/^efk_[a-z2-7]{16}\s+active\s+admin\s+2026-11-22T10:00:00.000Z$/);
    expect((await run(["list", "--tenant", "empty", ...endpoint()])).text()).toBe(
      "Tenant empty has no keys.",
    );
  });

  it("answers a usage mistake with one line and exit code 2", async () => {
    const cases: [string[], RegExp][] = [
      [["create", "--scopes", "admin"], /--tenant is required/],
      [["create", "--tenant", "a"], /create needs --scopes/],
      [["create", "--tenant", "a", "--scopes", "root"], /unknown scope\(s\) root/],
      [["delete", "--tenant", "a"], /unknown command "delete"/],
      [["list", "--tenant", "a", "--scopes", "admin"], /--scopes does not apply to list/],
      [["rotate", "--tenant", "a", "--key", "efk_x", "--grace", "soon"], /--grace/],
      [["revoke", "--tenant", "a", "--key", "nope"], /not a key id/],
      [["revoke", "--tenant", "a", "--key", "efk_aaaaaaaaaaaaaaaa"], /tenant a has no key/],
      [["list", "--tenant", "a", "--bogus"], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await run([...args, ...endpoint()]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.errors()).toMatch(message);
    }
    expect((await run(["--help"])).code).toBe(0);
  });
});

describe("where the keys are", () => {
  it("finds a running local runtime through its data folder's runtime.json", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "eventflow-keys-"));
    temps.push(dataDir);
    const missing = await run(["list", "--tenant", "a", "--data-dir", dataDir]);
    expect(missing.code).toBe(2);
    expect(missing.errors()).toMatch(/no local runtime is running on .* \(start it with npm start/);
    writeRuntimeInfo(dataDir, {
      pid: 424242,
      url: "http://localhost:3000",
      region: "us-east-1",
      dynamodbEndpoint: dynamodbEndpoint(),
      keysTableName: aws.resources.keysTableName,
      startedAt: "2026-11-22T10:00:00.000Z",
    });
    const fs = { readFile: (path: string) => readFileSync(path, "utf8") };
    const dead = await run(["list", "--tenant", "a", "--data-dir", dataDir], {
      ...fs,
      isAlive: () => false,
    });
    expect(dead.code).toBe(2);
    const ok = await run(
      ["create", "--tenant", "dirs", "--scopes", "admin", "--data-dir", dataDir],
      fs,
    );
    expect(ok.code, ok.errors()).toBe(0);
    expect(ok.text()).toContain("in the local runtime at http://localhost:3000");
  });

  it("reads a deployed stack from cdk's outputs file", () => {
    const outputs = (value: unknown) => ({ readFile: () => JSON.stringify(value) });
    const open = (value: unknown, stack?: string) =>
      openTarget(
        { stackOutputs: "out.json", ...(stack ? { stack } : {}) },
        io({ ...outputs(value), env: {} }).io,
      );
    const stack = {
      ApiUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
      KeysTableName: "EventFlow-KeysTable-1",
      UsagePlanId: "up1",
    };
    const target = open({ EventFlow: stack });
    expect(target.describe).toBe("stack EventFlow (eu-west-1)");
    target.close();
    expect(() => open({ A: stack, B: stack })).toThrow(/holds A, B: pick one with --stack/);
    expect(open({ A: stack, B: stack }, "B").describe).toBe("stack B (eu-west-1)");
    expect(() => open({ Old: { ApiUrl: stack.ApiUrl } })).toThrow(/no stack with a KeysTableName/);
    expect(() => open({ E: { KeysTableName: "t" } })).toThrow(/no UsagePlanId/);
    expect(() => openTarget({ stackOutputs: "x", endpoint: "http://y" }, io().io)).toThrow(
      /exclude each other/,
    );
  });

  it("gives a new tenant an API Gateway API key in the stack's usage plan", async () => {
    const sent: unknown[] = [];
    const client = {
      send: async (command: unknown) => {
        sent.push(command);
        return command instanceof CreateApiKeyCommand ? { id: "k-123" } : {};
      },
    };
    const plans = new ApiGatewayUsagePlans(client as never, {
      usagePlanId: "up1",
      stackName: "EventFlow",
    });
    const { usageKey, usageKeyId } = await plans.provision("acme");
    expect(usageKeyId).toBe("k-123");
    expect(usageKey.length).toBeGreaterThanOrEqual(20);
    const [create, associate] = sent as [CreateApiKeyCommand, CreateUsagePlanKeyCommand];
    expect(create).toBeInstanceOf(CreateApiKeyCommand);
    expect(create.input).toMatchObject({
      name: "EventFlow-tenant-acme",
      enabled: true,
      value: usageKey,
      tags: { tenant: "acme" },
    });
    expect(associate).toBeInstanceOf(CreateUsagePlanKeyCommand);
    expect(associate.input).toEqual({ usagePlanId: "up1", keyId: "k-123", keyType: "API_KEY" });
  });

  it("reuses the tenant's usage plan key: API Gateway is asked once per tenant", async () => {
    let calls = 0;
    const usage = {
      provision: async () => {
        calls++;
        return { usageKey: `usage-${calls}`, usageKeyId: `id-${calls}` };
      },
    };
    const target = () => ({
      store,
      usage,
      describe: "test",
      authorizerCache: "none here",
      close: () => {},
    });
    const t = io();
    for (let i = 0; i < 3; i++) {
      expect(await main(["create", "--tenant", "once", "--scopes", "admin"], t.io, target)).toBe(0);
    }
    expect(calls).toBe(1);
    expect(await store.getTenant("once")).toMatchObject({
      usageKey: "usage-1",
      usageKeyId: "id-1",
    });
  });
});

describe("revoke and rotate on a deployed stack flush the stage's authorizer cache", () => {
  /** A deployed stack whose keys table is dynalite's and whose API Gateway is a stub. */
  function stack(outputs: Record<string, string>, fail?: Error) {
    const sent: unknown[] = [];
    const clients: AwsClients = {
      dynamodb: () =>
        new DynamoDBClient({
          endpoint: dynamodbEndpoint(),
          region: "eu-west-1",
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
        }),
      apigateway: () => ({
        send: async (command: unknown) => {
          sent.push(command);
          if (fail && command instanceof FlushStageAuthorizersCacheCommand) throw fail;
          return command instanceof CreateApiKeyCommand ? { id: "k-1" } : {};
        },
        destroy: () => {},
      }),
    };
    const file = JSON.stringify({
      EventFlow: {
        ApiUrl: "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        KeysTableName: aws.resources.keysTableName,
        UsagePlanId: "up1",
        ...outputs,
      },
    });
    const t = io({ readFile: () => file });
    const keys = (args: string[]) =>
      main([...args, "--stack-outputs", "out.json"], t.io, (o, i) => openTarget(o, i, clients));
    const flushes = () =>
      sent
        .filter((c) => c instanceof FlushStageAuthorizersCacheCommand)
        .map((c) => (c as FlushStageAuthorizersCacheCommand).input);
    return { keys, flushes, out: t.out, err: t.err };
  }

  const ids = { RestApiId: "abc123", ApiStageName: "prod" };

  it("revoke flushes it, so the key stops at once, not after authorizerCacheSeconds", async () => {
    const s = stack(ids);
    expect(await s.keys(["create", "--tenant", "flush", "--scopes", "admin", "--json"])).toBe(0);
    const { prefix } = JSON.parse(s.out.join("\n"));
    s.out.length = 0;
    expect(s.flushes()).toEqual([]);
    expect(await s.keys(["revoke", "--tenant", "flush", "--key", prefix])).toBe(0);
    expect(s.flushes()).toEqual([{ restApiId: "abc123", stageName: "prod" }]);
    expect(s.out.join("\n")).toContain(
      "Flushed the authorizer cache of stage prod of REST API abc123",
    );
  });

  it("rotate flushes it too (the old key's cached answer knew no expiry)", async () => {
    const s = stack(ids);
    expect(await s.keys(["create", "--tenant", "flush2", "--scopes", "admin", "--json"])).toBe(0);
    const { prefix } = JSON.parse(s.out.join("\n"));
    s.out.length = 0;
    const code = await s.keys(["rotate", "--tenant", "flush2", "--key", prefix, "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(s.out.join("\n")).old.prefix).toBe(prefix);
    expect(s.flushes()).toEqual([{ restApiId: "abc123", stageName: "prod" }]);
    // With --json, stdout stays one document: the note goes to stderr.
    expect(s.err.join("\n")).toContain("Flushed the authorizer cache");
  });

  it("a failed flush is an error (exit 1) that says the key is revoked but cached", async () => {
    const s = stack(ids, Object.assign(new Error("not allowed"), { name: "AccessDenied" }));
    expect(await s.keys(["create", "--tenant", "flush3", "--scopes", "admin", "--json"])).toBe(0);
    const { prefix } = JSON.parse(s.out.join("\n"));
    expect(await s.keys(["revoke", "--tenant", "flush3", "--key", prefix])).toBe(1);
    expect(s.err.join("\n")).toMatch(
      /is revoked, but flushing the authorizer cache of stage prod of REST API abc123 failed \(not allowed\)/,
    );
  });

  it("a stack deployed before RestApiId was an output: revoked, with a warning", async () => {
    const s = stack({});
    expect(await s.keys(["create", "--tenant", "flush4", "--scopes", "admin", "--json"])).toBe(0);
    const { prefix } = JSON.parse(s.out.join("\n"));
    s.out.length = 0;
    expect(await s.keys(["revoke", "--tenant", "flush4", "--key", prefix])).toBe(0);
    expect(s.flushes()).toEqual([]);
    expect(s.out.join("\n")).toMatch(/has no RestApiId and ApiStageName outputs .* not flushed/);
  });
});

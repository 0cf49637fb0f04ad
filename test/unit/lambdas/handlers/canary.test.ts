/**
 * The synthetic canary.
 * - The use case with in-memory ports and a fake clock: success and its latency, the
 *   deadline, a failed event, refusals, a key that cannot be minted; never a throw.
 * - Through the public surface of the real local runtime (in this process, real
 *   handlers): its own key in the keys table (hash only, expiry, TTL), its event sent over
 *   HTTP and read back processed, kept out of other tenants' view, stored with a short
 *   TTL; a poisoned pipeline makes the run fail at its deadline with CanarySuccess 0.
 * - The handler: the EMF metrics it prints, with its usage key read from a stand-in for
 *   API Gateway's GetApiKey.
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DynamoDbKeyStore } from "../../../../lambdas/adapters/dynamodb-key-store.js";
import { eventKey } from "../../../../lambdas/adapters/dynamodb-keys.js";
import { HttpCanaryApi } from "../../../../lambdas/adapters/http-canary-api.js";
import { type ApiKeyRecord, hashApiKey } from "../../../../lambdas/domain/api-keys.js";
import { canaryEvent, retentionDaysFor } from "../../../../lambdas/domain/canary.js";
import type { IncomingEvent } from "../../../../lambdas/domain/event.js";
import type { KeyStore } from "../../../../lambdas/ports/api-keys.js";
import type { CanaryApi, ReadAnswer, SendAnswer } from "../../../../lambdas/ports/canary.js";
import { createApiGatewayClient } from "../../../../lambdas/shared/apigateway.js";
import { createDynamoDbClients, createSqsClient } from "../../../../lambdas/shared/clients.js";
import { createS3Client } from "../../../../lambdas/shared/s3-client.js";
import { createKey, KeyManagementError } from "../../../../lambdas/use-cases/manage-keys.js";
import {
  CanaryKeyring,
  type CanaryOutcome,
  canaryMetrics,
  runCanary,
} from "../../../../lambdas/use-cases/run-canary.js";
import { CANARY } from "../../../../lib/contracts/canary.js";
import { ENV } from "../../../../lib/contracts/environment.js";
import { functionEnvironment } from "../../../../lib/contracts/functions.js";
import { METRIC } from "../../../../lib/contracts/observability.js";
import { KEYS_TABLE, TABLE } from "../../../../lib/contracts/tables.js";
import { buildHandler, type HandlerClients } from "../../../../local/functions.js";
import { type Runtime, startRuntime } from "../../../../local/runtime.js";
import { localSecrets } from "../../../../local/secrets.js";
import { lambdaContext } from "../../../support/apigw.js";

// Before any handler module loads its Logger: the handlers' logs are not under test here.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
});

const repoRoot = resolve(import.meta.dirname, "../../../..");
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/** Keys written by the canary, by hash, with the options it gave. */
class MemoryKeys implements Pick<KeyStore, "putKey"> {
  readonly puts: { hash: string; record: ApiKeyRecord; purgeAt?: Date }[] = [];
  async putKey(hash: string, record: ApiKeyRecord, options: { purgeAt?: Date } = {}) {
    this.puts.push({ hash, record, ...(options.purgeAt ? { purgeAt: options.purgeAt } : {}) });
  }
}

/** Time that moves only when the canary waits or an HTTP call takes time. */
class FakeTime {
  ms = 0;
  readonly start = new Date("2026-03-01T12:00:00.000Z");
  now = () => new Date(this.start.getTime() + this.ms);
  clock = () => this.ms;
  sleep = async (ms: number) => {
    this.ms += ms;
  };
}

/** A scripted API: each read answers the next scripted answer (the last one repeats). */
class ScriptedApi implements CanaryApi {
  sent: IncomingEvent[] = [];
  reads = 0;
  constructor(
    private readonly onSend: (event: IncomingEvent) => SendAnswer | Promise<SendAnswer>,
    private readonly answers: ReadAnswer[],
    private readonly time: FakeTime,
    private readonly callMs = 20,
  ) {}
  async send(_key: string, event: IncomingEvent): Promise<SendAnswer> {
    this.sent.push(event);
    this.time.ms += this.callMs;
    return this.onSend(event);
  }
  async read(): Promise<ReadAnswer> {
    this.time.ms += this.callMs;
    const answer = this.answers[Math.min(this.reads, this.answers.length - 1)];
    this.reads += 1;
    if (!answer) throw new Error("no scripted answer");
    return answer;
  }
}

const accepted = (event: IncomingEvent): SendAnswer => ({
  kind: "accepted",
  id: event.id as string,
});
const notFound: ReadAnswer = { kind: "not_found" };
const processed: ReadAnswer = { kind: "stored", status: "processed", latencyMs: 42 };

function fixture(answers: ReadAnswer[], onSend = accepted, usage = async () => "usage-1") {
  const time = new FakeTime();
  const keys = new MemoryKeys();
  const keyring = new CanaryKeyring({ store: keys, usage: { usageKey: usage }, now: time.now });
  const api = new ScriptedApi(onSend, answers, time);
  const run = (deadlineMs = 5000) =>
    runCanary({
      keyring,
      api,
      now: time.now,
      clock: time.clock,
      sleep: time.sleep,
      deadlineMs,
      pollIntervalMs: 250,
    });
  return { time, keys, keyring, api, run };
}

describe("runCanary (in-memory ports, fake clock)", () => {
  it("sends one marked event, reads it back processed, and reports its latency", async () => {
    const f = fixture([notFound, notFound, processed]);
    const outcome = await f.run();
    // 20 ms POST, then three reads of 20 ms, each after a 250 ms pause.
    expect(outcome).toMatchObject({
      ok: true,
      latencyMs: 20 + 3 * (250 + 20),
      storedLatencyMs: 42,
      acceptMs: 20,
      reads: 3,
      keyMinted: true,
    });
    const [event] = f.api.sent;
    expect(event).toMatchObject({ type: CANARY.type, source: CANARY.source });
    expect(event?.id).toMatch(/^canary-[0-9a-f-]{36}$/);
    expect(outcome.eventId).toBe(event?.id);
    expect(canaryMetrics(outcome)).toEqual([
      { name: METRIC.canarySuccess, unit: "Count", value: 1 },
      { name: METRIC.canaryLatency, unit: "Milliseconds", value: 20 + 3 * 270 },
    ]);
  });

  it("fails at the deadline when the event never comes back, without throwing", async () => {
    const f = fixture([notFound]);
    const outcome = await f.run(2000);
    expect(outcome).toMatchObject({ ok: false, reason: "deadline_exceeded" });
    if (outcome.ok) throw new Error("unreachable");
    expect(outcome.detail).toMatch(
      /not processed within 2000 ms \(last read: 404 not yet stored\)/,
    );
    // It stops at the deadline: no read starts after it, none ends much later.
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(outcome.elapsedMs).toBeLessThan(2000 + 250);
    expect(canaryMetrics(outcome)).toEqual([
      { name: METRIC.canarySuccess, unit: "Count", value: 0 },
    ]);
  });

  it("keeps polling through 429 and 5xx answers, and gives up at once on a final refusal", async () => {
    const retried = fixture([
      { kind: "refused", status: 503, code: "internal_error", retryable: true },
      { kind: "refused", status: 0, code: "TimeoutError", retryable: true },
      processed,
    ]);
    expect(await retried.run()).toMatchObject({ ok: true, reads: 3 });

    const refused = fixture([
      notFound,
      { kind: "refused", status: 403, code: "forbidden", retryable: false },
    ]);
    expect(await refused.run()).toMatchObject({
      ok: false,
      reason: "read_refused",
      detail: "HTTP 403 forbidden",
      reads: 2,
    });
  });

  it("reports an event stored as failed with its reason", async () => {
    const f = fixture([{ kind: "stored", status: "failed", reason: "a rule said no" }]);
    expect(await f.run()).toMatchObject({
      ok: false,
      reason: "stored_failed",
      detail: "a rule said no",
    });
  });

  it("reports a refused or lost POST, and an adapter that throws, as failed runs", async () => {
    const refused = fixture([processed], () => ({
      kind: "refused",
      status: 401,
      code: "unauthorized",
      retryable: false,
    }));
    expect(await refused.run()).toMatchObject({
      ok: false,
      reason: "send_refused",
      detail: "HTTP 401 unauthorized",
      reads: 0,
    });
    const thrown = fixture([processed], () => {
      throw new TypeError("fetch failed");
    });
    expect(await thrown.run()).toMatchObject({
      ok: false,
      reason: "send_refused",
      detail: "no answer (TypeError: fetch failed)",
    });
  });

  it("reports a key it cannot mint, and mints one on the next run", async () => {
    let fail = true;
    const f = fixture([processed], accepted, async () => {
      if (fail) throw new Error("AccessDeniedException: not allowed");
      return "usage-1";
    });
    const first = await f.run();
    expect(first).toMatchObject({ ok: false, reason: "key_unavailable" });
    expect(f.api.sent).toEqual([]);
    expect(canaryMetrics(first)).toEqual([{ name: METRIC.canarySuccess, unit: "Count", value: 0 }]);
    fail = false;
    expect(await f.run()).toMatchObject({ ok: true, keyMinted: true });
  });
});

describe("CanaryKeyring", () => {
  it("mints a short-lived key for the canary tenant, stores only its hash, with a TTL", async () => {
    const f = fixture([processed]);
    const { credential, minted } = await f.keyring.key(60_000);
    expect(minted).toBe(true);
    expect(f.keys.puts).toHaveLength(1);
    const [put] = f.keys.puts;
    expect(put?.hash).toBe(hashApiKey(credential.key));
    expect(put?.record).toEqual({
      keyId: credential.keyId,
      tenantId: CANARY.tenantId,
      scopes: ["events:write", "events:read"],
      status: "active",
      createdAt: f.time.start.toISOString(),
      expiresAt: new Date(f.time.start.getTime() + CANARY.keyLifetimeMs).toISOString(),
      name: CANARY.keyName,
      usageKey: "usage-1",
    });
    expect(put?.purgeAt?.getTime()).toBe(
      f.time.start.getTime() + CANARY.keyLifetimeMs + CANARY.keyPurgeAfterMs,
    );
    expect(JSON.stringify(put)).not.toContain(credential.key);
  });

  it("reuses its key while it outlives a run, and mints the next one before it would not", async () => {
    const f = fixture([processed]);
    const first = await f.keyring.key(5 * 60_000);
    f.time.ms += CANARY.keyLifetimeMs - 6 * 60_000;
    const second = await f.keyring.key(5 * 60_000);
    expect(second).toEqual({ credential: first.credential, minted: false });
    f.time.ms += 2 * 60_000;
    const third = await f.keyring.key(5 * 60_000);
    expect(third.minted).toBe(true);
    expect(third.credential.keyId).not.toBe(first.credential.keyId);
    expect(f.keys.puts).toHaveLength(2);
  });
});

describe("the canary's tenant and events", () => {
  it("keeps canary events one day, whatever eventRetentionDays says; others as configured", () => {
    expect(retentionDaysFor(CANARY.tenantId, 90)).toBe(1);
    expect(retentionDaysFor(CANARY.tenantId, 0)).toBe(1);
    expect(retentionDaysFor("acme", 90)).toBe(90);
    expect(retentionDaysFor("acme", 0)).toBe(0);
  });

  it("is reserved: npm run keys cannot create a key for it", async () => {
    const store = new MemoryKeys() as unknown as KeyStore;
    await expect(
      createKey(
        { tenantId: CANARY.tenantId, scopes: "admin" },
        { store, usage: { provision: async () => ({ usageKey: "u" }) }, now: () => new Date() },
      ),
    ).rejects.toThrow(KeyManagementError);
  });

  it("builds a valid event of the reserved type with a client-chosen id", () => {
    const event = canaryEvent(new Date("2026-03-01T12:00:00Z"), "canary-1");
    expect(event).toEqual({
      id: "canary-1",
      type: "eventflow.canary",
      source: "eventflow/canary",
      time: "2026-03-01T12:00:00.000Z",
      data: { canary: true, sentAt: "2026-03-01T12:00:00.000Z" },
    });
  });
});

describe("through the local runtime's public API", () => {
  let runtime: Runtime;
  let url: string;
  let doc: DynamoDBDocumentClient;
  let store: DynamoDbKeyStore;
  const captured: string[] = [];
  const write = process.stdout.write.bind(process.stdout);

  beforeAll(async () => {
    // The handlers print EMF and JSON logs; keep them (the handler test reads them).
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      captured.push(text);
      if (text.startsWith("{")) return true;
      return write(chunk as string, ...(rest as []));
    }) as typeof process.stdout.write;
    runtime = await startRuntime({
      repoRoot,
      port: 0,
      host: "127.0.0.1",
      dataDir: null,
      logLevel: "silent",
      captureOutput: false,
      emulatorThread: false,
    });
    url = `http://127.0.0.1:${runtime.port}`;
    const client = new DynamoDBClient({
      endpoint: runtime.endpoints.dynamodb,
      region: "us-east-1",
      credentials: LOCAL_CREDENTIALS,
    });
    doc = DynamoDBDocumentClient.from(client);
    store = new DynamoDbKeyStore(doc, { tableName: runtime.resources.keysTableName });
  }, 60_000);

  afterAll(async () => {
    process.stdout.write = write;
    doc?.destroy();
    await runtime?.shutdown({ drain: false });
  });

  const localUsage = { usageKey: async () => "local-canary-usage" };
  const run = (keyring: CanaryKeyring, deadlineMs = 10_000) =>
    runCanary({
      keyring,
      api: new HttpCanaryApi(url),
      now: () => new Date(),
      clock: () => performance.now(),
      sleep: (ms) => sleep(ms),
      deadlineMs,
      pollIntervalMs: 50,
    });

  it("mints its key, sends its event, reads it back processed and measures the latency", async () => {
    const keyring = new CanaryKeyring({ store, usage: localUsage, now: () => new Date() });
    const outcome = await run(keyring);
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true, keyMinted: true });
    if (!outcome.ok) throw new Error("unreachable");
    expect(outcome.latencyMs).toBeGreaterThan(0);
    expect(outcome.latencyMs).toBeLessThan(10_000);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(outcome.acceptMs ?? 0);
    expect(outcome.storedLatencyMs).toBeGreaterThanOrEqual(0);
    expect(outcome.reads).toBeGreaterThanOrEqual(1);
    expect(canaryMetrics(outcome).map((m) => [m.name, m.value > 0])).toEqual([
      [METRIC.canarySuccess, true],
      [METRIC.canaryLatency, true],
    ]);

    // Its key: the hash only, its tenant and scopes, an expiry, and a TTL a day after it.
    const [record] = await store.listKeys(CANARY.tenantId);
    expect(record).toMatchObject({
      keyId: outcome.keyId,
      tenantId: CANARY.tenantId,
      scopes: ["events:write", "events:read"],
      status: "active",
    });
    const keyItems = await doc.send(
      new QueryCommand({
        TableName: runtime.resources.keysTableName,
        IndexName: KEYS_TABLE.byTenantIndex.name,
        KeyConditionExpression: "tenantId = :t",
        ExpressionAttributeValues: { ":t": CANARY.tenantId },
      }),
    );
    const item = keyItems.Items?.[0] as Record<string, unknown>;
    // Stored apart, under the only partition prefix the canary's role may write.
    expect(outcome.keyId).toMatch(new RegExp(`^${CANARY.keyIdPrefix}[a-z2-7]{10}$`));
    expect(String(item[KEYS_TABLE.partitionKey])).toMatch(/^CANARYKEY#[0-9a-f]{64}$/);
    expect(item[KEYS_TABLE.ttlAttribute]).toBe(
      Math.floor((Date.parse(String(record?.expiresAt)) + CANARY.keyPurgeAfterMs) / 1000),
    );

    // Its event: stored for its tenant alone, with a one-day TTL.
    const stored = await doc.send(
      new GetCommand({
        TableName: runtime.resources.tableName,
        Key: eventKey(CANARY.tenantId, outcome.eventId as string),
      }),
    );
    expect(stored.Item).toMatchObject({
      tenantId: CANARY.tenantId,
      type: CANARY.type,
      status: "processed",
    });
    const receivedAt = Date.parse(String(stored.Item?.receivedAt));
    expect(stored.Item?.[TABLE.ttlAttribute]).toBe(Math.floor(receivedAt / 1000) + 86_400);

    // Another tenant (the runtime's dev key, tenant `local`) sees neither it nor its type.
    const auth = { authorization: `Bearer ${runtime.devKey}` };
    const other = await fetch(`${url}/v1/events/${outcome.eventId}`, { headers: auth });
    expect(other.status).toBe(404);
    const stats = await fetch(`${url}/v1/stats`, { headers: auth });
    expect(stats.status).toBe(200);
    expect(JSON.stringify(await stats.json())).not.toContain(CANARY.type);
  });

  it("reuses its key on the next run of the same environment", async () => {
    const keyring = new CanaryKeyring({ store, usage: localUsage, now: () => new Date() });
    const first = await run(keyring);
    const second = await run(keyring);
    expect(first).toMatchObject({ ok: true, keyMinted: true });
    expect(second).toMatchObject({ ok: true, keyMinted: false, keyId: first.keyId });
  });

  it("fails at its deadline with CanarySuccess 0 when the event is never processed", async () => {
    runtime.faults.update({ poisonType: CANARY.type });
    try {
      const keyring = new CanaryKeyring({ store, usage: localUsage, now: () => new Date() });
      const started = performance.now();
      const outcome = await run(keyring, 1500);
      expect(outcome).toMatchObject({ ok: false, reason: "deadline_exceeded" });
      expect(performance.now() - started).toBeLessThan(1500 + 2000);
      expect(canaryMetrics(outcome)).toEqual([
        { name: METRIC.canarySuccess, unit: "Count", value: 0 },
      ]);
    } finally {
      runtime.faults.update({ poisonType: null });
    }
  });

  it("reports the gateway's 401 when its key is not in the keys table", async () => {
    const nowhere = { putKey: async () => {} };
    const keyring = new CanaryKeyring({ store: nowhere, usage: localUsage, now: () => new Date() });
    expect(await run(keyring, 3000)).toMatchObject({
      ok: false,
      reason: "send_refused",
      detail: "HTTP 401 unauthorized",
    });
  });

  describe("the handler", () => {
    let apigateway: Server;
    const usageKeyId = "abc123canary";
    const apiGatewayCalls: string[] = [];
    let handlerClients: HandlerClients;
    let environment: Record<string, string>;

    beforeAll(async () => {
      // API Gateway's GetApiKey (GET /apikeys/{id}?includeValue=true), as the SDK calls it.
      apigateway = createServer((req, res) => {
        apiGatewayCalls.push(`${req.method} ${req.url}`);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ id: usageKeyId, value: "local-canary-usage", enabled: true }));
      });
      await new Promise<void>((ok) => apigateway.listen(0, "127.0.0.1", ok));
      const { port } = apigateway.address() as AddressInfo;
      // The canary's own environment and clients, built as its entry module builds them.
      const config = { region: "us-east-1", credentials: LOCAL_CREDENTIALS };
      handlerClients = {
        ...createDynamoDbClients({ ...config, endpoint: runtime.endpoints.dynamodb }),
        sqs: createSqsClient({ ...config, endpoint: runtime.endpoints.sqs }),
        s3: createS3Client({ ...config, endpoint: runtime.endpoints.sqs }),
        apigateway: createApiGatewayClient({ ...config, endpoint: `http://127.0.0.1:${port}` }),
        secrets: localSecrets({}),
      };
      environment = {
        ...functionEnvironment("canary", runtime.settings, runtime.resources),
        [ENV.apiUrl]: url,
        [ENV.canaryUsageKeyId]: usageKeyId,
        [ENV.canaryDeadlineSeconds]: "10",
      };
    });

    afterAll(async () => {
      handlerClients.dynamodb.destroy();
      handlerClients.sqs.destroy();
      handlerClients.apigateway?.destroy();
      await new Promise((ok) => apigateway.close(ok));
    });

    it("prints CanarySuccess 1 and CanaryLatency as EMF and returns the outcome", async () => {
      const handler = (await buildHandler("canary", environment, handlerClients)) as (
        event: unknown,
        context: unknown,
      ) => Promise<CanaryOutcome>;
      captured.length = 0;
      const outcome = await handler({ source: "aws.events" }, lambdaContext());
      expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true });
      expect(apiGatewayCalls).toEqual([`GET /apikeys/${usageKeyId}?includeValue=true`]);
      const emf = captured
        .flatMap((chunk) => chunk.split("\n"))
        .filter((line) => line.includes('"_aws"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((doc) => METRIC.canarySuccess in doc);
      expect(emf).toMatchObject({
        [METRIC.canarySuccess]: 1,
        service: "eventflow",
        _aws: {
          CloudWatchMetrics: [
            {
              Namespace: "EventFlow",
              Dimensions: [["service"]],
              Metrics: expect.arrayContaining([
                { Name: METRIC.canarySuccess, Unit: "Count" },
                { Name: METRIC.canaryLatency, Unit: "Milliseconds" },
              ]),
            },
          ],
        },
      });
      expect(emf?.[METRIC.canaryLatency]).toBe(outcome.ok ? outcome.latencyMs : -1);
      // The key never reaches the output: only its id.
      expect(JSON.stringify(outcome)).not.toMatch(/efk_[a-z2-7]{16}_/);
    });
  });
});

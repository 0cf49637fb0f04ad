/**
 * History replays to one target, and erasure of what was derived from a subject, end to end
 * over HTTP against the local runtime (README "History"):
 * - a replay of a time range to a NEW destination delivers exactly those events once
 *   (verified by a receiver with the official `standardwebhooks` library), from the archive
 *   (the events left the table first), and a second identical replay delivers nothing new;
 * - a replay into one aggregation (a backfill from history) gives the independent oracle's
 *   windows, and a second one changes nothing;
 * - an erasure removes the subject's deliveries (and their attempts), its window and
 *   pattern contributions and the pattern match made of its events, while another
 *   subject's stay.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_RUNTIME } from "../../lib/contracts/local-runtime.js";
import { createKey } from "../support/keys.js";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";
import { oracleTimeWindows } from "../support/windows-oracle.js";
import { Api, type StoredEvent, sleep, uniqueId, uniqueType, waitFor } from "./client.js";
import { dropFromTable, finishedJob } from "./history-jobs.js";

const TENANT = LOCAL_RUNTIME.devTenant;

let platform: Platform;
let api: Api;
let receiver: WebhookReceiver;
let dataDir: string;
let dynamodb: DynamoDBClient;

interface Job {
  id: string;
  status: string;
  error?: string;
  progress: { selected: number; done: number };
  request: { target?: Record<string, unknown> };
  steps?: Record<string, { count?: number; events?: number; contributions?: number }>;
}

interface Delivery {
  id: string;
  eventId: string;
  status: string;
  origin?: { kind: string; name?: string };
}

beforeAll(async () => {
  if (!localOnly) return;
  receiver = await new WebhookReceiver().start();
  dataDir = mkdtempSync(join(tmpdir(), "eventflow-history-targets-e2e-"));
  platform = await startPlatform({
    dataDir,
    settings: {
      archiveBatchingWindowSeconds: 1,
      erasureSettleSeconds: 1,
      replayMaxRate: 200,
      windowSweepSeconds: 1,
      windowFenceSeconds: 1,
      windowConfigCacheSeconds: 1,
    },
  });
  api = new Api(platform.url);
  dynamodb = new DynamoDBClient({
    endpoint: platform.local?.dynamodbEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}, 60_000);

afterAll(async () => {
  dynamodb?.destroy();
  await platform?.stop();
  await receiver?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const job = (kind: "replays" | "erasures", id: string) => finishedJob<Job>(api, kind, id, 60_000);

/** Waits until the archive holds `count` events of `type` (the export of a subject is slower). */
async function archived(type: string, count: number, from: string): Promise<void> {
  await waitFor(
    async () => {
      const started = await api.request<{ id: string }>("POST", "/v1/exports", { from, type });
      const done = await waitFor(
        async () => {
          const r = await api.request<Job & { result?: { count: number } }>(
            "GET",
            `/v1/exports/${started.body.id}`,
          );
          return r.body.status === "succeeded" ? r.body : undefined;
        },
        20_000,
        "export",
        200,
      );
      return done.result?.count === count ? true : undefined;
    },
    30_000,
    `${count} archived ${type} events`,
    500,
  );
}

async function createWebhook(path: string): Promise<string> {
  const answer = await api.request<{ id: string; secret: string }>("POST", "/v1/destinations", {
    kind: "webhook",
    name: path,
    url: `${receiver.url}/${path}`,
  });
  expect(answer.status, answer.text).toBe(201);
  receiver.secrets.push(answer.body.secret);
  return answer.body.id;
}

async function deliveriesOf(destination: string): Promise<Delivery[]> {
  const answer = await api.request<{ items: Delivery[] }>(
    "GET",
    `/v1/deliveries?destination=${destination}&limit=100`,
  );
  expect(answer.status, answer.text).toBe(200);
  return answer.body.items;
}

describe.runIf(localOnly)("a replay to one destination", () => {
  it("delivers exactly the range's archived events once; a second replay delivers nothing new", async () => {
    const type = uniqueType("hist-dest");
    const before = await api.sendBatch([0, 1].map((n) => ({ type, data: { n, when: "before" } })));
    await api.settledAll(before);
    await sleep(50);
    const from = new Date().toISOString();
    const wanted = await api.sendBatch(
      Array.from({ length: 6 }, (_, n) => ({ type, subject: `u${n % 2}`, data: { n } })),
    );
    await api.settledAll(wanted);
    const to = new Date(Date.now() + 1).toISOString();
    await sleep(50);
    const after = await api.sendBatch([0, 1].map((n) => ({ type, data: { n, when: "after" } })));
    await api.settledAll(after);
    await archived(type, 10, new Date(Date.now() - 600_000).toISOString());
    await dropFromTable(dynamodb, TENANT, [...before, ...wanted, ...after]);

    // A destination created after the events: history is how it gets them.
    const destination = await createWebhook("history-new");
    const path = "/history-new";
    const body = { from, to, type, target: { destination }, rate: 200 };
    const first = await api.request<Job>("POST", "/v1/replays", body);
    expect(first.status, first.text).toBe(202);
    expect(first.body.request.target).toEqual({ kind: "destination", destination });
    const done = await job("replays", first.body.id);
    expect(done).toMatchObject({ status: "succeeded", progress: { selected: 6, done: 6 } });

    const items = await waitFor(
      async () => {
        const got = await deliveriesOf(destination);
        return got.length === 6 && got.every((d) => d.status === "delivered") ? got : undefined;
      },
      30_000,
      "6 deliveries",
    );
    expect(items.map((d) => d.eventId).sort()).toEqual([...wanted].sort());
    expect(items.every((d) => d.origin?.kind === "replay" && d.origin.name === first.body.id)).toBe(
      true,
    );
    const got = receiver.received.filter((r) => r.path === path);
    expect(got).toHaveLength(6);
    expect(got.every((r) => r.verified && r.status === 200)).toBe(true);
    expect(new Set(got.map((r) => r.id))).toEqual(new Set(items.map((d) => d.id)));
    expect(
      got.map((r) => ((r.body as { data: StoredEvent }).data as StoredEvent).id).sort(),
    ).toEqual([...wanted].sort());

    // The same replay again: the same delivery ids meet their ended records; nothing is sent.
    const second = await api.request<Job>("POST", "/v1/replays", body);
    expect((await job("replays", second.body.id)).status).toBe("succeeded");
    await api.queuesEmpty(30_000);
    await sleep(1500);
    expect(receiver.received.filter((r) => r.path === path)).toHaveLength(6);
    expect(await deliveriesOf(destination)).toHaveLength(6);
  });

  it("names an unknown target, refuses a disabled one, and needs destinations:write", async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const unknown = await api.request<{ error: { details: { path: string; message: string }[] } }>(
      "POST",
      "/v1/replays",
      { from, target: { destination: "dst_00000000000000000000000000" } },
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0]).toMatchObject({
      path: "target.destination",
      message: expect.stringContaining("dst_00000000000000000000000000"),
    });
    const noAgg = await api.request<{ error: { details: { path: string }[] } }>(
      "POST",
      "/v1/replays",
      { from, target: { aggregation: "no-such-aggregation" } },
    );
    expect(noAgg.status).toBe(400);
    expect(noAgg.body.error.details[0]?.path).toBe("target.aggregation");
    const both = await api.request("POST", "/v1/replays", {
      from,
      target: { destination: "dst_00000000000000000000000000", aggregation: "x" },
    });
    expect(both.status).toBe(400);

    const destination = await createWebhook("history-disabled");
    await api.request("PATCH", `/v1/destinations/${destination}`, { enabled: false });
    const disabled = await api.request("POST", "/v1/replays", { from, target: { destination } });
    expect(disabled.status).toBe(409);

    const admin = await createKey(platform, TENANT, "admin");
    const refused = await api
      .withKey(admin.key)
      .request<{ error: { message: string } }>("POST", "/v1/replays", {
        from,
        target: { destination },
      });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("destinations:write");
    // The pipeline target stays admin's alone.
    expect((await api.withKey(admin.key).request("POST", "/v1/replays", { from })).status).toBe(
      202,
    );
  });
});

describe.runIf(localOnly)("a replay into one aggregation (backfill from history)", () => {
  it("gives the oracle's windows, and a second replay changes nothing", async () => {
    const type = uniqueType("hist-agg");
    const name = uniqueId("agg").replace(/[^A-Za-z0-9._-]/g, "-");
    const from = new Date(Date.now() - 1000).toISOString();
    const now = Date.now();
    // Event times over the last 20 minutes: several 5-minute windows per subject.
    const sent = Array.from({ length: 24 }, (_, n) => ({
      id: uniqueId(`agg${n}`),
      type,
      subject: `user-${n % 3}`,
      time: new Date(now - (n * 50_000 + 1_000)).toISOString(),
      data: { amount: n + 1 },
    }));
    const ids = await api.sendBatch(sent);
    await api.settledAll(ids);
    await archived(type, 24, from);
    await dropFromTable(dynamodb, TENANT, ids);
    // Declared after the events were stored: live processing never counted them.
    const declared = await api.request("PUT", `/v1/aggregations/${name}`, {
      match: { type: [type] },
      groupBy: ["subject"],
      measures: [
        { name: "n", op: "count" },
        { name: "total", op: "sum", path: "data.amount" },
      ],
      window: { kind: "tumbling", size: "5m" },
      allowedLateness: "1d",
    });
    expect(declared.status, declared.text).toBe(201);

    const read = async () => {
      const answer = await api.request<{
        windows: {
          group: { subject: string };
          start: string;
          count: number;
          measures: { total: number };
        }[];
      }>(
        "GET",
        `/v1/aggregations/${name}?from=${new Date(now - 3_600_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}`,
      );
      expect(answer.status, answer.text).toBe(200);
      return answer.body.windows
        .map((w) => ({
          group: w.group.subject,
          start: Date.parse(w.start),
          count: w.count,
          total: w.measures.total,
        }))
        .sort((a, b) => a.group.localeCompare(b.group) || a.start - b.start);
    };
    expect(await read()).toEqual([]);

    const MIN5 = 5 * 60_000;
    const oracle = oracleTimeWindows(
      sent.map((e) => ({
        id: e.id,
        t: Date.parse(e.time),
        late: false,
        key: e.subject,
        type,
        amount: e.data.amount,
      })),
      MIN5,
      MIN5,
    )
      .filter((w) => w.count > 0)
      .map((w) => ({ group: w.group, start: w.start, count: w.count, total: w.sum }))
      .sort((a, b) => a.group.localeCompare(b.group) || a.start - b.start);

    const body = { from, type, target: { aggregation: name } };
    const first = await api.request<Job>("POST", "/v1/replays", body);
    expect(first.status, first.text).toBe(202);
    expect(first.body.request.target).toEqual({
      kind: "aggregation",
      aggregation: name,
      version: 1,
    });
    expect(await job("replays", first.body.id)).toMatchObject({
      status: "succeeded",
      progress: { selected: 24, done: 24 },
    });
    expect(await read()).toEqual(oracle);

    // Exactly once: contributions are keyed by (version, event id).
    const second = await api.request<Job>("POST", "/v1/replays", body);
    expect((await job("replays", second.body.id)).status).toBe("succeeded");
    expect(await read()).toEqual(oracle);
  });
});

describe.runIf(localOnly)("erasure of what was derived from a subject", () => {
  it("removes its deliveries, contributions and pattern match; another subject's stay", async () => {
    const type = uniqueType("hist-erase");
    const gone = uniqueId("gone");
    const kept = uniqueId("kept");
    const agg = uniqueId("erase-agg").replace(/[^A-Za-z0-9._-]/g, "-");
    const pattern = uniqueId("erase-pat").replace(/[^A-Za-z0-9._-]/g, "-");
    expect(
      (
        await api.request("PUT", `/v1/aggregations/${agg}`, {
          match: { type: [type] },
          groupBy: ["subject"],
          measures: [{ name: "n", op: "count" }],
          window: { kind: "tumbling", size: "1d" },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api.request("PUT", `/v1/patterns/${pattern}`, {
          kind: "threshold",
          key: "subject",
          within: "1h",
          count: 3,
          // Events stored later than this after their event time take part in no match.
          allowedLateness: "10s",
          steps: [{ match: { type: [type] } }],
        })
      ).status,
    ).toBe(201);
    await sleep(1500); // windowConfigCacheSeconds: the declarations apply to what follows
    const from = new Date(Date.now() - 1000).toISOString();
    const goneIds = await api.sendBatch(
      Array.from({ length: 3 }, (_, i) => ({ type, subject: gone, data: { email: `g${i}@x` } })),
    );
    const keptIds = await api.sendBatch(
      Array.from({ length: 2 }, (_, i) => ({ type, subject: kept, data: { n: i } })),
    );
    await api.settledAll([...goneIds, ...keptIds]);
    const destination = await createWebhook("history-erase");
    const replayed = await api.request("POST", `/v1/destinations/${destination}/replay`, {
      from,
      to: new Date(Date.now() + 1000).toISOString(),
      pattern: { type: [type] },
    });
    expect(replayed.status, replayed.text).toBe(202);
    const before = await waitFor(
      async () => {
        const items = await deliveriesOf(destination);
        return items.length === 5 && items.every((d) => d.status === "delivered")
          ? items
          : undefined;
      },
      30_000,
      "5 deliveries",
    );
    // The subject's three events make one threshold match (stored, then archived).
    const match = await waitFor(
      async () => {
        const r = await api.request<{ items: (StoredEvent & { data: { key: string } })[] }>(
          "GET",
          "/v1/events?type=eventflow.pattern.matched&limit=100",
        );
        return r.body.items.find((e) => e.subject === pattern && e.data.key === gone);
      },
      45_000,
      "the subject's pattern match",
    );
    const windowCount = async (subject: string) => {
      const r = await api.request<{ windows: { count: number }[] }>(
        "GET",
        `/v1/aggregations/${agg}?group=${subject}`,
      );
      return r.body.windows.reduce((n, w) => n + w.count, 0);
    };
    expect(await windowCount(gone)).toBe(3);
    expect(await windowCount(kept)).toBe(2);
    // The erasure reads the archive: the subject's events and the match (its subject is the
    // pattern's name) must have landed there.
    const archivedCount = async (subject: string, count: number) =>
      waitFor(
        async () =>
          (await api.request<{ count: number }>("GET", `/v1/subjects/${subject}/export`)).body
            .count === count
            ? true
            : undefined,
        20_000,
        `${count} archived events of ${subject}`,
        250,
      );
    await archivedCount(gone, 3);
    await archivedCount(pattern, 1);

    const receipt = await api.request<Job>("DELETE", `/v1/subjects/${gone}`);
    expect(receipt.status).toBe(202);
    const done = await job("erasures", receipt.body.id);
    expect(done.status).toBe("succeeded");
    expect(done.steps?.table?.count).toBe(4); // 3 events + the match about them
    expect(done.steps?.deliveries?.count).toBe(3);
    expect(done.steps?.derived).toMatchObject({ events: 1, contributions: 6 });

    const goneDeliveries = before.filter((d) => goneIds.includes(d.eventId));
    expect(goneDeliveries).toHaveLength(3);
    const after = await deliveriesOf(destination);
    expect(after.map((d) => d.eventId).sort()).toEqual([...keptIds].sort());
    for (const d of goneDeliveries) {
      expect((await api.request("GET", `/v1/deliveries/${d.id}`)).status).toBe(404);
      expect((await api.request("POST", `/v1/deliveries/${d.id}/retry`)).status).toBe(404);
    }
    const byEvent = await api.request<{ items: Delivery[] }>(
      "GET",
      `/v1/deliveries?event=${goneIds[0]}`,
    );
    expect(byEvent.body.items).toEqual([]);
    expect(await windowCount(gone)).toBe(0);
    expect(await windowCount(kept)).toBe(2);
    expect((await api.request("GET", `/v1/events/${match.id}`)).status).toBe(404);
    for (const id of keptIds) {
      expect((await api.request("GET", `/v1/events/${id}`)).status).toBe(200);
    }
  });
});

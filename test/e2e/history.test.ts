/**
 * History end to end (README "History"), over HTTP and the archive's own files: events reach
 * the archive and DuckDB's answers; an export of a filtered range matches the API's answers;
 * a replay of a range brings back exactly those events, once, and a second replay changes
 * nothing; an erasure removes a subject from the table, the archive and earlier exports
 * while the others' events stay; jobs are tenant-scoped and need their scopes.
 *
 * Local runtime only: it reads the archive's files with DuckDB and deletes table items to
 * stand for events that left the table (dynalite has no TTL).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryDuckDb } from "../../bin/tools/history-sql.js";
import { LOCAL_RUNTIME, parseRuntimeInfo } from "../../lib/contracts/local-runtime.js";
import { createKey } from "../support/keys.js";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { Api, type StoredEvent, uniqueId, uniqueType, waitFor } from "./client.js";
import { dropFromTable, finishedJob } from "./history-jobs.js";

const TENANT = LOCAL_RUNTIME.devTenant;

let platform: Platform;
let api: Api;
let dataDir: string;
let archiveRoot: string;
let dynamodb: DynamoDBClient;

interface Job {
  id: string;
  kind: string;
  status: string;
  progress: { selected: number; done: number };
  result?: { key: string; count: number; format: string };
  download?: { url: string; fileUrl?: string };
  steps?: Record<string, { count?: number }>;
  cancelRequested?: boolean;
}

beforeAll(async () => {
  if (!localOnly) return;
  dataDir = mkdtempSync(join(tmpdir(), "eventflow-history-e2e-"));
  platform = await startPlatform({
    dataDir,
    settings: { archiveBatchingWindowSeconds: 1, erasureSettleSeconds: 1, replayMaxRate: 200 },
  });
  api = new Api(platform.url);
  const info = parseRuntimeInfo(readFileSync(join(dataDir, LOCAL_RUNTIME.runtimeInfoFile), "utf8"));
  archiveRoot = info?.archiveFileRoot ?? "";
  dynamodb = new DynamoDBClient({
    endpoint: platform.local?.dynamodbEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}, 60_000);

afterAll(async () => {
  dynamodb?.destroy();
  await platform?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const sql = async (query: string) => (await queryDuckDb(archiveRoot, query)).rows;

/** Waits until DuckDB sees `count` events of `type` in the archive. */
const archived = (type: string, count: number) =>
  waitFor(
    async () => {
      const rows = await sql(
        `SELECT count(*) FROM events WHERE tenant = '${TENANT}' AND type = '${type}'`,
      );
      return Number(rows[0]?.[0]) === count ? true : undefined;
    },
    20_000,
    `${count} archived ${type} events`,
    250,
  );

const job = (kind: "exports" | "replays" | "erasures", id: string) =>
  finishedJob<Job>(api, kind, id);

async function exportLines(body: Record<string, unknown>): Promise<StoredEvent[]> {
  const started = await api.request<Job>("POST", "/v1/exports", body);
  expect(started.status).toBe(202);
  const done = await job("exports", started.body.id);
  expect(done.status).toBe("succeeded");
  const text = await (await fetch(done.download?.url ?? "")).text();
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StoredEvent);
}

describe.runIf(localOnly)("the archive", () => {
  it("holds every stored event with its final status, queryable with DuckDB", async () => {
    const type = uniqueType("arch");
    const ids = await api.sendBatch([
      ...Array.from({ length: 30 }, (_, i) => ({ type, data: { n: i } })),
    ]);
    const failed = await api.send({ type: "purchase", data: { amount: -1 } });
    await api.settledAll([...ids, failed]);
    await archived(type, 30);
    const byStatus = await sql(
      `SELECT status, count(*) FROM events WHERE tenant = '${TENANT}' AND type = '${type}' GROUP BY 1`,
    );
    expect(byStatus).toEqual([["processed", "30"]]);
    const [row] = await waitFor(
      async () => {
        const rows = await sql(
          `SELECT status, failure_kind, day FROM events WHERE id = '${failed}'`,
        );
        return rows.length > 0 ? rows : undefined;
      },
      20_000,
      "the failed event archived",
    );
    expect(row?.slice(0, 2)).toEqual(["failed", "business_rule"]);
    expect(row?.[2]).toBe(new Date().toISOString().slice(0, 10));
  });
});

describe.runIf(localOnly)("exports", () => {
  it("an export of a filtered range matches the API's answers, in JSON lines and Parquet", async () => {
    const type = uniqueType("exp");
    const from = new Date(Date.now() - 1000).toISOString();
    const ids = await api.sendBatch(
      Array.from({ length: 12 }, (_, i) => ({ type, subject: `s-${i % 3}`, data: { n: i } })),
    );
    await api.sendBatch([{ type: uniqueType("other"), data: {} }]);
    await api.settledAll(ids);
    await archived(type, 12);
    const to = new Date(Date.now() + 1000).toISOString();

    const listed = await api.request<{ items: StoredEvent[] }>(
      "GET",
      `/v1/events?type=${encodeURIComponent(type)}&from=${from}&to=${to}&limit=100`,
    );
    expect(listed.body.items).toHaveLength(12);
    const exported = await exportLines({ from, to, type });
    const strip = (e: StoredEvent) => {
      const {
        history: _h,
        latencyMs: _l,
        ...rest
      } = e as StoredEvent & {
        history?: unknown;
        latencyMs?: unknown;
      };
      return rest;
    };
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect(exported.map(strip).sort(byId)).toEqual(listed.body.items.map(strip).sort(byId));

    // An event pattern (EventBridge's language), matched against the event as the API gives it.
    const matched = await exportLines({
      from,
      to,
      type,
      pattern: { subject: ["s-1"], data: { n: [{ numeric: [">", 3] }] } },
    });
    const expected = listed.body.items.filter(
      (e) => (e as { subject?: string }).subject === "s-1" && Number(e.data.n) > 3,
    );
    expect(matched.map((e) => e.id).sort()).toEqual(expected.map((e) => e.id).sort());
    expect(matched).toHaveLength(3);
    const badPattern = await api.request<{ error: { details: { path: string }[] } }>(
      "POST",
      "/v1/exports",
      { from, pattern: { type: "purchase" } },
    );
    expect(badPattern.status).toBe(400);
    expect(badPattern.body.error.details[0]?.path).toBe("pattern");

    const exportsListed = await api.request<{ items: Job[] }>("GET", "/v1/exports");
    expect(exportsListed.body.items[0]?.kind).toBe("export");

    const parquet = await api.request<Job>("POST", "/v1/exports", {
      from,
      to,
      type,
      format: "parquet",
    });
    const done = await job("exports", parquet.body.id);
    expect(done.result).toMatchObject({ format: "parquet", count: 12 });
    const file = (done.download?.fileUrl ?? "").replace(/^file:\/\//, "");
    const rows = (
      await queryDuckDb(
        archiveRoot,
        `SELECT count(*), count(DISTINCT id) FROM read_parquet('${file}')`,
      )
    ).rows;
    expect(rows).toEqual([["12", "12"]]);
  });

  it("refuses a bad request with the fields named, and other tenants and scopes", async () => {
    const bad = await api.request<{ error: { details: { path: string }[] } }>(
      "POST",
      "/v1/exports",
      {
        from: "yesterday",
        format: "csv",
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d) => d.path).sort()).toEqual(["format", "from"]);

    const mine = await api.request<Job>("POST", "/v1/exports", { from: new Date(0).toISOString() });
    const other = await createKey(platform, "history-other", "history:read,admin");
    const theirs = await api.withKey(other.key).request("GET", `/v1/exports/${mine.body.id}`);
    expect(theirs.status).toBe(404);
    const reader = await createKey(platform, TENANT, "events:read");
    const refused = await api
      .withKey(reader.key)
      .request("POST", "/v1/exports", { from: new Date(0).toISOString() });
    expect(refused.status).toBe(403);
    const historian = await createKey(platform, TENANT, "history:read");
    expect((await api.withKey(historian.key).request("DELETE", "/v1/subjects/x")).status).toBe(403);
  });
});

describe.runIf(localOnly)("replays", () => {
  it("brings back exactly the range's events, once, with their ids and the replay id", async () => {
    const type = uniqueType("rep");
    const from = new Date(Date.now() - 1000).toISOString();
    const ids = await api.sendBatch(
      Array.from({ length: 15 }, (_, i) => ({ type, data: { n: i } })),
    );
    await api.settledAll(ids);
    await archived(type, 15);
    const to = new Date(Date.now() + 1000).toISOString();
    // The events leave the table (as after eventRetentionDays); the archive keeps them.
    await dropFromTable(dynamodb, TENANT, ids);
    expect((await api.request("GET", `/v1/events/${ids[0]}`)).status).toBe(404);

    const first = await api.request<Job>("POST", "/v1/replays", { from, to, type, rate: 100 });
    expect(first.status).toBe(202);
    const done = await job("replays", first.body.id);
    expect(done).toMatchObject({ status: "succeeded", progress: { selected: 15, done: 15 } });
    const back = await api.settledAll(ids);
    for (const event of back) {
      expect(event).toMatchObject({ type, status: "processed" });
      expect((event as StoredEvent & { replayId?: string }).replayId).toBe(first.body.id);
    }
    const listed = await api.request<{ items: StoredEvent[] }>(
      "GET",
      `/v1/events?type=${encodeURIComponent(type)}&limit=100`,
    );
    expect(listed.body.items.map((e) => e.id).sort()).toEqual([...ids].sort());

    // Again: every event is a duplicate; nothing is stored twice or changed.
    const second = await api.request<Job>("POST", "/v1/replays", { from, to, type });
    await job("replays", second.body.id);
    await waitFor(
      async () => {
        const stats = await api.request<{ types: { type: string; duplicate: number }[] }>(
          "GET",
          `/v1/stats?from=${new Date(Date.now() - 3_600_000).toISOString()}`,
        );
        return stats.body.types.find((t) => t.type === type)?.duplicate === 15 ? true : undefined;
      },
      20_000,
      "15 duplicates",
    );
    const again = await api.settledAll(ids);
    expect(again.map((e) => (e as StoredEvent & { replayId?: string }).replayId)).toEqual(
      ids.map(() => first.body.id),
    );
  });

  it("can be cancelled", async () => {
    const type = uniqueType("cancel");
    const from = new Date(Date.now() - 1000).toISOString();
    const ids = await api.sendBatch(
      Array.from({ length: 40 }, (_, i) => ({ type, data: { n: i } })),
    );
    await api.settledAll(ids);
    await archived(type, 40);
    const started = await api.request<Job>("POST", "/v1/replays", { from, type, rate: 2 });
    const cancel = await api.request<Job>("DELETE", `/v1/replays/${started.body.id}`);
    expect(cancel.status).toBe(202);
    const done = await job("replays", started.body.id);
    expect(done.status).toBe("cancelled");
    expect(done.progress.done).toBeLessThan(40);
  });
});

describe.runIf(localOnly)("erasure", () => {
  it("removes a subject from the table, the archive and earlier exports; others stay", async () => {
    const type = uniqueType("gdpr");
    const gone = uniqueId("subject");
    const kept = uniqueId("subject");
    const from = new Date(Date.now() - 1000).toISOString();
    const goneIds = await api.sendBatch(
      Array.from({ length: 4 }, (_, i) => ({
        type,
        subject: gone,
        data: { email: `x${i}@example.com` },
      })),
    );
    const keptIds = await api.sendBatch(
      Array.from({ length: 3 }, (_, i) => ({ type, subject: kept, data: { n: i } })),
    );
    await api.settledAll([...goneIds, ...keptIds]);
    await archived(type, 7);
    const before = await exportLines({ from, type });
    expect(before.filter((e) => (e as { subject?: string }).subject === gone)).toHaveLength(4);
    const held = await api.request<{ count: number }>("GET", `/v1/subjects/${gone}/export`);
    expect(held.body.count).toBe(4);

    const receipt = await api.request<Job>("DELETE", `/v1/subjects/${gone}`);
    expect(receipt.status).toBe(202);
    const done = await job("erasures", receipt.body.id);
    expect(done.status).toBe("succeeded");
    expect(done.steps?.archive?.count).toBe(4);
    expect(done.steps?.table?.count).toBe(4);
    expect(done.steps?.exports?.count).toBeGreaterThanOrEqual(1);
    // The receipt keeps no trace of the subject but its hash; it is listed for operators.
    expect(JSON.stringify(done)).not.toContain(gone);
    const receipts = await api.request<{ items: Job[] }>("GET", "/v1/erasures");
    expect(receipts.body.items.map((j) => j.id)).toContain(receipt.body.id);

    for (const id of goneIds)
      expect((await api.request("GET", `/v1/events/${id}`)).status).toBe(404);
    for (const id of keptIds)
      expect((await api.request("GET", `/v1/events/${id}`)).status).toBe(200);
    expect(await sql(`SELECT count(*) FROM events_archive WHERE subject = '${gone}'`)).toEqual([
      ["0"],
    ]);
    expect(await sql(`SELECT count(*) FROM events WHERE subject = '${kept}'`)).toEqual([["3"]]);
    expect(
      (await api.request<{ count: number }>("GET", `/v1/subjects/${gone}/export`)).body.count,
    ).toBe(0);
    const after = await exportLines({ from, type });
    expect(after.map((e) => (e as { subject?: string }).subject).sort()).toEqual([
      kept,
      kept,
      kept,
    ]);
  });
});

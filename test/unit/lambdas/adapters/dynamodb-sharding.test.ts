/**
 * Write sharding (issue 20): byType, byTime, failed and the statistics spread over shard counts from
 * the settings, and readers merge every shard. What must hold, through the real writer and
 * reader against dynalite:
 * - lists of one type and across types come back newest first, every event once, when paged
 *   with small limits (cursors carry one position per shard);
 * - items written before sharding (byType `<tenant>#<type>`, byTime over 4 shards, stats in
 *   the one `T#<tenant>#STATS` partition) are read with the new ones: no migration;
 * - a page reads about 2 x limit index rows whatever the shard count, not shards x limit.
 */
import { type DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DynamoDbEventReader,
  unfilteredReadSize,
} from "../../../../lambdas/adapters/dynamodb-event-reader.js";
import { DynamoDbEventWriter } from "../../../../lambdas/adapters/dynamodb-event-writer.js";
import type { ShardCounts } from "../../../../lambdas/adapters/dynamodb-keys.js";
import { encodeCursor, MAX_CURSOR_LENGTH } from "../../../../lambdas/domain/cursor.js";
import type { StoredEvent } from "../../../../lambdas/domain/event.js";
import type { ListQuery } from "../../../../lambdas/ports/event-store.js";
import { listEvents } from "../../../../lambdas/use-cases/query-events.js";
import { MAX_LIST_SHARDS, resolveSettings } from "../../../../lib/config.js";
import { startTestAws, TEST_CURSOR_KEY, type TestAws } from "../../../support/aws.js";

const TENANT = "sharded";
const BASE = Date.UTC(2026, 10, 20, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
/** The layout before issue 20: byType unsharded, byTime over 4, stats in one partition. */
const LEGACY: ShardCounts = { timeShards: 4, typeShards: 1, statsShards: 1, failedShards: 1 };
const CURRENT: ShardCounts = (({ timeShards, typeShards, statsShards, failedShards }) => ({
  timeShards,
  typeShards,
  statsShards,
  failedShards,
}))(resolveSettings());

const event = (i: number): StoredEvent => ({
  id: `ev-${String(i).padStart(4, "0")}`,
  tenantId: TENANT,
  type: i % 3 === 0 ? "order.paid" : "page.view",
  data: { i },
  status: i % 7 === 0 ? "failed" : "processed",
  receivedAt: iso(BASE + Math.floor(i / 2) * 1000), // pairs share a millisecond
  correlationId: `c-${i}`,
  attempts: 1,
  ...(i % 7 === 0
    ? {
        failedAt: iso(BASE + i * 1000 + 5),
        failure: { kind: "business_rule" as const, reason: "no" },
      }
    : {}),
});

const OLD = Array.from({ length: 60 }, (_, i) => event(i));
const NEW = Array.from({ length: 140 }, (_, i) => event(60 + i));
const ALL = [...OLD, ...NEW];

const newestFirst = (a: StoredEvent, b: StoredEvent) => {
  const ka = `${a.receivedAt}#${a.id}`;
  const kb = `${b.receivedAt}#${b.id}`;
  return ka < kb ? 1 : ka > kb ? -1 : 0;
};

let aws: TestAws;
let reader: DynamoDbEventReader;
let queries: { scanned: number }[] = [];

beforeAll(async () => {
  aws = await startTestAws([]);
  const writer = (shards: ShardCounts) =>
    new DynamoDbEventWriter(aws.documentClient, {
      tableName: aws.resources.tableName,
      eventRetentionDays: 0,
      ...shards,
    });
  const legacy = writer(LEGACY);
  const current = writer(CURRENT);
  for (const e of OLD) expect(await legacy.putIfAbsent(e)).toEqual({ kind: "written" });
  for (const e of NEW) expect(await current.putIfAbsent(e)).toEqual({ kind: "written" });
  const hour = "2026-11-20T10";
  await legacy.addStats(TENANT, [
    { hour, type: "order.paid", processed: 3, failed: 1, duplicate: 0 },
  ]);
  for (let i = 0; i < 20; i++) {
    await current.addStats(TENANT, [
      { hour, type: "order.paid", processed: 2, failed: 0, duplicate: 1 },
    ]);
  }
  const counting = {
    send: async (command: Parameters<DynamoDBDocumentClient["send"]>[0]) => {
      const out = (await aws.documentClient.send(command)) as { ScannedCount?: number };
      if (command.constructor.name === "QueryCommand") {
        queries.push({ scanned: out.ScannedCount ?? 0 });
      }
      return out;
    },
  } as unknown as DynamoDBDocumentClient;
  reader = new DynamoDbEventReader(counting, aws.dynamodb, {
    tableName: aws.resources.tableName,
    ...CURRENT,
    cursorKey: async () => TEST_CURSOR_KEY,
  });
}, 120_000);

afterAll(async () => {
  await aws?.stop();
});

async function all(query: Omit<ListQuery, "tenantId">): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 500; pages++) {
    const page = await reader.list({
      tenantId: TENANT,
      ...query,
      ...(cursor ? { cursor } : {}),
    });
    ids.push(...page.items.map((e) => e.id));
    cursor = page.nextCursor;
    if (!cursor) break;
    expect(cursor.length).toBeLessThan(4096); // 32 positions of short ids
  }
  return ids;
}

describe("sharded lists", () => {
  it("the default settings shard every hot key family", () => {
    expect(CURRENT.typeShards).toBeGreaterThan(1);
    expect(CURRENT.timeShards).toBeGreaterThan(4);
    expect(CURRENT.statsShards).toBeGreaterThan(1);
  });

  for (const limit of [3, 7, 100]) {
    it(`lists one type newest first across shards and layouts, every event once (limit ${limit})`, async () => {
      const expected = ALL.filter((e) => e.type === "page.view")
        .sort(newestFirst)
        .map((e) => e.id);
      expect(await all({ type: "page.view", limit })).toEqual(expected);
    });

    it(`lists across types newest first (limit ${limit})`, async () => {
      expect(await all({ limit })).toEqual([...ALL].sort(newestFirst).map((e) => e.id));
    });
  }

  it("filters by status within a type across shards", async () => {
    const expected = ALL.filter((e) => e.type === "order.paid" && e.status === "failed")
      .sort(newestFirst)
      .map((e) => e.id);
    expect(await all({ type: "order.paid", status: "failed", limit: 2 })).toEqual(expected);
  });

  it("reads about 2 x limit index rows per page, not shards x limit", async () => {
    queries = [];
    const page = await reader.list({ tenantId: TENANT, type: "page.view", limit: 20 });
    expect(page.items).toHaveLength(20);
    const rows = queries.reduce((s, q) => s + q.scanned, 0);
    expect(queries.length).toBeGreaterThanOrEqual(CURRENT.typeShards);
    expect(rows).toBeLessThanOrEqual(
      CURRENT.typeShards * unfilteredReadSize(20, CURRENT.typeShards),
    );
    expect(rows).toBeLessThan(CURRENT.typeShards * 21);
  });

  const newestFailure = (a: StoredEvent, b: StoredEvent) => {
    const ka = `${a.failedAt}#${a.id}`;
    const kb = `${b.failedAt}#${b.id}`;
    return ka < kb ? 1 : ka > kb ? -1 : 0;
  };

  for (const limit of [1, 3, 7, 100]) {
    it(`lists failed events newest failure first across failed shards and the old key, with a cursor (limit ${limit})`, async () => {
      const failed = ALL.filter((e) => e.status === "failed");
      const ids: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await reader.listFailed({
          tenantId: TENANT,
          limit,
          ...(cursor ? { cursor } : {}),
        });
        // Full pages: the first read of each whole-row lane is small, and its second read
        // must not cut the page short.
        expect(page.partial).toBeUndefined();
        if (page.nextCursor) expect(page.items).toHaveLength(limit);
        ids.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor && ++pages < 200);
      expect(ids).toEqual([...failed].sort(newestFailure).map((e) => e.id));
    });
  }

  it("spreads failed events over failedShards partitions, the old ones staying on the old key", async () => {
    const { Items = [] } = await aws.documentClient.send(
      new ScanCommand({
        TableName: aws.resources.tableName,
        FilterExpression: "attribute_exists(gsi2pk)",
      }),
    );
    const partitions = new Set(Items.map((i) => String(i.gsi2pk)));
    expect(CURRENT.failedShards).toBeGreaterThan(1);
    expect(partitions.has(`${TENANT}#FAILED`)).toBe(true);
    expect(partitions.size).toBeGreaterThan(2);
    const old = Items.filter((i) => OLD.some((e) => `T#${TENANT}#E#${e.id}` === i.pk));
    expect(old.map((i) => i.gsi2pk)).toEqual(old.map(() => `${TENANT}#FAILED`));
  });

  it("lists status=failed across types from every failed shard, with from/to on receivedAt", async () => {
    const from = iso(BASE + 20_000);
    const expected = ALL.filter((e) => e.status === "failed" && e.receivedAt >= from)
      .sort(newestFailure)
      .map((e) => e.id);
    expect(await all({ status: "failed", from, limit: 2 })).toEqual(expected);
  });

  it("sums statistics from the old single partition and every new one", async () => {
    const stats = await reader.stats(
      TENANT,
      "2026-11-20T10:00:00.000Z",
      "2026-11-20T10:59:59.999Z",
    );
    expect(stats).toEqual([{ type: "order.paid", processed: 43, failed: 1, duplicate: 20 }]);
  });
});

describe("the lean profile: timeShards 0", () => {
  it("writes no byTime keys, and refuses a list across types with a 400 naming type", async () => {
    const writer = new DynamoDbEventWriter(aws.documentClient, {
      tableName: aws.resources.tableName,
      eventRetentionDays: 0,
      ...CURRENT,
      timeShards: 0,
    });
    const item = writer.toItem(event(1));
    expect(item.gsi3pk).toBeUndefined();
    expect(item.gsi1pk).toBeDefined();
    const lean = new DynamoDbEventReader(aws.documentClient, aws.dynamodb, {
      tableName: aws.resources.tableName,
      ...CURRENT,
      timeShards: 0,
      cursorKey: async () => TEST_CURSOR_KEY,
    });
    const answer = await listEvents(TENANT, { limit: ["5"] }, lean);
    expect(answer).toMatchObject({ kind: "invalid", details: [{ path: "type" }] });
    const typed = await listEvents(TENANT, { type: ["page.view"], limit: ["5"] }, lean);
    expect(typed.kind).toBe("ok");
  });
});

describe("cursors over every shard", () => {
  it("fit the cursor limit with the most lanes the settings allow and the longest ids", () => {
    const id = "i".repeat(128);
    const lanes = Array.from({ length: MAX_LIST_SHARDS }, () => ({
      kind: "after" as const,
      key: `2026-12-06T10:00:00.000Z#${id}`,
    }));
    const cursor = encodeCursor("scope", lanes, TEST_CURSOR_KEY);
    expect(cursor.length).toBeGreaterThan(4096);
    expect(cursor.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
  });
});

describe("unfilteredReadSize", () => {
  it("reads a page and one more from one lane, about twice a lane's share from many", () => {
    expect(unfilteredReadSize(100, 1)).toBe(101);
    expect(unfilteredReadSize(100, 4)).toBe(53);
    expect(unfilteredReadSize(100, 32)).toBe(9);
    expect(unfilteredReadSize(1, 32)).toBe(2);
  });
});

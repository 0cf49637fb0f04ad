/**
 * The read API through the real handler against dynalite, with events stored by the
 * process side's writer (so the reader is tested against the layout actually written).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbEventReader } from "../../../../lambdas/adapters/dynamodb-event-reader.js";
import {
  DynamoDbEventWriter,
  MAX_COUNTERS_PER_UPDATE,
} from "../../../../lambdas/adapters/dynamodb-event-writer.js";
import { encodeCursor } from "../../../../lambdas/domain/cursor.js";
import type { StoredEvent } from "../../../../lambdas/domain/event.js";
import type { ListQuery } from "../../../../lambdas/ports/event-store.js";
import { resolveSettings } from "../../../../lib/config.js";
import { type ApiEventInput, apiEvent, bodyOf, lambdaContext } from "../../../support/apigw.js";
import { startTestAws, TEST_CURSOR_KEY, type TestAws } from "../../../support/aws.js";

/** The shard counts the handlers read (lib/config.ts defaults). */
const {
  timeShards: TIME_SHARDS,
  typeShards: TYPE_SHARDS,
  failedShards: FAILED_SHARDS,
} = resolveSettings();

let aws: TestAws;
let handler: (
  e: APIGatewayProxyEvent,
  c: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

const BASE = Date.UTC(2026, 10, 20, 10, 0, 0);
const TYPES = ["order.created", "order.paid", "user.signed_up"];
const iso = (ms: number) => new Date(ms).toISOString();

/** 57 events over 3 types; pairs share a receivedAt (ties break on id); every 5th failed. */
const events: StoredEvent[] = Array.from({ length: 57 }, (_, i) => {
  const receivedAt = iso(BASE + Math.floor(i / 2) * 1000);
  const failed = i % 5 === 0;
  return {
    id: `evt-${String(i).padStart(3, "0")}`,
    tenantId: "default",
    type: TYPES[i % 3] as string,
    data: { i, nested: { list: [1, 2, 3] } },
    status: failed ? "failed" : "processed",
    receivedAt,
    correlationId: `c-${i}`,
    attempts: 1,
    ...(failed
      ? {
          // Failure order is the reverse of arrival order, to tell the indexes apart.
          failedAt: iso(BASE + 3_600_000 - i * 1000),
          failure: { kind: "business_rule" as const, reason: "rule broken" },
        }
      : { processedAt: iso(Date.parse(receivedAt) + 50), latencyMs: 50 }),
  };
});
const otherTenant: StoredEvent = {
  ...(events[1] as StoredEvent),
  tenantId: "acme",
  id: "acme-only",
};

const newestFirst = (a: StoredEvent, b: StoredEvent) => {
  const ka = `${a.receivedAt}#${a.id}`;
  const kb = `${b.receivedAt}#${b.id}`;
  return ka < kb ? 1 : ka > kb ? -1 : 0;
};

beforeAll(async () => {
  aws = await startTestAws(["query"]);
  const writer = new DynamoDbEventWriter(aws.documentClient, {
    tableName: aws.resources.tableName,
    eventRetentionDays: 90,
    timeShards: TIME_SHARDS,
    typeShards: TYPE_SHARDS,
    statsShards: 4,
    failedShards: FAILED_SHARDS,
  });
  for (const e of [...events, otherTenant]) {
    expect(await writer.putIfAbsent(e)).toEqual({ kind: "written" });
  }
  handler = await aws.handler("query");
});
afterAll(() => aws.stop());

const get = (path: string, extra: Partial<ApiEventInput> = {}) =>
  handler(apiEvent({ path, ...extra }), lambdaContext());
type Page = { items: StoredEvent[]; nextCursor?: string };
type ErrorBody = { error: { code: string; message: string; details?: { path: string }[] } };

async function collect(query: string, extra: Partial<ApiEventInput> = {}) {
  const pages: Page[] = [];
  let cursor: string | undefined;
  do {
    const sep = query ? "&" : "";
    const path = `/v1/events?${query}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ""}`;
    const result = await get(path, extra);
    expect(result.statusCode, result.body).toBe(200);
    const page = bodyOf<Page>(result);
    pages.push(page);
    cursor = page.nextCursor;
    if (pages.length > 100) throw new Error("paging does not end");
  } while (cursor);
  return { pages, items: pages.flatMap((p) => p.items) };
}

describe("GET /v1/events/{id}", () => {
  it("answers the stored event, without keys, index attributes, digest or TTL", async () => {
    const result = await get("/v1/events/evt-005");
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual(events[5]);
    expect(result.headers?.["Content-Type"]).toBe("application/json; charset=utf-8");
  });

  it("answers 404 for an unknown id, and for another tenant's event", async () => {
    const missing = await get("/v1/events/nope");
    expect(missing.statusCode).toBe(404);
    expect(bodyOf<ErrorBody>(missing).error.code).toBe("not_found");
    expect((await get("/v1/events/acme-only")).statusCode).toBe(404);
    expect((await get("/v1/events/acme-only", { tenantId: "acme" })).statusCode).toBe(200);
  });

  it("answers 400 for an id that cannot be an event id", async () => {
    for (const id of ["has%20space", "x".repeat(129), "a%23b"]) {
      const result = await get(`/v1/events/${id}`);
      expect(result.statusCode).toBe(400);
      expect(bodyOf<ErrorBody>(result).error.details?.[0]?.path).toBe("id");
    }
  });
});

describe("GET /v1/events paging", () => {
  it("pages all 57 events across the time shards, newest first, no gaps or repeats", async () => {
    const { pages, items } = await collect("limit=10");
    expect(pages.map((p) => p.items.length)).toEqual([10, 10, 10, 10, 10, 7]);
    expect(pages.at(-1)?.nextCursor).toBeUndefined();
    expect(items.map((e) => e.id)).toEqual([...events].sort(newestFirst).map((e) => e.id));
    expect(items).toEqual([...events].sort(newestFirst));
  });

  it("defaults to 25 and returns no cursor when the page holds the rest", async () => {
    const first = bodyOf<Page>(await get("/v1/events"));
    expect(first.items).toHaveLength(25);
    expect(first.nextCursor).toBeDefined();
    const all = bodyOf<Page>(await get("/v1/events?limit=57"));
    expect(all.items).toHaveLength(57);
    expect(all.nextCursor).toBeUndefined();
  });

  it("pages one type through the byType index", async () => {
    const { items } = await collect("type=order.paid&limit=4");
    const expected = events.filter((e) => e.type === "order.paid").sort(newestFirst);
    expect(items.map((e) => e.id)).toEqual(expected.map((e) => e.id));
  });

  it("pages a status filter across shards (filter applied after Limit)", async () => {
    const { items } = await collect("status=processed&limit=7");
    const expected = events.filter((e) => e.status === "processed").sort(newestFirst);
    expect(items.map((e) => e.id)).toEqual(expected.map((e) => e.id));
  });

  it("lists failures from the failed index, most recent failure first", async () => {
    const { items } = await collect("status=failed&limit=3");
    const expected = events
      .filter((e) => e.status === "failed")
      .sort((a, b) => ((a.failedAt ?? "") < (b.failedAt ?? "") ? 1 : -1));
    expect(items.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(items.map((e) => e.id)).not.toEqual([...expected].sort(newestFirst).map((e) => e.id));
  });

  it("combines type and status", async () => {
    const { items } = await collect("type=order.created&status=failed&limit=2");
    const expected = events
      .filter((e) => e.type === "order.created" && e.status === "failed")
      .sort(newestFirst);
    expect(items.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(items.length).toBeGreaterThan(1);
  });

  it("restricts to receivedAt between from and to, both inclusive, on every index", async () => {
    const from = events[10]?.receivedAt as string;
    const to = events[30]?.receivedAt as string;
    const inRange = (e: StoredEvent) => e.receivedAt >= from && e.receivedAt <= to;
    const range = `from=${from}&to=${to}`;
    const all = await collect(`${range}&limit=5`);
    expect(all.items.map((e) => e.id)).toEqual(
      events
        .filter(inRange)
        .sort(newestFirst)
        .map((e) => e.id),
    );
    expect(all.items.map((e) => e.id)).toContain("evt-031"); // shares evt-030's receivedAt
    const typed = await collect(`${range}&type=order.paid&limit=3`);
    expect(typed.items.map((e) => e.id)).toEqual(
      events
        .filter((e) => inRange(e) && e.type === "order.paid")
        .sort(newestFirst)
        .map((e) => e.id),
    );
    const failed = await collect(`${range}&status=failed&limit=2`);
    expect(failed.items.map((e) => e.id).sort()).toEqual(
      events
        .filter((e) => inRange(e) && e.status === "failed")
        .map((e) => e.id)
        .sort(),
    );
  });

  it("accepts offsets in from/to and compares instants", async () => {
    // 11:00+01:00 is 10:00Z: the first second of events.
    const { items } = await collect("to=2026-11-20T11:00:00%2B01:00");
    expect(items.map((e) => e.id).sort()).toEqual(["evt-000", "evt-001"]);
  });

  it("keeps tenants apart", async () => {
    const { items } = await collect("", { tenantId: "acme" });
    expect(items.map((e) => e.id)).toEqual(["acme-only"]);
  });
});

describe("GET /v1/events validation", () => {
  const expect400 = async (query: string, path: string) => {
    const result = await get(`/v1/events?${query}`);
    expect(result.statusCode, query).toBe(400);
    const body = bodyOf<ErrorBody>(result);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details?.map((d) => d.path)).toContain(path);
  };

  it("refuses bad parameters with the parameter's name", async () => {
    await expect400("limit=0", "limit");
    await expect400("limit=101", "limit");
    await expect400("limit=abc", "limit");
    await expect400("limit=2.5", "limit");
    await expect400("status=pending", "status");
    await expect400("type=has%20space", "type");
    await expect400("from=yesterday", "from");
    await expect400("to=2026-11-20", "to");
    await expect400("from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z", "from");
    await expect400("stauts=failed", "stauts");
    await expect400("limit=5&limit=6", "limit");
  });

  it("accepts limit 100 and from equal to to", async () => {
    expect((await get("/v1/events?limit=100")).statusCode).toBe(200);
    const at = events[4]?.receivedAt as string;
    const page = bodyOf<Page>(await get(`/v1/events?from=${at}&to=${at}`));
    expect(page.items.map((e) => e.id).sort()).toEqual(["evt-004", "evt-005"]);
  });
});

describe("cursors", () => {
  const firstCursor = async (query: string, extra: Partial<ApiEventInput> = {}) =>
    bodyOf<Page>(await get(`/v1/events?${query}`, extra)).nextCursor as string;
  const expectInvalid = async (
    query: string,
    cursor: string,
    extra: Partial<ApiEventInput> = {},
  ) => {
    const result = await get(`/v1/events?${query}&cursor=${encodeURIComponent(cursor)}`, extra);
    expect(result.statusCode).toBe(400);
    expect(bodyOf<ErrorBody>(result).error.code).toBe("invalid_cursor");
  };

  it("refuses a corrupted or forged cursor", async () => {
    const cursor = await firstCursor("limit=5");
    const flipped = `${cursor.slice(0, 10)}${cursor[10] === "A" ? "B" : "A"}${cursor.slice(11)}`;
    await expectInvalid("limit=5", flipped);
    await expectInvalid("limit=5", "garbage");
    await expectInvalid("limit=5", `${cursor}.extra`);
    const payload = JSON.parse(Buffer.from(cursor.split(".")[0] ?? "", "base64url").toString());
    payload.p = payload.p.map(() => 0);
    const edited = Buffer.from(JSON.stringify(payload)).toString("base64url");
    await expectInvalid("limit=5", `${edited}.${cursor.split(".")[1]}`);
  });

  it("refuses a cursor used with other filters or by another tenant", async () => {
    const cursor = await firstCursor("limit=5");
    await expectInvalid("limit=5&type=order.paid", cursor);
    await expectInvalid("limit=5&status=processed", cursor);
    await expectInvalid("limit=5&from=2026-01-01T00:00:00Z", cursor);
    await expectInvalid("limit=5", cursor, { tenantId: "acme" });
    // The limit is not part of the query: a client may change it between pages.
    const next = await get(`/v1/events?limit=7&cursor=${encodeURIComponent(cursor)}`);
    expect(bodyOf<Page>(next).items).toHaveLength(7);
  });

  it("refuses an intact cursor whose position lies outside the query", async () => {
    const scope = JSON.stringify([
      "default",
      "byType",
      "order.paid",
      null,
      null,
      "2026-11-20T10:00:05.000Z",
    ]);
    const outside = encodeCursor(
      scope,
      [{ kind: "after", key: "2026-11-20T10:00:09.000Z#evt-018" }],
      TEST_CURSOR_KEY,
    );
    await expectInvalid("type=order.paid&to=2026-11-20T10:00:05.000Z", outside);
    const malformed = encodeCursor(scope, [{ kind: "after", key: "T#other#E#x" }], TEST_CURSOR_KEY);
    await expectInvalid("type=order.paid&to=2026-11-20T10:00:05.000Z", malformed);
  });
});

describe("reader under a read budget", () => {
  it("returns short pages with a cursor instead of scanning, and still misses nothing", async () => {
    const reader = new DynamoDbEventReader(aws.documentClient, aws.dynamodb, {
      tableName: aws.resources.tableName,
      timeShards: TIME_SHARDS,
      typeShards: TYPE_SHARDS,
      statsShards: 1,
      failedShards: FAILED_SHARDS,
      maxRounds: 1,
      filteredReadSize: 2,
      cursorKey: async () => TEST_CURSOR_KEY,
    });
    const query: ListQuery = {
      tenantId: "default",
      status: "failed",
      type: "order.paid",
      limit: 2,
    };
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await reader.list({ ...query, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((e) => e.id));
      sizes.push(page.items.length);
      cursor = page.nextCursor;
    } while (cursor && sizes.length < 200);
    const expected = events
      .filter((e) => e.type === "order.paid" && e.status === "failed")
      .sort(newestFirst)
      .map((e) => e.id);
    expect(seen).toEqual(expected);
    expect(sizes.some((n) => n < 2)).toBe(true);
  });
});

describe("GET /v1/stats", () => {
  beforeAll(async () => {
    let shard = 0;
    const writer = new DynamoDbEventWriter(aws.documentClient, {
      tableName: aws.resources.tableName,
      eventRetentionDays: 0,
      timeShards: TIME_SHARDS,
      typeShards: TYPE_SHARDS,
      statsShards: 4,
      failedShards: FAILED_SHARDS,
      random: () => (shard++ % 4) / 4,
    });
    const nowHour = new Date().toISOString().slice(0, 13);
    const add = (
      hour: string,
      type: string,
      processed: number,
      failed: number,
      duplicate: number,
    ) => writer.addStats("default", [{ hour, type, processed, failed, duplicate }]);
    await add("2026-11-20T09", "order.paid", 100, 100, 100); // before the window below
    await add("2026-11-20T10", "order.paid", 3, 1, 0);
    await add("2026-11-20T10", "order.paid", 2, 0, 1); // another shard, same hour
    await add("2026-11-20T11", "order.created", 5, 2, 0);
    await add("2026-11-20T12", "order.created", 7, 0, 0);
    await add("2026-11-20T13", "order.created", 100, 100, 100); // after the window
    await add(nowHour, "recent.type", 1, 0, 0);
    await writer.addStats("acme", [
      { hour: "2026-11-20T10", type: "order.paid", processed: 9, failed: 9, duplicate: 9 },
    ]);
  });

  it("sums the hourly shards per type over the hours the range touches", async () => {
    const result = await get("/v1/stats?from=2026-11-20T10:30:00Z&to=2026-11-20T12:59:59Z");
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({
      from: "2026-11-20T10:30:00.000Z",
      to: "2026-11-20T12:59:59.000Z",
      types: [
        { type: "order.created", processed: 12, failed: 2, duplicate: 0 },
        { type: "order.paid", processed: 5, failed: 1, duplicate: 1 },
      ],
      totals: { processed: 17, failed: 3, duplicate: 1 },
    });
  });

  it("splits a batch with more counters than one expression holds, and counts them all", async () => {
    const writer = new DynamoDbEventWriter(aws.documentClient, {
      tableName: aws.resources.tableName,
      eventRetentionDays: 90,
      timeShards: TIME_SHARDS,
      typeShards: TYPE_SHARDS,
      statsShards: 1,
      failedShards: FAILED_SHARDS,
    });
    const types = Array.from({ length: 2 * MAX_COUNTERS_PER_UPDATE + 5 }, (_, i) => `t${i}`);
    await writer.addStats(
      "many",
      types.map((type, i) => ({
        hour: "2026-11-20T10",
        type,
        processed: i + 1,
        failed: i % 2,
        duplicate: 0,
      })),
    );
    const body = bodyOf<{ types: { type: string }[]; totals: Record<string, number> }>(
      await get("/v1/stats?from=2026-11-20T10:00:00Z&to=2026-11-20T10:59:59Z", {
        tenantId: "many",
      }),
    );
    expect(body.types).toHaveLength(types.length);
    expect(body.totals).toEqual({
      processed: (types.length * (types.length + 1)) / 2,
      failed: Math.floor(types.length / 2),
      duplicate: 0,
    });
  });

  it("defaults to the last 24 hours", async () => {
    const before = Date.now();
    const body = bodyOf<{ from: string; to: string; types: { type: string }[] }>(
      await get("/v1/stats"),
    );
    expect(body.types.map((t) => t.type)).toEqual(["recent.type"]);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(24 * 3_600_000);
    expect(Date.parse(body.to)).toBeGreaterThanOrEqual(before - 1000);
  });

  it("answers empty totals for an empty range, and 400 for bad times", async () => {
    const empty = bodyOf(await get("/v1/stats?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z"));
    expect(empty).toMatchObject({ types: [], totals: { processed: 0, failed: 0, duplicate: 0 } });
    for (const q of [
      "from=soon",
      "to=2026-13-01T00:00:00Z",
      "from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z",
      "range=1d",
    ]) {
      const result = await get(`/v1/stats?${q}`);
      expect(result.statusCode, q).toBe(400);
      expect(bodyOf<ErrorBody>(result).error.code).toBe("validation_failed");
    }
  });
});

describe("routing", () => {
  it("answers 404 for an unknown route and 405 for a wrong method", async () => {
    const unknown = await handler(apiEvent({ path: "/v1/nothing" }), lambdaContext());
    expect(unknown.statusCode).toBe(404);
    expect(bodyOf<ErrorBody>(unknown).error.code).toBe("route_not_found");
    const wrong = await handler(
      apiEvent({ method: "DELETE", path: "/v1/events/evt-001" }),
      lambdaContext(),
    );
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers?.Allow).toBe("GET");
    expect(bodyOf<ErrorBody>(wrong).error.code).toBe("method_not_allowed");
  });
});

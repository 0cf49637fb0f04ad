/**
 * GET /v1/failed reads the failed index, whose rows are whole events: a `reason` that
 * matches nothing once read up to 8 rounds of 200 of them per request (issue 15, item 11).
 * Now a request stops after DEFAULT_MAX_READ_BYTES of index reads and answers what it has
 * with a cursor and `partial: true`; following the cursors still finds every match.
 *
 * What a request read is counted from DynamoDB's own answers (ScannedCount: rows read,
 * kept or filtered out) times the size of the rows, which are all alike here.
 */
import { randomBytes } from "node:crypto";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_READ_BYTES,
  DynamoDbEventReader,
} from "../../../../lambdas/adapters/dynamodb-event-reader.js";
import { DynamoDbEventWriter } from "../../../../lambdas/adapters/dynamodb-event-writer.js";
import type { StoredEvent } from "../../../../lambdas/domain/event.js";
import type { FailedQuery } from "../../../../lambdas/ports/failed-events.js";
import { resolveSettings } from "../../../../lib/config.js";
import { apiEvent, bodyOf, lambdaContext } from "../../../support/apigw.js";
import { startTestAws, TEST_CURSOR_KEY, type TestAws } from "../../../support/aws.js";

/** The shard counts the handlers read (lib/config.ts defaults). */
const {
  timeShards: TIME_SHARDS,
  typeShards: TYPE_SHARDS,
  failedShards: FAILED_SHARDS,
} = resolveSettings();

const TENANT = "bulk";
const COUNT = 160;
const PAD = 30_000;
/** Rows matching `reason=needle`: the newest failure, one in the middle, the oldest. */
const NEEDLES = [0, 80, COUNT - 1];
const BASE = Date.UTC(2026, 10, 20, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const events: StoredEvent[] = Array.from({ length: COUNT }, (_, i) => ({
  id: `big-${String(i).padStart(3, "0")}`,
  tenantId: TENANT,
  type: "order.paid",
  // Random: items are stored deflated (dynamodb-event-item.ts), and these must stay big.
  data: { i, pad: randomBytes(PAD).toString("base64") },
  status: "failed",
  receivedAt: iso(BASE + i * 1000),
  correlationId: `c-${i}`,
  attempts: 1,
  // Event i failed i seconds before event 0: the list (newest failure first) is 0, 1, ...
  failedAt: iso(BASE + 3_600_000 - i * 1000),
  failure: {
    kind: "business_rule",
    reason: NEEDLES.includes(i) ? "needle in the haystack" : "amount must be positive",
  },
}));

/** A row of the failed index is a whole item: at least its data's PAD random bytes. */
const ROW_BYTES = PAD;
/** What a request may read: the bound, plus the one row a last read may start past it. */
const BOUND = DEFAULT_MAX_READ_BYTES + 64 * 1024;

let aws: TestAws;
let handler: (
  e: APIGatewayProxyEvent,
  c: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;
/** Rows DynamoDB read for each Query the reader under test sent. */
let scanned: number[] = [];
let reader: DynamoDbEventReader;

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
  for (const e of events) expect(await writer.putIfAbsent(e)).toEqual({ kind: "written" });
  const counting = {
    send: async (command: Parameters<DynamoDBDocumentClient["send"]>[0]) => {
      const out = (await aws.documentClient.send(command)) as { ScannedCount?: number };
      if (command.constructor.name === "QueryCommand") scanned.push(out.ScannedCount ?? 0);
      return out;
    },
  } as unknown as DynamoDBDocumentClient;
  reader = new DynamoDbEventReader(counting, aws.dynamodb, {
    tableName: aws.resources.tableName,
    timeShards: TIME_SHARDS,
    typeShards: TYPE_SHARDS,
    statsShards: 1,
    failedShards: FAILED_SHARDS,
    cursorKey: async () => TEST_CURSOR_KEY,
  });
  handler = await aws.handler("query");
}, 120_000);
afterAll(() => aws?.stop());

/** One request: its page and the bytes it read. */
async function request(query: Omit<FailedQuery, "tenantId">) {
  scanned = [];
  const page = await reader.listFailed({ tenantId: TENANT, ...query });
  const bytes = scanned.reduce((a, b) => a + b, 0) * ROW_BYTES;
  return { page, bytes, queries: scanned.length };
}

describe("GET /v1/failed under a read bound", () => {
  it("a reason that matches nothing reads at most the bound, and says the page was cut", async () => {
    const { page, bytes } = await request({ reason: "no such reason", limit: 25 });
    // 160 rows of 30 KB are 4.8 MB: the whole index, which the old reader read at once.
    expect(bytes).toBeLessThanOrEqual(BOUND);
    expect(page.items).toEqual([]);
    expect(page.partial).toBe(true);
    expect(page.nextCursor).toBeTypeOf("string");
  });

  it("following the cursor finds every match, each request within the bound", async () => {
    const found: string[] = [];
    let cursor: string | undefined;
    let requests = 0;
    do {
      const { page, bytes } = await request({
        reason: "needle",
        limit: 25,
        ...(cursor ? { cursor } : {}),
      });
      expect(bytes).toBeLessThanOrEqual(BOUND);
      found.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
      if (cursor) expect(page.partial).toBe(true);
    } while (cursor && ++requests < 100);
    expect(found).toEqual(NEEDLES.map((i) => events[i]?.id));
    // 4.8 MB in requests of at most ~512 KiB.
    expect(requests).toBeGreaterThanOrEqual(Math.floor((COUNT * ROW_BYTES) / BOUND));
  });

  it("an unfiltered page of large events stops at the bound too, and the cursor goes on", async () => {
    const first = await request({ limit: 100 });
    expect(first.bytes).toBeLessThanOrEqual(BOUND);
    expect(first.page.items.length).toBeGreaterThan(0);
    expect(first.page.items.length).toBeLessThan(100);
    expect(first.page.partial).toBe(true);
    const next = await request({ limit: 100, cursor: first.page.nextCursor as string });
    expect(next.page.items[0]?.id).toBe(events[first.page.items.length]?.id);
  });

  it("small pages read what they return: one query per failed shard and a few more, no partial flag", async () => {
    const { page, queries } = await request({ limit: 3 });
    expect(page.items.map((e) => e.id)).toEqual(["big-000", "big-001", "big-002"]);
    expect(page.partial).toBeUndefined();
    expect(page.nextCursor).toBeTypeOf("string");
    // Each shard's first read is one row; a shard whose row is taken is read once more.
    expect(queries).toBeGreaterThanOrEqual(FAILED_SHARDS);
    expect(queries).toBeLessThanOrEqual(FAILED_SHARDS + 3);
  });

  it("the HTTP answer carries partial: true with the cursor", async () => {
    const result = await handler(
      apiEvent({ path: "/v1/failed?reason=nothing%20like%20it", tenantId: TENANT }),
      lambdaContext(),
    );
    expect(result.statusCode, result.body).toBe(200);
    const body = bodyOf<{ items: unknown[]; nextCursor?: string; partial?: boolean }>(result);
    expect(body).toEqual({ items: [], nextCursor: expect.any(String), partial: true });
  });
});

/**
 * The deliveries log's sharded lists (issue 20: a tenant's and a destination's deliveries
 * spread over DELIVERIES_TABLE.shards index partitions): against dynalite, pages of every
 * size return each delivery exactly once, newest first, across shards, with a status filter
 * and time bounds; the keys really spread; a cursor of another tenant or list is refused.
 * The indexes project keys and status only (issue 20: write cost): lists still answer whole
 * records (BatchGetItem), and the queued message is stored deflated (JSON text still read).
 */
import { GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DynamoDbDeliveryLog,
  deliveryIndexKeys,
  InvalidDeliveryCursorError,
} from "../../../../lambdas/adapters/dynamodb-delivery-log.js";
import { toDeliveryMessage } from "../../../../lambdas/domain/delivery.js";
import type { DeliveryQuery } from "../../../../lambdas/ports/delivery-log.js";
import { DELIVERIES_TABLE } from "../../../../lib/contracts/tables.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";

let aws: TestAws;
let log: DynamoDbDeliveryLog;
const SHARDS = 4;
const tenant = "acme";
const other = "dst_0000000000000000000000000b";
const dest = "dst_0000000000000000000000000a";
/** Delivery ids in creation order (oldest first), with their destination and status. */
const made: { id: string; dest: string; status: string; createdAt: string }[] = [];

beforeAll(async () => {
  aws = await startTestAws(["deliver"]);
  log = new DynamoDbDeliveryLog(aws.documentClient, {
    tableName: aws.resources.deliveriesTableName,
    retentionDays: 30,
    shards: SHARDS,
  });
  const start = Date.parse("2026-12-06T10:00:00.000Z");
  for (let i = 0; i < 37; i++) {
    const at = new Date(start + i * 1000);
    const destination = i % 3 === 0 ? other : dest;
    const message = toDeliveryMessage(
      {
        tenantId: tenant,
        destinationId: destination,
        event: { id: `evt-${i}`, type: "purchase", receivedAt: at.toISOString(), data: {} },
      },
      at,
    );
    await log.claim(message, at, 60);
    const status = i % 4 === 0 ? "failed" : "delivered";
    await log.recordAttempt(
      tenant,
      message.id,
      {
        attempt: { number: 1, at: at.toISOString(), outcome: "delivered", latencyMs: 5 },
        status: status as "delivered",
        ...(status === "failed" ? { failure: { reason: "final answer: 400" } } : {}),
      },
      at,
    );
    made.push({ id: message.id, dest: destination, status, createdAt: at.toISOString() });
  }
}, 60_000);

afterAll(async () => {
  await aws?.stop();
});

async function all(query: Omit<DeliveryQuery, "cursor" | "tenantId">): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await log.list({ tenantId: tenant, ...query, ...(cursor ? { cursor } : {}) });
    pages.push(page.items.map((d) => d.id));
    cursor = page.nextCursor;
  } while (cursor && pages.length < 100);
  return pages;
}

const newestFirst = (pred: (d: (typeof made)[number]) => boolean) =>
  made
    .filter(pred)
    .reverse()
    .map((d) => d.id);

describe("deliveries log lists across shards", () => {
  it("spreads a tenant's and a destination's deliveries over the shards", async () => {
    const used = new Set(made.map((d) => deliveryIndexKeys(tenant, d.dest, d.id, SHARDS).timeKey));
    expect(used.size).toBe(SHARDS);
    const { Items = [] } = await aws.documentClient.send(
      new QueryCommand({
        TableName: aws.resources.deliveriesTableName,
        IndexName: DELIVERIES_TABLE.byTimeIndex.name,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": DELIVERIES_TABLE.byTimeIndex.partitionKey },
        ExpressionAttributeValues: { ":pk": `${tenant}#0` },
      }),
    );
    expect(Items.length).toBeGreaterThan(0);
    expect(Items.length).toBeLessThan(made.length);
  });

  for (const limit of [1, 3, 7, 100]) {
    it(`pages of ${limit}: every delivery once, newest first (tenant, destination, status, range)`, async () => {
      const byTenant = await all({ limit });
      expect(byTenant.flat()).toEqual(newestFirst(() => true));
      expect(byTenant.slice(0, -1).every((p) => p.length === limit)).toBe(true);

      expect((await all({ limit, destinationId: dest })).flat()).toEqual(
        newestFirst((d) => d.dest === dest),
      );
      expect((await all({ limit, status: "failed" })).flat()).toEqual(
        newestFirst((d) => d.status === "failed"),
      );
      const from = made[10]?.createdAt ?? "";
      const to = made[20]?.createdAt ?? "";
      expect((await all({ limit, destinationId: other, from, to })).flat()).toEqual(
        newestFirst((d) => d.dest === other && d.createdAt >= from && d.createdAt <= to),
      );
    });
  }

  it("index entries carry keys and status only; lists still answer whole records with their attempts", async () => {
    for (const index of [
      DELIVERIES_TABLE.byTimeIndex,
      DELIVERIES_TABLE.byDestinationIndex,
      DELIVERIES_TABLE.byEventIndex,
    ]) {
      const pk =
        index === DELIVERIES_TABLE.byEventIndex
          ? `${tenant}#evt-1`
          : index === DELIVERIES_TABLE.byTimeIndex
            ? `${tenant}#0`
            : `${tenant}#${dest}#0`;
      const { Items = [] } = await aws.documentClient.send(
        new QueryCommand({
          TableName: aws.resources.deliveriesTableName,
          IndexName: index.name,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": index.partitionKey },
          ExpressionAttributeValues: { ":pk": pk },
        }),
      );
      expect(Items.length, index.name).toBeGreaterThan(0);
      for (const entry of Items) {
        expect(entry, index.name).not.toHaveProperty("attempts");
        expect(entry, index.name).not.toHaveProperty("message");
        expect(entry.status, index.name).toBeTypeOf("string");
      }
    }
    const page = await log.list({ tenantId: tenant, limit: 5 });
    for (const record of page.items) {
      expect(record).toEqual(await log.get(tenant, record.id));
      expect(record.attempts).toHaveLength(1);
      expect(record.eventType).toBe("purchase");
    }
    // One event's deliveries, filtered by destination (projected into byEvent).
    const byEvent = await log.list({
      tenantId: tenant,
      eventId: "evt-3",
      destinationId: other,
      limit: 5,
    });
    expect(byEvent.items.map((d) => d.id)).toEqual([made[3]?.id]);
  });

  it("stores the queued message deflated, and reads one stored as JSON text before", async () => {
    const first = made[5] as (typeof made)[number];
    const raw = await aws.documentClient.send(
      new GetCommand({
        TableName: aws.resources.deliveriesTableName,
        Key: { pk: `T#${tenant}#DLV#${first.id}` },
      }),
    );
    expect(raw.Item?.message).toBeInstanceOf(Uint8Array);
    const message = await log.message(tenant, first.id);
    expect(message).toMatchObject({ id: first.id, tenantId: tenant, destinationId: first.dest });
    await aws.documentClient.send(
      new UpdateCommand({
        TableName: aws.resources.deliveriesTableName,
        Key: { pk: `T#${tenant}#DLV#${first.id}` },
        UpdateExpression: "SET message = :m",
        ExpressionAttributeValues: { ":m": JSON.stringify(message) },
      }),
    );
    expect(await log.message(tenant, first.id)).toEqual(message);
  });

  it("refuses a cursor of another tenant or of a list of another shape", async () => {
    const page = await log.list({ tenantId: tenant, limit: 2 });
    expect(page.nextCursor).toBeDefined();
    await expect(
      log.list({ tenantId: "globex", limit: 2, cursor: page.nextCursor ?? "" }),
    ).rejects.toBeInstanceOf(InvalidDeliveryCursorError);
    await expect(
      log.list({ tenantId: tenant, limit: 2, eventId: "evt-1", cursor: page.nextCursor ?? "" }),
    ).rejects.toBeInstanceOf(InvalidDeliveryCursorError);
    await expect(
      log.list({ tenantId: tenant, limit: 2, cursor: "not-a-cursor" }),
    ).rejects.toBeInstanceOf(InvalidDeliveryCursorError);
  });
});

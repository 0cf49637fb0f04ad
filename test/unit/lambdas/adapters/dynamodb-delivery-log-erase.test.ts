/**
 * Erasure in the deliveries log (README "History", erasure): the deliveries of erased events
 * become tombstones that no read shows, and a copy of their message still queued is dropped
 * by the claim instead of creating the record again (and delivering the erased event).
 * Against dynalite, through the adapter the deliver, destinations and jobs functions use.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbDeliveryLog } from "../../../../lambdas/adapters/dynamodb-delivery-log.js";
import { type DeliveryMessage, toDeliveryMessage } from "../../../../lambdas/domain/delivery.js";
import type { AttemptEntry } from "../../../../lambdas/domain/delivery-attempt.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";

let aws: TestAws;
let log: DynamoDbDeliveryLog;
const now = new Date("2026-12-06T12:00:00Z");
const TENANT = "erase-test";

const message = (eventId: string, destinationId: string, subject: string): DeliveryMessage =>
  toDeliveryMessage(
    {
      tenantId: TENANT,
      destinationId,
      event: {
        id: eventId,
        type: "purchase",
        subject,
        receivedAt: now.toISOString(),
        data: { email: `${subject}@example.com` },
      },
      origin: { kind: "replay" },
    },
    now,
  );

const DEST_A = `dst_${"a".repeat(26)}`;
const DEST_B = `dst_${"b".repeat(26)}`;

beforeAll(async () => {
  aws = await startTestAws([]);
  log = new DynamoDbDeliveryLog(aws.documentClient, {
    tableName: aws.resources.deliveriesTableName,
    retentionDays: 30,
  });
}, 60_000);

afterAll(async () => {
  await aws?.stop();
});

describe("DynamoDbDeliveryLog.eraseEvents", () => {
  it("leaves tombstones no read shows, that a queued copy cannot bring back", async () => {
    const delivered = message("ev-gone", DEST_A, "gone");
    const pending = message("ev-gone", DEST_B, "gone");
    const other = message("ev-kept", DEST_A, "kept");
    for (const m of [delivered, pending, other]) {
      expect((await log.claim(m, now, 30)).kind).toBe("claimed");
    }
    const attempt: AttemptEntry = {
      number: 1,
      at: now.toISOString(),
      outcome: "delivered",
      status: 200,
      latencyMs: 5,
      response: "ok gone@example.com",
    };
    await log.recordAttempt(TENANT, delivered.id, { attempt: attempt, status: "delivered" }, now);
    await log.recordAttempt(TENANT, other.id, { attempt: attempt, status: "delivered" }, now);

    expect(await log.eraseEvents(TENANT, ["ev-gone"], now)).toBe(2);
    // Again: nothing left to find (the byEvent key is gone).
    expect(await log.eraseEvents(TENANT, ["ev-gone"], now)).toBe(0);

    for (const m of [delivered, pending]) {
      expect(await log.get(TENANT, m.id)).toBeUndefined();
      expect(await log.message(TENANT, m.id)).toBeUndefined();
      const raw = await aws.documentClient.send(
        new GetCommand({
          TableName: aws.resources.deliveriesTableName,
          Key: { pk: `T#${TENANT}#DLV#${m.id}` },
        }),
      );
      const text = JSON.stringify(raw.Item);
      expect(text).not.toContain("gone");
      expect(raw.Item).toMatchObject({ status: "failed", failure: { reason: "erased" } });
      // A copy of the message still on its queue: the claim drops it.
      expect((await log.claim(m, new Date(now.getTime() + 60_000), 30)).kind).toBe("done");
    }
    expect((await log.list({ tenantId: TENANT, limit: 10 })).items.map((d) => d.id)).toEqual([
      other.id,
    ]);
    expect((await log.list({ tenantId: TENANT, eventId: "ev-gone", limit: 10 })).items).toEqual([]);
    expect((await log.list({ tenantId: TENANT, destinationId: DEST_B, limit: 10 })).items).toEqual(
      [],
    );
    expect(await log.get(TENANT, other.id)).toMatchObject({ status: "delivered", subject: "kept" });
    // An attempt in flight when the erasure ran cannot write its answer back.
    await expect(
      log.recordAttempt(TENANT, pending.id, { attempt: attempt, status: "delivered" }, now),
    ).rejects.toThrow();
  });
});

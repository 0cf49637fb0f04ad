/**
 * The compact event item: data and the descriptive fields in one deflated binary `body`,
 * decoded in one place (eventFromItem) for every reader, items written before packing
 * read as they are, and a 1 KiB event's item within one write unit.
 */
import { marshall } from "@aws-sdk/util-dynamodb";
import { describe, expect, it } from "vitest";
import {
  BODY_ATTRIBUTE,
  CorruptEventItemError,
  eventFromItem,
  PACKED_FIELDS,
  packEvent,
  unpackItem,
} from "../../../../lambdas/adapters/dynamodb-event-item.js";
import { DynamoDbEventWriter } from "../../../../lambdas/adapters/dynamodb-event-writer.js";
import type { StoredEvent } from "../../../../lambdas/domain/event.js";
import { itemSize, type WireItem } from "../../../../load-testing/bench/wru.js";

/** About 1 KiB of ordinary JSON (an order), as a producer would send. */
const order = {
  orderId: "9b1f4c2e-7d3a-4e8b-a1c5-2f6d8e0b4a7c",
  customer: { id: "cus_5e8a1f3b9c2d7e4a", email: "jane.doe@example.com", tier: "gold" },
  currency: "EUR",
  amount: 1234.5,
  items: [
    { sku: "SKU-1000", name: "Espresso beans 1kg", qty: 1, unitPrice: 9.99 },
    { sku: "SKU-1037", name: "Milk frother", qty: 2, unitPrice: 10.99 },
    { sku: "SKU-1074", name: "Ceramic cup set", qty: 3, unitPrice: 11.99 },
    { sku: "SKU-1111", name: "Descaler", qty: 4, unitPrice: 12.99 },
    { sku: "SKU-1148", name: "Burr grinder, stainless", qty: 1, unitPrice: 89.0 },
  ],
  device: { os: "iOS 18.2", app: "shop-app/4.12.0", locale: "de-DE", sessionId: "s_7c2e91ab40" },
  shipping: { method: "express", street: "Hauptstrasse 12", city: "Berlin", zip: "10115" },
  payment: { method: "card", brand: "visa", last4: "4242", authCode: "8f3a9c1d" },
  utm: { source: "newsletter", medium: "email", campaign: "winter-sale" },
  note: "Please leave the parcel with the neighbour at number 14 if nobody answers the door.",
};

const event: StoredEvent = {
  id: "ord-2026-12-06-000123",
  tenantId: "acme",
  type: "order.paid",
  source: "shop/checkout",
  subject: "order-9b1f4c2e",
  time: "2026-12-06T10:00:00.000Z",
  data: order,
  status: "processed",
  receivedAt: "2026-12-06T10:00:00.120Z",
  correlationId: "c0a8f2b4-1d2e-4f3a-9b8c-7d6e5f4a3b2c",
  attempts: 1,
  processedAt: "2026-12-06T10:00:00.180Z",
  latencyMs: 60,
  enrichment: { category: "commerce" },
};

describe("compact event items", () => {
  it("packs the descriptive fields into one binary body and reads them back exactly", () => {
    const packed: Record<string, unknown> = {
      ...packEvent(event),
      pk: "T#acme#E#ord-2026-12-06-000123",
      sk: "EVENT",
    };
    for (const field of PACKED_FIELDS) expect(packed[field]).toBeUndefined();
    // id and tenantId live in the key only.
    expect(packed.id).toBeUndefined();
    expect(packed.tenantId).toBeUndefined();
    expect(packed[BODY_ATTRIBUTE]).toBeInstanceOf(Uint8Array);
    expect(packed.type).toBe("order.paid");
    expect(packed.status).toBe("processed");
    expect(eventFromItem(packed)).toEqual(event);
  });

  it("reads items written before packing (plain attributes) as they are", () => {
    expect(eventFromItem({ ...event, pk: "T#acme#E#x", sk: "EVENT", digest: "d" })).toEqual(event);
  });

  it("fits a 1 KiB event's item in one write unit (it took two before)", () => {
    const json = JSON.stringify({ id: event.id, type: event.type, data: event.data });
    expect(json.length).toBeGreaterThan(1000);
    const writer = new DynamoDbEventWriter({} as never, {
      tableName: "t",
      eventRetentionDays: 90,
      timeShards: 32,
      typeShards: 32,
      statsShards: 32,
      failedShards: 8,
    });
    const size = (item: Record<string, unknown>) =>
      itemSize(marshall(item, { removeUndefinedValues: true }) as unknown as WireItem);
    const item = writer.toItem(event);
    expect(size(item)).toBeLessThanOrEqual(1024);
    const { [BODY_ATTRIBUTE]: _b, ...plain } = item;
    expect(size({ ...plain, ...event })).toBeGreaterThan(1024);
  });

  it("refuses a body it cannot read, naming the problem", () => {
    const pk = "T#acme#E#x";
    expect(() => unpackItem({ pk, body: new Uint8Array([9, 1, 2]) })).toThrow(
      CorruptEventItemError,
    );
    expect(() => unpackItem({ pk, body: new Uint8Array([1, 255, 255]) })).toThrow(
      /cannot be decoded/,
    );
  });
});

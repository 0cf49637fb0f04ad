import { describe, expect, it } from "vitest";
import {
  EVENTFLOW_TABLE,
  indexEntry,
  itemSize,
  numberSize,
  putItemCost,
  STORAGE_OVERHEAD_BYTES,
  significantDigits,
  updateItemCost,
  valueSize,
  type WireItem,
  writeUnits,
} from "../../load-testing/bench/wru.js";

describe("DynamoDB sizes", () => {
  it("counts a number by its significant digits", () => {
    expect(significantDigits("123.450")).toBe(5);
    expect(significantDigits("-001.2300e5")).toBe(3);
    expect(numberSize("0")).toBe(1);
    expect(numberSize("1000")).toBe(2);
    expect(numberSize("123.450")).toBe(4);
    expect(numberSize("-5")).toBe(3);
    expect(numberSize("1.5E+3")).toBe(2);
  });

  it("sizes strings in UTF-8, maps and lists with their overhead", () => {
    expect(valueSize({ S: "é" })).toBe(2);
    expect(valueSize({ B: Buffer.from("abcd").toString("base64") })).toBe(4);
    expect(valueSize({ BOOL: false })).toBe(1);
    expect(valueSize({ NULL: true })).toBe(1);
    // 3 + (1 + "a" + "xy")
    expect(valueSize({ M: { a: { S: "xy" } } })).toBe(7);
    // 3 + (1 + 2) + (1 + 1)
    expect(valueSize({ L: [{ N: "1" }, { NULL: true }] })).toBe(8);
    expect(valueSize({ SS: ["ab", "c"] })).toBe(3);
    expect(valueSize({ NS: ["1", "22"] })).toBe(4);
    expect(valueSize({ M: {} })).toBe(3);
  });

  it("adds attribute names to an item's size", () => {
    const item: WireItem = {
      pk: { S: "T#acme#E#e1" },
      sk: { S: "EVENT" },
      n: { N: "123.450" },
      b: { BOOL: true },
      m: { M: { a: { S: "xy" } } },
      l: { L: [{ N: "1" }, { NULL: true }] },
    };
    expect(itemSize(item)).toBe(13 + 7 + 5 + 2 + 8 + 9);
  });

  it("charges 1 WRU per started KiB, at least 1", () => {
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(writeUnits(2048)).toBe(2);
    expect(writeUnits(2049)).toBe(3);
  });
});

const eventItem = (extra: WireItem = {}): WireItem => ({
  pk: { S: "T#acme#E#e1" },
  sk: { S: "EVENT" },
  gsi1pk: { S: "acme#purchase" },
  gsi1sk: { S: "2026-11-22T02:00:00.000Z#e1" },
  gsi3pk: { S: "acme#2" },
  gsi3sk: { S: "2026-11-22T02:00:00.000Z#e1" },
  status: { S: "processed" },
  type: { S: "purchase" },
  data: { M: { padding: { S: "x".repeat(1500) } } },
  ...extra,
});

describe("write units of an EventFlow event", () => {
  it("projects only keys and the INCLUDE attributes into an index", () => {
    const byType = EVENTFLOW_TABLE.indexes.find((i) => i.name === "byType");
    const byTime = EVENTFLOW_TABLE.indexes.find((i) => i.name === "byTime");
    if (!byType || !byTime) throw new Error("indexes missing");
    expect(Object.keys(indexEntry(eventItem(), byType, EVENTFLOW_TABLE) ?? {}).sort()).toEqual(
      ["gsi1pk", "gsi1sk", "pk", "sk", "status"].sort(),
    );
    expect(Object.keys(indexEntry(eventItem(), byTime, EVENTFLOW_TABLE) ?? {}).sort()).toEqual(
      ["gsi3pk", "gsi3sk", "pk", "sk", "status", "type"].sort(),
    );
  });

  it("writes the base table by size and each index it appears in", () => {
    const item = eventItem();
    const cost = putItemCost(item, EVENTFLOW_TABLE);
    expect(cost.itemBytes).toBe(itemSize(item));
    expect(cost.itemBytes).toBeGreaterThan(1024);
    expect(cost.base).toBe(2);
    // The failed index is sparse: a processed event has no gsi2 keys.
    expect(cost.indexes).toEqual({ byType: 1, byTime: 1 });
    expect(cost.total).toBe(4);
    const byType = EVENTFLOW_TABLE.indexes[0];
    const byTime = EVENTFLOW_TABLE.indexes[2];
    if (!byType || !byTime) throw new Error("indexes missing");
    const entries =
      itemSize(indexEntry(item, byType, EVENTFLOW_TABLE) ?? {}) +
      itemSize(indexEntry(item, byTime, EVENTFLOW_TABLE) ?? {});
    expect(cost.storedBytes).toBe(cost.itemBytes + entries + 3 * STORAGE_OVERHEAD_BYTES);
  });

  it("also writes the whole item to the failed index for a failed event", () => {
    const item = eventItem({
      status: { S: "failed" },
      gsi2pk: { S: "acme#FAILED" },
      gsi2sk: { S: "2026-11-22T02:00:01.000Z#e1" },
    });
    const cost = putItemCost(item, EVENTFLOW_TABLE);
    expect(cost.indexes).toEqual({ byType: 1, failed: 2, byTime: 1 });
    expect(cost.total).toBe(6);
  });

  it("sizes a statistics update by its key, names and values", () => {
    const cost = updateItemCost(
      {
        Key: { pk: { S: "T#acme#STATS" }, sk: { S: "2026-11-22T02#1" } },
        ExpressionAttributeNames: { "#c0": "processed#purchase", "#hour": "hour" },
        ExpressionAttributeValues: { ":c0": { N: "7" }, ":hour": { S: "2026-11-22T02" } },
      },
      EVENTFLOW_TABLE,
    );
    expect(cost.itemBytes).toBe(14 + 17 + "processed#purchase".length + "hour".length + 2 + 13);
    expect(cost).toMatchObject({ base: 1, indexes: {}, total: 1 });
  });

  it("counts an index write when an update names an index key", () => {
    const cost = updateItemCost(
      {
        Key: { pk: { S: "T#acme#E#e1" }, sk: { S: "EVENT" } },
        ExpressionAttributeNames: { "#k": "gsi2pk" },
        ExpressionAttributeValues: { ":k": { S: "acme#FAILED" } },
      },
      EVENTFLOW_TABLE,
    );
    expect(cost.indexes).toEqual({ failed: 1 });
    expect(cost.total).toBe(2);
  });
});

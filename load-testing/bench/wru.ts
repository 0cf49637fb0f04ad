/**
 * DynamoDB item sizes and write request units, computed from the wire format (the JSON
 * the SDK sends), following "Item sizes and formats" and "Global secondary indexes" in
 * the DynamoDB developer guide:
 * - strings are UTF-8 bytes, binaries their bytes, numbers 1 byte per two significant
 *   digits plus 1, booleans and null 1 byte; every attribute adds its name's bytes;
 * - a map or list costs 3 bytes plus 1 byte per element (map keys count as names);
 * - a write costs 1 WRU per started KiB of the item; every index the item appears in
 *   costs another write, sized by the index entry (table keys, index keys, projection).
 * dynalite reports only the base table's units, so the index units are computed here.
 */
import { TABLE } from "../../lib/contracts/tables.js";

export type WireValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: boolean }
  | { M: WireItem }
  | { L: WireValue[] }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

export type WireItem = { [name: string]: WireValue };

export const KIB = 1024;
/** Storage overhead DynamoDB adds to every table item and every index entry. */
export const STORAGE_OVERHEAD_BYTES = 100;

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");

/** Significant digits of a DynamoDB number string ("-001.2300e5" has 3: 1, 2, 3). */
export function significantDigits(n: string): number {
  const mantissa = (n.trim().split(/[eE]/)[0] ?? "").replace(/^[+-]/, "").replace(".", "");
  return mantissa.replace(/^0+/, "").replace(/0+$/, "").length;
}

export function numberSize(n: string): number {
  const digits = significantDigits(n);
  if (digits === 0) return 1;
  return Math.ceil(digits / 2) + 1 + (n.trim().startsWith("-") ? 1 : 0);
}

export function valueSize(value: WireValue): number {
  if ("S" in value) return utf8(value.S);
  if ("N" in value) return numberSize(value.N);
  if ("B" in value) return Buffer.from(value.B, "base64").length;
  if ("BOOL" in value || "NULL" in value) return 1;
  if ("M" in value) {
    return Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + utf8(k) + valueSize(v), 3);
  }
  if ("L" in value) return value.L.reduce((sum, v) => sum + 1 + valueSize(v), 3);
  if ("SS" in value) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if ("NS" in value) return value.NS.reduce((sum, s) => sum + numberSize(s), 0);
  return value.BS.reduce((sum, b) => sum + Buffer.from(b, "base64").length, 0);
}

/** Attribute names plus values, in bytes. */
export const itemSize = (item: WireItem): number =>
  Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);

/** Write request units of one write: 1 per started KiB, at least 1. */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / KIB));

export interface IndexLayout {
  name: string;
  partitionKey: string;
  sortKey: string;
  projection: { type: "ALL" | "KEYS_ONLY" | "INCLUDE"; attributes: readonly string[] };
}

export interface TableLayout {
  partitionKey: string;
  sortKey: string;
  indexes: readonly IndexLayout[];
}

/** The EventFlow table (lib/contracts/tables.ts TABLE). */
export const EVENTFLOW_TABLE: TableLayout = {
  partitionKey: TABLE.partitionKey,
  sortKey: TABLE.sortKey,
  indexes: [TABLE.byTypeIndex, TABLE.failedIndex, TABLE.byTimeIndex],
};

/** What an index holds for the item, or undefined when the item lacks its keys (sparse). */
export function indexEntry(
  item: WireItem,
  index: IndexLayout,
  table: TableLayout,
): WireItem | undefined {
  if (!(index.partitionKey in item) || !(index.sortKey in item)) return undefined;
  if (index.projection.type === "ALL") return item;
  const names = [table.partitionKey, table.sortKey, index.partitionKey, index.sortKey];
  if (index.projection.type === "INCLUDE") names.push(...index.projection.attributes);
  const entry: WireItem = {};
  for (const name of names) {
    const value = item[name];
    if (value !== undefined) entry[name] = value;
  }
  return entry;
}

export interface WriteCost {
  /** Size of the item as DynamoDB counts it. */
  itemBytes: number;
  /** WRU of the base-table write. */
  base: number;
  /** WRU per index the item is written to (absent: the item is not in that index). */
  indexes: Record<string, number>;
  total: number;
  /** Bytes stored: the item and its index entries, each with DynamoDB's 100-byte overhead. */
  storedBytes: number;
}

/** WRU of writing a new item (PutItem of an absent key, or an UpdateItem creating one). */
export function putItemCost(item: WireItem, table: TableLayout): WriteCost {
  const itemBytes = itemSize(item);
  const base = writeUnits(itemBytes);
  const indexes: Record<string, number> = {};
  let storedBytes = itemBytes + STORAGE_OVERHEAD_BYTES;
  for (const index of table.indexes) {
    const entry = indexEntry(item, index, table);
    if (!entry) continue;
    const entryBytes = itemSize(entry);
    indexes[index.name] = writeUnits(entryBytes);
    storedBytes += entryBytes + STORAGE_OVERHEAD_BYTES;
  }
  const total = base + Object.values(indexes).reduce((a, b) => a + b, 0);
  return { itemBytes, base, indexes, total, storedBytes };
}

export interface UpdateItemRequest {
  Key: WireItem;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: WireItem;
}

/**
 * WRU of an UpdateItem, sized by the item after the update, approximated as its key plus
 * every name and value the request mentions (exact for the statistics counters, whose
 * expression touches each attribute once). An update that names an index key also
 * writes that index (1 WRU: index entries of such small items fit in 1 KiB).
 */
export function updateItemCost(request: UpdateItemRequest, table: TableLayout): WriteCost {
  const names = Object.values(request.ExpressionAttributeNames ?? {});
  const itemBytes =
    itemSize(request.Key) +
    names.reduce((sum, n) => sum + utf8(n), 0) +
    Object.values(request.ExpressionAttributeValues ?? {}).reduce((s, v) => s + valueSize(v), 0);
  const base = writeUnits(itemBytes);
  const indexes: Record<string, number> = {};
  for (const index of table.indexes) {
    if (names.includes(index.partitionKey) || names.includes(index.sortKey))
      indexes[index.name] = 1;
  }
  const total = base + Object.values(indexes).reduce((a, b) => a + b, 0);
  return { itemBytes, base, indexes, total, storedBytes: itemBytes + STORAGE_OVERHEAD_BYTES };
}

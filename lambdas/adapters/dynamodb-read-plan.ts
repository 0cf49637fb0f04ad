/**
 * How a list request reads the table's indexes: which index partitions ("lanes") it reads,
 * each lane's sort-key range, its filter, the scope its cursor is bound to, and where each
 * lane resumes from a cursor position (refused when it lies outside the query). Pure: the
 * reader (dynamodb-event-reader.ts) does the reads.
 */
import type { NativeAttributeValue } from "@aws-sdk/lib-dynamodb";
import { TABLE } from "../../lib/contracts/tables.js";
import { InvalidCursorError, type LanePosition } from "../domain/cursor.js";
import { ListNotAvailableError, type ListQuery } from "../ports/event-store.js";
import type { FailedQuery } from "../ports/failed-events.js";
import {
  byTimePartition,
  byTypePartition,
  eventKey,
  failedPartition,
  type ShardCounts,
} from "./dynamodb-keys.js";

type Item = Record<string, NativeAttributeValue>;

/**
 * Bytes per row assumed before a lane's first read: an index that projects every
 * attribute holds whole events (up to 64 KB); the others hold keys and a few attributes.
 */
const FIRST_READ_ROW_BYTES = { all: 64 * 1024, keys: 1024 } as const;

/** `<ISO time>#<event id>`: the sort key of every list index. */
const POSITION_PATTERN =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z#[A-Za-z0-9._:-]{1,128}$/;
export const TOP = "\uffff";
/** failedAt is stamped after receivedAt on another function's clock: allow some skew. */
const FAILED_CLOCK_SKEW_MS = 5 * 60_000;

export interface LaneSpec {
  index: string;
  pkAttr: string;
  pkValue: string;
  skAttr: string;
  lo: string;
  hi: string;
  /** The index projects ALL attributes: keep its items instead of fetching them. */
  projectsAll?: boolean;
  /** Its rows are whole events (an ALL projection), whether kept or not. */
  wholeRows?: boolean;
}

export interface Filter {
  expression: string;
  names: Record<string, string>;
  values: Record<string, NativeAttributeValue>;
}

export interface Row {
  key: { pk: string; sk: string };
  position: string;
  item?: Item;
}

export interface Plan {
  specs: LaneSpec[];
  filter: Filter | undefined;
  scope: string;
}

export interface Lane {
  spec: LaneSpec;
  buffer: Row[];
  startKey?: Item;
  exhausted: boolean;
  resume: LanePosition;
  /** Bytes per row read (filtered out or not) as last measured; sizes the next read. */
  rowBytes: number;
}

/**
 * The failed index's lanes (write-sharded: failedShards partitions per tenant, merged newest
 * failure first like byType's), each over [lo, hi] of failedAt.
 */
function failedLanes(
  tenantId: string,
  shards: Pick<ShardCounts, "failedShards">,
  lo: string,
  hi: string,
  projectsAll: boolean,
): LaneSpec[] {
  const { name, partitionKey, sortKey } = TABLE.failedIndex;
  return Array.from({ length: shards.failedShards }, (_, shard) => ({
    index: name,
    pkAttr: partitionKey,
    pkValue: failedPartition(tenantId, shard),
    skAttr: sortKey,
    lo,
    hi,
    ...(projectsAll ? { projectsAll: true } : {}),
    wholeRows: true,
  }));
}

/**
 * The failed list: the failed index's lanes, keyed by failedAt, so from/to bound the
 * key range (they mean failedAt here, not receivedAt). type, kind and reason (a
 * case-sensitive substring of failure.reason) are FilterExpressions.
 */
export function planFailed(query: FailedQuery, shards: Pick<ShardCounts, "failedShards">): Plan {
  const { tenantId, type, kind, reason, from, to } = query;
  const specs = failedLanes(tenantId, shards, from ?? "0", to ? `${to}#${TOP}` : TOP, true);
  const parts: Filter[] = [];
  if (type) {
    parts.push({
      expression: "#type = :type",
      names: { "#type": "type" },
      values: { ":type": type },
    });
  }
  if (kind) {
    parts.push({
      expression: "#failure.#kind = :kind",
      names: { "#failure": "failure", "#kind": "kind" },
      values: { ":kind": kind },
    });
  }
  if (reason) {
    parts.push({
      expression: "contains(#failure.#reason, :reason)",
      names: { "#failure": "failure", "#reason": "reason" },
      values: { ":reason": reason },
    });
  }
  const filter: Filter | undefined =
    parts.length === 0
      ? undefined
      : {
          expression: parts.map((p) => p.expression).join(" AND "),
          names: Object.assign({}, ...parts.map((p) => p.names)),
          values: Object.assign({}, ...parts.map((p) => p.values)),
        };
  const scope = JSON.stringify([
    "failed",
    tenantId,
    type ?? null,
    kind ?? null,
    reason ?? null,
    from ?? null,
    to ?? null,
  ]);
  return { specs, filter, scope };
}

/** Which index and lanes a query reads, its filter, and the scope its cursor is bound to. */
export function plan(
  query: ListQuery,
  shards: Pick<ShardCounts, "timeShards" | "typeShards" | "failedShards">,
): Plan {
  const { tenantId, type, status, from, to } = query;
  const lo = from ?? "0";
  const hi = to ? `${to}#${TOP}` : TOP;
  const statusFilter = (value: string): Filter => ({
    expression: "#status = :status",
    names: { "#status": "status" },
    values: { ":status": value },
  });
  let specs: LaneSpec[];
  let filter: Filter | undefined;
  if (type) {
    // Write-sharded: every shard is a lane, merged newest first like byTime's.
    const { name, partitionKey, sortKey } = TABLE.byTypeIndex;
    specs = Array.from({ length: shards.typeShards }, (_, shard) => ({
      index: name,
      pkAttr: partitionKey,
      pkValue: byTypePartition(tenantId, type, shard),
      skAttr: sortKey,
      lo,
      hi,
    }));
    filter = status ? statusFilter(status) : undefined;
  } else if (status === "failed") {
    // Keyed by failedAt; from/to still mean receivedAt, so they filter. failedAt never
    // precedes receivedAt, which bounds the key range from below.
    const floor = from ? new Date(Date.parse(from) - FAILED_CLOCK_SKEW_MS).toISOString() : "0";
    specs = failedLanes(tenantId, shards, floor, TOP, false);
    const range = receivedAtFilter(from, to);
    const base = statusFilter("failed");
    filter = range
      ? {
          expression: `${base.expression} AND ${range.expression}`,
          names: { ...base.names, ...range.names },
          values: { ...base.values, ...range.values },
        }
      : base;
  } else {
    if (shards.timeShards === 0) {
      throw new ListNotAvailableError(
        "this deployment keeps no cross-type index (timeShards 0): list one type at a time, or failed events",
      );
    }
    const { name, partitionKey, sortKey } = TABLE.byTimeIndex;
    specs = Array.from({ length: shards.timeShards }, (_, shard) => ({
      index: name,
      pkAttr: partitionKey,
      pkValue: byTimePartition(tenantId, shard),
      skAttr: sortKey,
      lo,
      hi,
    }));
    filter = status ? statusFilter(status) : undefined;
  }
  const index = specs[0]?.index;
  const scope = JSON.stringify([
    tenantId,
    index,
    type ?? null,
    status ?? null,
    from ?? null,
    to ?? null,
  ]);
  return { specs, filter, scope };
}

export function receivedAtFilter(from?: string, to?: string): Filter | undefined {
  const names = { "#receivedAt": "receivedAt" };
  if (from && to) {
    return {
      expression: "#receivedAt BETWEEN :from AND :to",
      names,
      values: { ":from": from, ":to": to },
    };
  }
  if (from) return { expression: "#receivedAt >= :from", names, values: { ":from": from } };
  if (to) return { expression: "#receivedAt <= :to", names, values: { ":to": to } };
  return undefined;
}

export function openLane(
  spec: LaneSpec,
  position: LanePosition | undefined,
  tenantId: string,
): Lane {
  const resume = position ?? { kind: "start" };
  const lane: Lane = {
    spec,
    buffer: [],
    exhausted: resume.kind === "done",
    resume,
    rowBytes: spec.wholeRows ? FIRST_READ_ROW_BYTES.all : FIRST_READ_ROW_BYTES.keys,
  };
  if (resume.kind === "after") {
    // Only the position comes from the client; every partition key is rebuilt here.
    const key = resume.key;
    if (!POSITION_PATTERN.test(key) || key < spec.lo || key > spec.hi) {
      throw new InvalidCursorError("cursor position is outside the query");
    }
    const id = key.slice(key.indexOf("#") + 1);
    lane.startKey = { ...eventKey(tenantId, id), [spec.pkAttr]: spec.pkValue, [spec.skAttr]: key };
  }
  return lane;
}

export const head = (lane: Lane) => lane.buffer[0] as Row;

/**
 * Adds one statistics item (sk <hour>#<shard>, one `<outcome>#<type>` counter per type and
 * outcome: dynamodb-keys.ts) to the sums per type.
 */

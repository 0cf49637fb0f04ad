/**
 * EventReader on DynamoDB. Lists read a secondary index (keys plus status/type), pick the
 * page there, then fetch the full items with BatchGetItem in page order.
 *
 * A list reads one or more "lanes" (index partitions): failedShards for failed, typeShards
 * for byType, timeShards for byTime (write sharding: dynamodb-keys.ts). Lanes are merged newest first; a page is cut after `limit`
 * items and the cursor records, per lane, the sort key of the last item *returned* from
 * it (not DynamoDB's LastEvaluatedKey, which may lie past items fetched but not yet
 * returned), so pages never skip or repeat. Status filters run as FilterExpressions,
 * which DynamoDB applies after Limit: lanes are re-read until every lane has a head or is
 * exhausted, up to maxRounds reads of each lane, after which a short page is returned with a cursor
 * (a filter matching almost nothing must not turn one request into a full index scan).
 *
 * Reads are also bounded in bytes: a request stops reading once it has consumed
 * maxReadBytes of index reads (DynamoDB's consumed capacity, which counts the items a
 * filter drops too), and answers the page so far with a cursor and `partial: true`. Each
 * read's Limit is sized from what is left and the bytes per item seen so far (the first
 * read assumes the largest items), so one read cannot overshoot by much either.
 *
 * The failed list (listFailed) reads the failed index's lanes: it projects every attribute,
 * so its rows are the items (no BatchGetItem, which the replay function may not call).
 * Those rows are whole events (up to 64 KB each): before the byte bound, a `reason` that
 * matched nothing read up to 8 rounds of 200 of them (DynamoDB caps a read at 1 MB: up to
 * 8 MB, ~1,000 read units) per request.
 */
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  type NativeAttributeValue,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import { TABLE } from "../../lib/contracts/tables.js";
import { decodeCursor, encodeCursor, type LanePosition } from "../domain/cursor.js";
import type { StoredEvent } from "../domain/event.js";
import type { EventReader, ListPage, ListQuery, TypeStats } from "../ports/event-store.js";
import type { FailedEventReader, FailedQuery } from "../ports/failed-events.js";
import { batchGetItems } from "./dynamodb-batch-get.js";
import { eventFromItem } from "./dynamodb-event-item.js";
import {
  eventKey,
  hourOf,
  parseStatsCounter,
  type ShardCounts,
  statsPartition,
} from "./dynamodb-keys.js";
import {
  type Filter,
  head,
  type Lane,
  openLane,
  type Plan,
  plan,
  planFailed,
  type Row,
  TOP,
} from "./dynamodb-read-plan.js";

export interface DynamoDbEventReaderOptions extends ShardCounts {
  tableName: string;
  /** The page cursors' HMAC key (the deployment's secret), read when a page needs it. */
  cursorKey: () => Promise<string>;
  /** Index reads per lane (index partition) and request before a short page is returned. */
  maxRounds?: number;
  /** BatchGetItem calls per page before unprocessed keys fail the request. */
  batchGetAttempts?: number;
  /** Index items read per call when a filter may drop most of them. */
  filteredReadSize?: number;
  /**
   * Bytes of index reads per list request (consumed capacity: 8 KiB per eventually
   * consistent read unit) before a short page is returned; DEFAULT_MAX_READ_BYTES.
   */
  maxReadBytes?: number;
}

/** 512 KiB: 64 read units, a full 100-item page of 5 KiB events. */
export const DEFAULT_MAX_READ_BYTES = 512 * 1024;

/** An eventually consistent read unit covers 4 KB twice (GSI reads always are). */
const BYTES_PER_READ_UNIT = 8 * 1024;

type Item = Record<string, NativeAttributeValue>;

/** What one request has read so far. */
interface Budget {
  readBytes: number;
  readonly maxBytes: number;
}

export class DynamoDbEventReader implements EventReader, FailedEventReader {
  private readonly maxRounds: number;
  private readonly batchGetAttempts: number;
  private readonly maxReadBytes: number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly dynamodb: DynamoDBClient,
    private readonly options: DynamoDbEventReaderOptions,
  ) {
    this.maxRounds = options.maxRounds ?? 8;
    this.batchGetAttempts = options.batchGetAttempts ?? 5;
    this.maxReadBytes = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
  }

  async get(tenantId: string, id: string): Promise<StoredEvent | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: eventKey(tenantId, id),
        // Clients poll right after ingest to see the outcome.
        ConsistentRead: true,
      }),
    );
    return Item ? toStoredEvent(Item) : undefined;
  }

  /** Throws InvalidCursorError for a cursor that is not valid for this query. */
  async list(query: ListQuery): Promise<ListPage> {
    return this.readPage(plan(query, this.options), query);
  }

  /** Failed events, newest failure first; throws InvalidCursorError like list(). */
  async listFailed(query: FailedQuery): Promise<ListPage> {
    return this.readPage(planFailed(query, this.options), query);
  }

  private async readPage(
    { specs, filter, scope }: Plan,
    query: { tenantId: string; limit: number; cursor?: string },
  ): Promise<ListPage> {
    const positions = query.cursor
      ? decodeCursor(query.cursor, scope, specs.length, await this.options.cursorKey())
      : specs.map((): LanePosition => ({ kind: "start" }));
    const lanes = specs.map((spec, i) => openLane(spec, positions[i], query.tenantId));
    const fetchSize = filter
      ? (this.options.filteredReadSize ?? 200)
      : unfilteredReadSize(query.limit, lanes.length);
    const budget: Budget = { readBytes: 0, maxBytes: this.maxReadBytes };
    const page: Row[] = [];
    let more = false;
    let partial = false;
    // Reads per lane, bounded by maxRounds each: a lane's first read is sized for the largest
    // rows (whole events in the failed index), so with several lanes each may need a second
    // read one after another; counting rounds per request would cut such pages short.
    const reads = new Map<Lane, number>();
    for (;;) {
      const starving = lanes.filter((l) => l.buffer.length === 0 && !l.exhausted);
      if (starving.length > 0) {
        if (
          starving.some((l) => (reads.get(l) ?? 0) >= this.maxRounds) ||
          budget.readBytes >= budget.maxBytes
        ) {
          more = true;
          partial = true;
          break;
        }
        // Every read takes a row at least: read only the lanes the bytes left afford (one at
        // least), so a request ends within one row of its bound however many lanes it has.
        const left = budget.maxBytes - budget.readBytes;
        let afforded = 0;
        const reading = starving.filter((l, i) => {
          afforded += l.rowBytes;
          return i === 0 || afforded <= left;
        });
        for (const l of reading) reads.set(l, (reads.get(l) ?? 0) + 1);
        // The bytes left, shared among the lanes that need a read.
        const share = left / reading.length;
        await Promise.all(
          reading.map((lane) => {
            const limit = Math.max(1, Math.min(fetchSize, Math.floor(share / lane.rowBytes)));
            return this.fetch(lane, limit, filter, budget);
          }),
        );
        continue;
      }
      const live = lanes.filter((l) => l.buffer.length > 0);
      if (live.length === 0) break;
      if (page.length >= query.limit) {
        more = true;
        break;
      }
      const lane = live.reduce((a, b) => (head(b).position > head(a).position ? b : a));
      const row = lane.buffer.shift() as Row;
      lane.resume = { kind: "after", key: row.position };
      page.push(row);
    }
    const items = page.every((r) => r.item)
      ? page.map((r) => toStoredEvent(r.item as Item))
      : await this.fetchItems(page.map((r) => r.key));
    const cursor = more
      ? encodeCursor(
          scope,
          lanes.map((l) => (l.exhausted && l.buffer.length === 0 ? { kind: "done" } : l.resume)),
          await this.options.cursorKey(),
        )
      : undefined;
    return {
      items,
      ...(cursor ? { nextCursor: cursor } : {}),
      ...(cursor && partial ? { partial: true as const } : {}),
    };
  }

  private async fetch(
    lane: Lane,
    limit: number,
    filter: Filter | undefined,
    budget: Budget,
  ): Promise<void> {
    const { spec } = lane;
    const {
      Items = [],
      LastEvaluatedKey,
      ConsumedCapacity,
      ScannedCount,
    } = await this.doc.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: spec.index,
        KeyConditionExpression: "#lpk = :lpk AND #lsk BETWEEN :lo AND :hi",
        ExpressionAttributeNames: {
          "#lpk": spec.pkAttr,
          "#lsk": spec.skAttr,
          ...filter?.names,
        },
        ExpressionAttributeValues: {
          ":lpk": spec.pkValue,
          ":lo": spec.lo,
          ":hi": spec.hi,
          ...filter?.values,
        },
        ...(filter ? { FilterExpression: filter.expression } : {}),
        ScanIndexForward: false,
        Limit: limit,
        ReturnConsumedCapacity: "TOTAL",
        ...(lane.startKey ? { ExclusiveStartKey: lane.startKey } : {}),
      }),
    );
    const scanned = ScannedCount ?? Items.length;
    // Without consumed capacity (an emulator that omits it), assume the size last seen.
    const bytes =
      ConsumedCapacity?.CapacityUnits !== undefined
        ? ConsumedCapacity.CapacityUnits * BYTES_PER_READ_UNIT
        : scanned * lane.rowBytes;
    budget.readBytes += bytes;
    if (scanned > 0) lane.rowBytes = Math.max(1, bytes / scanned);
    for (const item of Items) {
      lane.buffer.push({
        key: { pk: String(item[TABLE.partitionKey]), sk: String(item[TABLE.sortKey]) },
        position: String(item[spec.skAttr]),
        ...(spec.projectsAll ? { item } : {}),
      });
    }
    lane.exhausted = LastEvaluatedKey === undefined;
    if (LastEvaluatedKey) lane.startKey = LastEvaluatedKey;
    // Everything read was filtered out: the next page may start after it.
    if (lane.buffer.length === 0 && LastEvaluatedKey) {
      lane.resume = { kind: "after", key: String(LastEvaluatedKey[spec.skAttr]) };
    }
  }

  /** Full items in the order of `keys`; an item gone since the index read is skipped. */
  private async fetchItems(keys: Row["key"][]): Promise<StoredEvent[]> {
    if (keys.length === 0) return [];
    const found = await batchGetItems(
      this.doc,
      this.options.tableName,
      keys,
      (item) => String(item[TABLE.partitionKey]),
      this.batchGetAttempts,
    );
    return keys.flatMap((k) => {
      const item = found.get(k.pk);
      return item ? [toStoredEvent(item)] : [];
    });
  }

  /** Sums every statistics partition of the tenant (statsShards Queries, in parallel). */
  async stats(tenantId: string, from: string, to: string): Promise<TypeStats[]> {
    const byType = new Map<string, TypeStats>();
    const shards = Array.from({ length: this.options.statsShards }, (_, shard) => shard);
    const pages = await Promise.all(
      shards.map((shard) => this.statsItems(tenantId, shard, from, to)),
    );
    for (const items of pages) for (const item of items) addStatsItem(byType, item);
    return [...byType.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }

  private async statsItems(tenantId: string, shard: number, from: string, to: string) {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :lo AND :hi",
          ExpressionAttributeNames: { "#pk": TABLE.partitionKey, "#sk": TABLE.sortKey },
          ExpressionAttributeValues: {
            ":pk": statsPartition(tenantId, shard),
            ":lo": hourOf(from),
            ":hi": `${hourOf(to)}#${TOP}`,
          },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async ping(signal?: AbortSignal): Promise<void> {
    const { Table } = await this.dynamodb.send(
      new DescribeTableCommand({ TableName: this.options.tableName }),
      signal ? { abortSignal: signal } : {},
    );
    const status = Table?.TableStatus;
    if (status !== "ACTIVE" && status !== "UPDATING") {
      throw new Error(`table status is ${status ?? "unknown"}`);
    }
  }
}

/**
 * Index rows per lane read when nothing is filtered: one lane reads a page and one more (to
 * know whether there is a next page); n write-sharded lanes (ids hash evenly over them)
 * each read about twice their share, and a lane that runs dry is read again, so the page
 * stays exact and the rows read stay near 2 x limit instead of n x limit.
 */
export function unfilteredReadSize(limit: number, lanes: number): number {
  if (lanes <= 1) return limit + 1;
  return Math.min(limit + 1, Math.ceil((2 * (limit + 1)) / lanes) + 2);
}

function addStatsItem(byType: Map<string, TypeStats>, item: Item): void {
  const sum = (type: string) => {
    let entry = byType.get(type);
    if (!entry) {
      entry = { type, processed: 0, failed: 0, duplicate: 0 };
      byType.set(type, entry);
    }
    return entry;
  };
  for (const [name, value] of Object.entries(item)) {
    const counter = parseStatsCounter(name);
    if (counter) sum(counter.type)[counter.outcome] += numberOf(value);
  }
}

const numberOf = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** Every event item is decoded by the one shared function (packed or not). */
const toStoredEvent = (item: Item): StoredEvent => eventFromItem(item);

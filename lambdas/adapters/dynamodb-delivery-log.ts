/**
 * DeliveryLog on the deliveries table (DELIVERIES_TABLE). The claim is one conditional
 * UpdateItem: create the record, or take the lease of a pending record of the same
 * generation whose lease has lapsed; on a condition failure one GetItem says why (dynalite
 * ignores ReturnValuesOnConditionCheckFailure). Attempts are appended to a list capped at
 * MAX_LOGGED_ATTEMPTS. Lists use the byTime, byDestination and byEvent indexes, newest
 * first; `status` is a filter. The indexes project only keys and what lists filter on: a
 * list picks its page there, then reads the page's items with BatchGetItem (lists are rare,
 * writes are not: DELIVERIES_TABLE). byTime and byDestination are spread over
 * DELIVERIES_TABLE.shards partition keys (a hash of the delivery id): their lists query
 * every shard and merge newest first, the cursor holding each shard's position. The
 * queued message (a manual retry's copy, with its event) is stored deflated.
 */

import { deflateRawSync, inflateRawSync } from "node:zlib";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { DELIVERIES_TABLE } from "../../lib/contracts/tables.js";
import type { DeliveryMessage } from "../domain/delivery.js";
import { type DeliveryRecord, MAX_LOGGED_ATTEMPTS } from "../domain/delivery-record.js";
import { hash53 } from "../domain/hyperloglog.js";
import type {
  AttemptUpdate,
  ClaimResult,
  DeliveryEraser,
  DeliveryLog,
  DeliveryPage,
  DeliveryQuery,
} from "../ports/delivery-log.js";
import { batchGetItems } from "./dynamodb-batch-get.js";

export interface DynamoDbDeliveryLogOptions {
  tableName: string;
  retentionDays: number;
  /** byTime and byDestination partitions per tenant / destination (tests: fewer). */
  shards?: number;
}

/** The shard of a delivery's byTime and byDestination keys. */
export const deliveryShard = (deliveryId: string, shards: number): number =>
  hash53(deliveryId) % shards;

/** The index keys of a delivery (the item's timeKey and destKey attributes). */
export function deliveryIndexKeys(
  tenantId: string,
  destinationId: string,
  deliveryId: string,
  shards: number = DELIVERIES_TABLE.shards,
): { timeKey: string; destKey: string } {
  const shard = deliveryShard(deliveryId, shards);
  return { timeKey: `${tenantId}#${shard}`, destKey: `${tenantId}#${destinationId}#${shard}` };
}

const RECORD_FIELDS = [
  "id",
  "tenantId",
  "destinationId",
  "eventId",
  "eventType",
  "subject",
  "status",
  "createdAt",
  "updatedAt",
  "attemptCount",
  "attempts",
  "nextAttemptAt",
  "deliveredAt",
  "failedAt",
  "failure",
  "generation",
  "origin",
] as const;

export class InvalidDeliveryCursorError extends Error {}

/** What an erased delivery keeps: its key, destination, status and when it was erased. */
const ERASED_REMOVES = [
  "tenantId",
  "eventId",
  "eventType",
  "#subject",
  "eventKey",
  "destKey",
  "timeKey",
  "createdSk",
  "attempts",
  "attemptCount",
  "message",
  "origin",
  "leaseUntil",
  "nextAttemptAt",
  "deliveredAt",
  "failedAt",
] as const;

export class DynamoDbDeliveryLog implements DeliveryLog, DeliveryEraser {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: DynamoDbDeliveryLogOptions,
  ) {}

  private get shards(): number {
    return this.options.shards ?? DELIVERIES_TABLE.shards;
  }

  private key(tenantId: string, id: string) {
    return { [DELIVERIES_TABLE.partitionKey]: `T#${tenantId}#DLV#${id}` };
  }

  async claim(message: DeliveryMessage, now: Date, leaseSeconds: number): Promise<ClaimResult> {
    const at = now.toISOString();
    const expiresAt = Math.floor(now.getTime() / 1000) + this.options.retentionDays * 86_400;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key(message.tenantId, message.id),
          UpdateExpression: [
            "SET id = if_not_exists(id, :id), tenantId = if_not_exists(tenantId, :tenant)",
            "destinationId = if_not_exists(destinationId, :dest), eventId = if_not_exists(eventId, :event)",
            "eventType = if_not_exists(eventType, :type), createdAt = if_not_exists(createdAt, :at)",
            "createdSk = if_not_exists(createdSk, :createdSk), destKey = if_not_exists(destKey, :destKey)",
            "timeKey = if_not_exists(timeKey, :timeKey)",
            "eventKey = if_not_exists(eventKey, :eventKey), #status = if_not_exists(#status, :pending)",
            "attemptCount = if_not_exists(attemptCount, :zero), attempts = if_not_exists(attempts, :empty)",
            "generation = if_not_exists(generation, :gen), message = if_not_exists(message, :message)",
            "expiresAt = :expires, updatedAt = :at, leaseUntil = :lease",
            ...(message.event.subject !== undefined
              ? ["subject = if_not_exists(subject, :subject)"]
              : []),
            ...(message.origin ? ["origin = if_not_exists(origin, :origin)"] : []),
          ].join(", "),
          ConditionExpression:
            "attribute_not_exists(pk) OR (#status = :pending AND generation = :gen AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now))",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":id": message.id,
            ":tenant": message.tenantId,
            ":dest": message.destinationId,
            ":event": message.event.id,
            ":type": message.event.type,
            ":at": at,
            ":now": now.getTime(),
            ":createdSk": `${at}#${message.id}`,
            ...prefixed(
              deliveryIndexKeys(message.tenantId, message.destinationId, message.id, this.shards),
            ),
            ":eventKey": `${message.tenantId}#${message.event.id}`,
            ":pending": "pending",
            ":zero": 0,
            ":empty": [],
            ":gen": message.generation,
            ":message": packMessage(message),
            ":expires": expiresAt,
            ":lease": now.getTime() + leaseSeconds * 1000,
            ...(message.event.subject !== undefined ? { ":subject": message.event.subject } : {}),
            ...(message.origin ? { ":origin": message.origin } : {}),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return { kind: "claimed", record: toRecord(out.Attributes ?? {}) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const current = await this.raw(message.tenantId, message.id);
    if (!current) throw new Error(`delivery ${message.id} vanished during its claim`);
    const record = toRecord(current);
    if (record.status !== "pending") return { kind: "done", record };
    if ((current.generation as number) !== message.generation) {
      return (current.generation as number) > message.generation
        ? { kind: "stale", record }
        : { kind: "done", record };
    }
    const lease = Number(current.leaseUntil ?? 0);
    return {
      kind: "busy",
      record,
      retryInSeconds: Math.max(1, Math.ceil((lease - now.getTime()) / 1000)),
    };
  }

  async recordAttempt(
    tenantId: string,
    id: string,
    update: AttemptUpdate,
    now: Date,
  ): Promise<void> {
    const at = now.toISOString();
    const values: Record<string, unknown> = {
      ":attempt": [update.attempt],
      ":status": update.status,
      ":at": at,
      ":one": 1,
    };
    const sets = [
      "attempts = list_append(attempts, :attempt)",
      "#status = :status",
      "updatedAt = :at",
    ];
    const removes = ["leaseUntil"];
    if (update.nextAttemptAt) {
      sets.push("nextAttemptAt = :next");
      values[":next"] = update.nextAttemptAt;
    } else removes.push("nextAttemptAt");
    if (update.status === "delivered") {
      sets.push("deliveredAt = :at");
      removes.push("failure");
    }
    if (update.status === "failed") {
      sets.push("failedAt = :at", "failure = :failure");
      values[":failure"] = update.failure ?? { reason: "failed" };
    }
    await this.doc.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: this.key(tenantId, id),
        UpdateExpression: `SET ${sets.join(", ")} ADD attemptCount :one REMOVE ${removes.join(", ")}`,
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: values,
      }),
    );
    // The log keeps the latest attempts: trim the oldest once over the cap (rare).
    if (update.attempt.number > MAX_LOGGED_ATTEMPTS) {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key(tenantId, id),
          UpdateExpression: "REMOVE attempts[0]",
        }),
      );
    }
  }

  async end(tenantId: string, id: string, reason: string, now: Date): Promise<void> {
    const at = now.toISOString();
    await this.doc
      .send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key(tenantId, id),
          UpdateExpression:
            "SET #status = :failed, failedAt = :at, updatedAt = :at, failure = :failure REMOVE leaseUntil, nextAttemptAt",
          ConditionExpression: "attribute_exists(pk) AND #status = :pending",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":failed": "failed",
            ":pending": "pending",
            ":at": at,
            ":failure": { reason },
          },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  /**
   * The deliveries of each event (the byEvent index), made tombstones: the index keys go
   * (so no list shows them), and with them the event, subject, message and attempts. The
   * status becomes `failed`, so the claim drops any queued copy of the message, and an
   * attempt in flight cannot write its answer back (attempts is gone: list_append fails).
   */
  async eraseEvents(tenantId: string, eventIds: readonly string[], now: Date): Promise<number> {
    let erased = 0;
    for (const eventId of eventIds) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.doc.send(
          new QueryCommand({
            TableName: this.options.tableName,
            IndexName: DELIVERIES_TABLE.byEventIndex.name,
            KeyConditionExpression: "#pk = :pk",
            ExpressionAttributeNames: { "#pk": DELIVERIES_TABLE.byEventIndex.partitionKey },
            ExpressionAttributeValues: { ":pk": `${tenantId}#${eventId}` },
            ProjectionExpression: "id",
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) {
          await this.doc.send(
            new UpdateCommand({
              TableName: this.options.tableName,
              Key: this.key(tenantId, String(item.id)),
              UpdateExpression: `SET #status = :failed, failure = :failure, erasedAt = :at, updatedAt = :at REMOVE ${ERASED_REMOVES.join(", ")}`,
              ConditionExpression: "attribute_exists(pk)",
              ExpressionAttributeNames: { "#status": "status", "#subject": "subject" },
              ExpressionAttributeValues: {
                ":failed": "failed",
                ":failure": { reason: "erased" },
                ":at": now.toISOString(),
              },
            }),
          );
          erased++;
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return erased;
  }

  private async raw(tenantId: string, id: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: this.key(tenantId, id),
        ConsistentRead: true,
      }),
    );
    return out.Item;
  }

  /** An erased delivery (a tombstone) is not shown: as if it never was. */
  async get(tenantId: string, id: string): Promise<DeliveryRecord | undefined> {
    const item = await this.raw(tenantId, id);
    return item && item.erasedAt === undefined ? toRecord(item) : undefined;
  }

  async message(tenantId: string, id: string): Promise<DeliveryMessage | undefined> {
    const item = await this.raw(tenantId, id);
    return unpackMessage(item?.message);
  }

  async rearm(tenantId: string, id: string, now: Date): Promise<number | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key(tenantId, id),
          UpdateExpression:
            "SET #status = :pending, updatedAt = :at ADD generation :one REMOVE leaseUntil, failure, failedAt, nextAttemptAt",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":pending": "pending", ":at": now.toISOString(), ":one": 1 },
          ReturnValues: "ALL_NEW",
        }),
      );
      return Number(out.Attributes?.generation);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async list(query: DeliveryQuery): Promise<DeliveryPage> {
    const { tenantId } = query;
    const names: Record<string, string> = { "#pk": "" };
    const values: Record<string, unknown> = {};
    let condition = "#pk = :pk";
    if (query.from || query.to) names["#sk"] = "createdSk";
    if (query.from && query.to) {
      condition += " AND #sk BETWEEN :from AND :to";
      values[":from"] = query.from;
      values[":to"] = `${query.to}~`;
    } else if (query.from) {
      condition += " AND #sk >= :from";
      values[":from"] = query.from;
    } else if (query.to) {
      condition += " AND #sk <= :to";
      values[":to"] = `${query.to}~`;
    }
    const filters: string[] = [];
    if (query.status) {
      names["#status"] = "status";
      values[":status"] = query.status;
      filters.push("#status = :status");
    }
    // An event's deliveries by event, filtered by destination when both are given.
    if (query.eventId && query.destinationId) {
      values[":dest"] = query.destinationId;
      filters.push("destinationId = :dest");
    }
    const lane = (index: Lane["index"], pk: string, shard: number): Lane => ({
      index,
      pk,
      shard,
      buffer: [],
      done: false,
    });
    const lanes: Lane[] = query.eventId
      ? [lane(DELIVERIES_TABLE.byEventIndex, `${tenantId}#${query.eventId}`, 0)]
      : Array.from({ length: this.shards }, (_, shard) =>
          query.destinationId
            ? lane(
                DELIVERIES_TABLE.byDestinationIndex,
                `${tenantId}#${query.destinationId}#${shard}`,
                shard,
              )
            : lane(DELIVERIES_TABLE.byTimeIndex, `${tenantId}#${shard}`, shard),
        );
    if (query.cursor) resumeLanes(lanes, query.cursor, tenantId);
    // Each lane reads about twice its share of a page (ids hash evenly over the shards), so a
    // page of 100 over 32 shards reads ~7 items a shard, not 100; a lane read to the end of
    // what it got is read again in the next round.
    const perLane =
      lanes.length === 1
        ? query.limit
        : Math.min(query.limit, Math.ceil((2 * query.limit) / lanes.length) + 1);
    const read = async (l: Lane) => {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: l.index.name,
          KeyConditionExpression: condition,
          ...(filters.length ? { FilterExpression: filters.join(" AND ") } : {}),
          ExpressionAttributeNames: { ...names, "#pk": l.index.partitionKey },
          ExpressionAttributeValues: { ...values, ":pk": l.pk },
          ScanIndexForward: false,
          Limit: perLane,
          ...(l.start ? { ExclusiveStartKey: l.start } : {}),
        }),
      );
      l.buffer = (out.Items ?? []) as Record<string, unknown>[];
      l.start = out.LastEvaluatedKey;
      l.done = !out.LastEvaluatedKey;
    };
    const items: Record<string, unknown>[] = [];
    // Newest first across lanes: an item is taken only when no lane can still hold a newer
    // one (a lane not read to its end holds only items older than where it stopped). A
    // filter may leave reads short: at most 5 rounds per request.
    for (let round = 0; round < 5 && items.length < query.limit; round++) {
      await Promise.all(lanes.filter((l) => l.buffer.length === 0 && !l.done).map(read));
      while (items.length < query.limit) {
        let best: Lane | undefined;
        for (const l of lanes) {
          const head = l.buffer[0];
          if (head && (!best || newer(head, best.buffer[0] as Record<string, unknown>))) best = l;
        }
        if (!best) break;
        const head = best.buffer[0] as Record<string, unknown>;
        const blocked = lanes.some(
          (l) =>
            l.buffer.length === 0 &&
            !l.done &&
            l.start &&
            String(l.start.createdSk) > String(head.createdSk),
        );
        if (blocked) break;
        best.buffer.shift();
        best.last = head;
        items.push(head);
      }
      if (lanes.every((l) => l.done && l.buffer.length === 0)) break;
    }
    const more = lanes.some((l) => l.buffer.length > 0 || !l.done);
    // The page's items (the index entries hold keys and status only), in page order; one
    // expired or erased since the index read is left out.
    const found = await batchGetItems(
      this.doc,
      this.options.tableName,
      items.map((i) => ({ [DELIVERIES_TABLE.partitionKey]: i[DELIVERIES_TABLE.partitionKey] })),
      (item) => String(item[DELIVERIES_TABLE.partitionKey]),
    );
    const records = items.flatMap((i) => {
      const item = found.get(String(i[DELIVERIES_TABLE.partitionKey]));
      return item && item.erasedAt === undefined ? [toRecord(item)] : [];
    });
    return {
      items: records,
      ...(more ? { nextCursor: encodeLanes(lanes, tenantId) } : {}),
    };
  }
}

type Index =
  | typeof DELIVERIES_TABLE.byTimeIndex
  | typeof DELIVERIES_TABLE.byDestinationIndex
  | typeof DELIVERIES_TABLE.byEventIndex;

/** One partition of a list: where the next read starts, what was read and not yet taken. */
interface Lane {
  index: Index;
  pk: string;
  shard: number;
  start?: Record<string, unknown>;
  /** Where this request started reading the lane (from the cursor). */
  resumedFrom?: Record<string, unknown>;
  buffer: Record<string, unknown>[];
  /** The last item taken from this lane in this request. */
  last?: Record<string, unknown>;
  done: boolean;
}

/** Newest first; ties (same createdSk) by pk, as one index orders them. */
const newer = (a: Record<string, unknown>, b: Record<string, unknown>): boolean =>
  String(a.createdSk) > String(b.createdSk) ||
  (a.createdSk === b.createdSk && String(a.pk) > String(b.pk));

const prefixed = (keys: Record<string, string>) =>
  Object.fromEntries(Object.entries(keys).map(([k, v]) => [`:${k}`, v]));

/**
 * The cursor: per lane, where the next page starts: null (from the newest), 0 (read to its
 * end) or [createdSk, delivery id] of the last item taken (the lane's index key is rebuilt
 * from them), bound to the tenant. A lane whose read items were all taken resumes after
 * the last item DynamoDB evaluated; one with items left resumes after the last taken.
 */
type LanePosition = null | 0 | [string, string];

function encodeLanes(lanes: Lane[], tenantId: string): string {
  const p: LanePosition[] = lanes.map((l) => {
    const at = l.buffer.length > 0 ? (l.last ?? l.resumedFrom) : l.done ? undefined : l.start;
    if (l.done && l.buffer.length === 0) return 0;
    if (!at) return null;
    return [String(at.createdSk), String(at.pk).slice(String(at.pk).lastIndexOf("#") + 1)];
  });
  return Buffer.from(JSON.stringify({ t: tenantId, n: lanes.length, p })).toString("base64url");
}

function resumeLanes(lanes: Lane[], cursor: string, tenantId: string): void {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as {
      t?: unknown;
      n?: unknown;
      p?: unknown;
    };
    if (parsed.t !== tenantId || parsed.n !== lanes.length || !Array.isArray(parsed.p)) {
      throw new Error();
    }
    lanes.forEach((l, i) => {
      const p = (parsed.p as unknown[])[i];
      if (p === null) return;
      if (p === 0) {
        l.done = true;
        return;
      }
      if (
        !Array.isArray(p) ||
        p.length !== 2 ||
        typeof p[0] !== "string" ||
        typeof p[1] !== "string" ||
        p[1].includes("#")
      ) {
        throw new Error();
      }
      l.start = {
        [DELIVERIES_TABLE.partitionKey]: `T#${tenantId}#DLV#${p[1]}`,
        [l.index.partitionKey]: l.pk,
        [l.index.sortKey]: p[0],
      };
      l.resumedFrom = l.start;
    });
  } catch {
    throw new InvalidDeliveryCursorError("cursor is not valid for this list");
  }
}

/** The queued message as stored: deflated JSON (binary), ~4x smaller for JSON events. */
function packMessage(message: DeliveryMessage): Uint8Array {
  return new Uint8Array(deflateRawSync(Buffer.from(JSON.stringify(message), "utf8")));
}

/** A stored message: deflated (binary), or JSON text as written before (issue 20). */
function unpackMessage(stored: unknown): DeliveryMessage | undefined {
  if (typeof stored === "string") return JSON.parse(stored) as DeliveryMessage;
  if (stored instanceof Uint8Array) {
    const json = inflateRawSync(stored, { maxOutputLength: MAX_MESSAGE_BYTES }).toString("utf8");
    return JSON.parse(json) as DeliveryMessage;
  }
  return undefined;
}

/** A message carries one event (at most 64 KiB) and its envelope: never inflates past this. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

function toRecord(item: Record<string, unknown>): DeliveryRecord {
  const record: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) {
    if (item[field] !== undefined && item[field] !== null) record[field] = item[field];
  }
  return record as unknown as DeliveryRecord;
}

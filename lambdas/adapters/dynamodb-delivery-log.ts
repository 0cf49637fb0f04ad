/**
 * DeliveryLog on the deliveries table (DELIVERIES_TABLE). The claim is one conditional
 * UpdateItem: create the record, or take the lease of a pending record of the same
 * generation whose lease has lapsed; on a condition failure one GetItem says why (dynalite
 * ignores ReturnValuesOnConditionCheckFailure). Attempts are appended to a list capped at
 * MAX_LOGGED_ATTEMPTS. Lists use the byTime, byDestination and byEvent indexes (ALL
 * projection), newest first; `status` is a filter; the cursor is the index's last key.
 */
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
import type {
  AttemptUpdate,
  ClaimResult,
  DeliveryEraser,
  DeliveryLog,
  DeliveryPage,
  DeliveryQuery,
} from "../ports/delivery-log.js";

export interface DynamoDbDeliveryLogOptions {
  tableName: string;
  retentionDays: number;
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
            ":destKey": `${message.tenantId}#${message.destinationId}`,
            ":eventKey": `${message.tenantId}#${message.event.id}`,
            ":pending": "pending",
            ":zero": 0,
            ":empty": [],
            ":gen": message.generation,
            ":message": JSON.stringify(message),
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
    return typeof item?.message === "string"
      ? (JSON.parse(item.message) as DeliveryMessage)
      : undefined;
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
    const [index, pkValue] = query.eventId
      ? [DELIVERIES_TABLE.byEventIndex, `${tenantId}#${query.eventId}`]
      : query.destinationId
        ? [DELIVERIES_TABLE.byDestinationIndex, `${tenantId}#${query.destinationId}`]
        : [DELIVERIES_TABLE.byTimeIndex, tenantId];
    const names: Record<string, string> = { "#pk": index.partitionKey };
    if (query.from || query.to) names["#sk"] = index.sortKey;
    const values: Record<string, unknown> = { ":pk": pkValue };
    let condition = "#pk = :pk";
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
    let start = query.cursor ? decodeCursor(query.cursor, tenantId) : undefined;
    const items: DeliveryRecord[] = [];
    // A filter may leave pages short: read on, at most 5 pages per request.
    for (let round = 0; round < 5 && items.length < query.limit; round++) {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: index.name,
          KeyConditionExpression: condition,
          ...(filters.length ? { FilterExpression: filters.join(" AND ") } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: query.limit - items.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []).map(toRecord));
      start = out.LastEvaluatedKey;
      if (!start) break;
    }
    return { items, ...(start ? { nextCursor: encodeCursor(start, tenantId) } : {}) };
  }
}

function toRecord(item: Record<string, unknown>): DeliveryRecord {
  const record: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) {
    if (item[field] !== undefined && item[field] !== null) record[field] = item[field];
  }
  return record as unknown as DeliveryRecord;
}

/**
 * The cursor is the index's last key, bound to the tenant: a cursor of another tenant is
 * refused (its keys would still only read the caller's partition, but it says so plainly).
 */
function encodeCursor(key: Record<string, unknown>, tenantId: string): string {
  return Buffer.from(JSON.stringify({ t: tenantId, k: key })).toString("base64url");
}

function decodeCursor(cursor: string, tenantId: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as {
      t?: unknown;
      k?: unknown;
    };
    if (parsed.t !== tenantId || typeof parsed.k !== "object" || parsed.k === null)
      throw new Error();
    const key = parsed.k as Record<string, unknown>;
    if (typeof key.pk !== "string" || !key.pk.startsWith(`T#${tenantId}#DLV#`)) throw new Error();
    return key;
  } catch {
    throw new InvalidDeliveryCursorError("cursor is not valid for this list");
  }
}

/**
 * EventWriter on DynamoDB: one conditional PutItem per event (the id is the idempotency
 * key) and one ADD UpdateItem per hour of a batch for the statistics, all its types'
 * counters in one item. The item layout is dynamodb-keys.ts; the query adapter reads
 * the same attributes back.
 */
import type { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { TABLE } from "../../lib/contracts/tables.js";
import { retentionDaysFor } from "../domain/canary.js";
import { eventDigest } from "../domain/digest.js";
import { classify } from "../domain/errors.js";
import type { EventStatus, HistoryEntry, ReplayMarker, StoredEvent } from "../domain/event.js";
import { replayOutcome } from "../domain/replay.js";
import type { EventWriter, PutOutcome, StatsIncrement } from "../ports/event-store.js";
import { BODY_ATTRIBUTE, eventFromItem, packEvent } from "./dynamodb-event-item.js";
import {
  byTimeKeys,
  byTypeKeys,
  eventKey,
  failedKeys,
  REPLAY_TOKEN_ATTRIBUTE,
  STATS_OUTCOMES,
  shardOf,
  statsCounter,
  statsKey,
} from "./dynamodb-keys.js";

/**
 * Counters per statistics UpdateItem: DynamoDB allows 4 KB per expression, and
 * `#c99 :c99, ` is 11 characters.
 */
export const MAX_COUNTERS_PER_UPDATE = 100;

export interface DynamoDbEventWriterOptions {
  tableName: string;
  /** 0 keeps items forever (no expiresAt attribute). */
  eventRetentionDays: number;
  /** Partitions of the byTime index per tenant (dynamodb-keys.ts: write sharding). */
  timeShards: number;
  /** Partitions of the byType index per tenant and type. */
  typeShards: number;
  /** Partitions of a tenant's statistics (one item per hour in each). */
  statsShards: number;
  /** Partitions of the failed index per tenant. */
  failedShards: number;
  /** Picks the stats shard; injectable so a test can pin it. */
  random?: () => number;
}

/**
 * The stored item: the StoredEvent's plain attributes, its packed ones in `body`
 * (dynamodb-event-item.ts), keys, digest and TTL.
 */
export type EventItem = Record<string, unknown> & {
  pk: string;
  sk: string;
  digest: string;
  status: EventStatus;
};

const DAY_SECONDS = 86_400;

/** The existing item vanished between the failed condition and our read (TTL): retry. */
export class DuplicateCheckRaceError extends Error {
  override name = "DuplicateCheckRaceError";
}

export class DynamoDbEventWriter implements EventWriter {
  private readonly random: () => number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: DynamoDbEventWriterOptions,
  ) {
    this.random = options.random ?? Math.random;
  }

  toItem(event: StoredEvent): EventItem {
    const { tenantId, id, type, receivedAt } = event;
    const expiresAt = this.expiresAt(Date.parse(receivedAt), tenantId);
    return {
      // data and the descriptive fields packed into one binary `body` (dynamodb-event-item.ts).
      ...packEvent(event),
      status: event.status,
      digest: eventDigest(event),
      ...(expiresAt === undefined ? {} : { [TABLE.ttlAttribute]: expiresAt }),
      ...byTypeKeys(tenantId, type, shardOf(id, this.options.typeShards), receivedAt, id),
      // timeShards 0 (the lean profile): no cross-type index, no write to it.
      ...(this.options.timeShards > 0
        ? byTimeKeys(tenantId, shardOf(id, this.options.timeShards), receivedAt, id)
        : {}),
      ...(event.status === "failed" && event.failedAt
        ? failedKeys(tenantId, shardOf(id, this.options.failedShards), event.failedAt, id)
        : {}),
      // Last, so no attribute of the event can shadow the primary key.
      ...eventKey(tenantId, id),
    };
  }

  async putIfAbsent(event: StoredEvent): Promise<PutOutcome> {
    const item = this.toItem(event);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": TABLE.partitionKey },
          // AWS returns the existing item with the failure (saves a read); dynalite
          // ignores the option, hence the GetItem fallback below.
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { kind: "written" };
    } catch (error) {
      if (classify(error) !== "duplicate") throw error;
      const existing =
        existingFromFailure(error as ConditionalCheckFailedException) ??
        (await this.readExisting(event.tenantId, event.id));
      if (!existing) {
        throw new DuplicateCheckRaceError(`event ${event.id} existed, then vanished`);
      }
      return {
        kind: "duplicate",
        same: existing.digest === item.digest,
        existingStatus: existing.status,
      };
    }
  }

  /**
   * A replayed event's outcome replaces its failed record: read the record (attempts,
   * history, token), merge (domain/replay.ts), then one Put conditional on the record being
   * failed and armed with this replay's token. The Put writes the full item, so a processed
   * outcome drops the failed-index keys (it leaves the failed list) and the token (a second
   * delivery of this replay is a duplicate); a failed outcome moves to its new failedAt.
   * Anything that changed the record between the read and the Put (another delivery, a
   * newer replay) fails the condition: a duplicate, never a lost history entry.
   */
  async replaceFailed(event: StoredEvent, replay: ReplayMarker): Promise<PutOutcome> {
    const existing = await this.readExisting(event.tenantId, event.id);
    // The failed record expired (TTL) since it was listed: a first write like any other.
    if (!existing) return this.putIfAbsent(event);
    const digest = eventDigest(event);
    if (existing.status !== "failed" || existing.replayToken !== replay.requestId) {
      return {
        kind: "duplicate",
        same: existing.digest === digest,
        existingStatus: existing.status,
      };
    }
    const item = this.toItem(
      replayOutcome({ attempts: existing.attempts, history: existing.history }, event, replay),
    );
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: item,
          ConditionExpression: "#status = :failed AND #token = :token",
          ExpressionAttributeNames: { "#status": "status", "#token": REPLAY_TOKEN_ATTRIBUTE },
          ExpressionAttributeValues: { ":failed": "failed", ":token": replay.requestId },
        }),
      );
      return { kind: "written" };
    } catch (error) {
      if (classify(error) !== "duplicate") throw error;
      const now = await this.readExisting(event.tenantId, event.id);
      if (!now) throw new DuplicateCheckRaceError(`event ${event.id} existed, then vanished`);
      return { kind: "duplicate", same: now.digest === item.digest, existingStatus: now.status };
    }
  }

  /** When the stored copy of an event was received (windows: a duplicate's event time). */
  async receivedAtOf(tenantId: string, id: string): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: eventKey(tenantId, id),
        ConsistentRead: true,
        ProjectionExpression: "#r",
        ExpressionAttributeNames: { "#r": "receivedAt" },
      }),
    );
    return typeof Item?.receivedAt === "string" ? Item.receivedAt : undefined;
  }

  private async readExisting(
    tenantId: string,
    id: string,
  ): Promise<
    | {
        digest: string;
        status: EventStatus;
        attempts: number;
        history: HistoryEntry[];
        replayToken?: string;
      }
    | undefined
  > {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: eventKey(tenantId, id),
        ConsistentRead: true,
        ProjectionExpression:
          "#digest, #status, #type, #source, #subject, #time, #data, #body, #attempts, #history, #token",
        ExpressionAttributeNames: {
          "#body": BODY_ATTRIBUTE,
          "#digest": "digest",
          "#status": "status",
          "#attempts": "attempts",
          "#history": "history",
          "#token": REPLAY_TOKEN_ATTRIBUTE,
          "#type": "type",
          "#source": "source",
          "#subject": "subject",
          "#time": "time",
          "#data": "data",
        },
      }),
    );
    if (!Item) return undefined;
    const status: EventStatus = Item.status === "failed" ? "failed" : "processed";
    // An item written by another tool may lack the digest: compute it from its content.
    const digest = typeof Item.digest === "string" ? Item.digest : eventDigest(eventFromItem(Item));
    const token = Item[REPLAY_TOKEN_ATTRIBUTE];
    return {
      digest,
      status,
      attempts: typeof Item.attempts === "number" ? Item.attempts : 0,
      history: Array.isArray(Item.history) ? (Item.history as HistoryEntry[]) : [],
      ...(typeof token === "string" ? { replayToken: token } : {}),
    };
  }

  /**
   * One UpdateItem per hour the batch touches (nearly always one), on a random shard,
   * ADDing every type's non-zero counters at once. DynamoDB caps an expression at 4 KB,
   * so an hour with more than MAX_COUNTERS_PER_UPDATE counters takes several updates.
   */
  async addStats(tenantId: string, counts: StatsIncrement[]): Promise<void> {
    const byHour = new Map<string, Map<string, number>>();
    for (const c of counts) {
      let counters = byHour.get(c.hour);
      if (!counters) {
        counters = new Map();
        byHour.set(c.hour, counters);
      }
      for (const outcome of STATS_OUTCOMES) {
        if (c[outcome] === 0) continue;
        const name = statsCounter(outcome, c.type);
        counters.set(name, (counters.get(name) ?? 0) + c[outcome]);
      }
    }
    const updates: Promise<void>[] = [];
    for (const [hour, counters] of byHour) {
      const entries = [...counters];
      for (let i = 0; i < entries.length; i += MAX_COUNTERS_PER_UPDATE) {
        updates.push(
          this.addCounters(tenantId, hour, entries.slice(i, i + MAX_COUNTERS_PER_UPDATE)),
        );
      }
    }
    const results = await Promise.allSettled(updates);
    const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    if (errors.length > 0) {
      // Not retried here: the updates that succeeded must not be counted twice.
      throw new AggregateError(
        errors,
        `${errors.length} of ${updates.length} stats updates failed`,
      );
    }
  }

  private async addCounters(
    tenantId: string,
    hour: string,
    counters: [name: string, value: number][],
  ): Promise<void> {
    if (counters.length === 0) return;
    const shard = Math.floor(this.random() * this.options.statsShards) % this.options.statsShards;
    const expiresAt = this.expiresAt(Date.parse(`${hour}:00:00.000Z`), tenantId);
    const names: Record<string, string> = { "#hour": "hour" };
    const values: Record<string, unknown> = { ":hour": hour };
    const adds = counters.map(([name, value], i) => {
      names[`#c${i}`] = name;
      values[`:c${i}`] = value;
      return `#c${i} :c${i}`;
    });
    let set = "#hour = :hour";
    if (expiresAt !== undefined) {
      names["#ttl"] = TABLE.ttlAttribute;
      values[":ttl"] = expiresAt;
      set += ", #ttl = :ttl";
    }
    await this.client.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: statsKey(tenantId, hour, shard),
        UpdateExpression: `ADD ${adds.join(", ")} SET ${set}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** The canary's tenant keeps its events a day (domain/canary.ts), others as configured. */
  private expiresAt(fromMs: number, tenantId: string): number | undefined {
    const days = retentionDaysFor(tenantId, this.options.eventRetentionDays);
    if (days <= 0 || !Number.isFinite(fromMs)) return undefined;
    return Math.floor(fromMs / 1000) + days * DAY_SECONDS;
  }
}

/** On AWS the failed condition carries the old item (low-level attribute values). */
function existingFromFailure(
  error: ConditionalCheckFailedException,
): { digest: string; status: EventStatus } | undefined {
  const digest = error.Item?.digest?.S;
  if (!digest) return undefined;
  return { digest, status: error.Item?.status?.S === "failed" ? "failed" : "processed" };
}

/**
 * Ports: what the use cases need from storage and the queue. The DynamoDB and SQS
 * adapters implement them; tests may implement them in memory.
 */
import type { EventStatus, QueuedEvent, ReplayMarker, StoredEvent } from "../domain/event.js";

/** Result of a conditional first write. */
export type PutOutcome =
  | { kind: "written" }
  /** An item with that id already exists: `same` tells whether its content matches. */
  | { kind: "duplicate"; same: boolean; existingStatus: EventStatus };

export interface EventWriter {
  /** Writes the event if no item has its id (tenant-scoped). Never overwrites. */
  putIfAbsent(event: StoredEvent): Promise<PutOutcome>;
  /**
   * Stores the outcome of a replayed event in place of its failed record, only while that
   * record is failed and armed with this replay's token (domain/replay.ts); otherwise a
   * duplicate. Writes the event as putIfAbsent does when no record exists.
   */
  replaceFailed(event: StoredEvent, replay: ReplayMarker): Promise<PutOutcome>;
  /** Adds one batch's per-type counters (sharded; one update per hour, not per type). */
  addStats(tenantId: string, counts: StatsIncrement[]): Promise<void>;
}

export interface StatsIncrement {
  type: string;
  /** Hour bucket the counts belong to (ISO, truncated to the hour). */
  hour: string;
  processed: number;
  failed: number;
  duplicate: number;
}

export interface ListQuery {
  tenantId: string;
  type?: string;
  status?: EventStatus;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export interface ListPage {
  items: StoredEvent[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
  /**
   * The reader stopped at its per-request read bound (bytes or index reads) before it
   * had `limit` items: the page may be short, even empty; more may follow nextCursor.
   */
  partial?: true;
}

export interface TypeStats {
  type: string;
  processed: number;
  failed: number;
  duplicate: number;
}

/**
 * The deployment keeps no index for this list (the lean profile drops the cross-type
 * byTime index: settings timeShards 0); the message says what to ask instead.
 */
export class ListNotAvailableError extends Error {
  override name = "ListNotAvailableError";
}

export interface EventReader {
  get(tenantId: string, id: string): Promise<StoredEvent | undefined>;
  list(query: ListQuery): Promise<ListPage>;
  stats(tenantId: string, from: string, to: string): Promise<TypeStats[]>;
  /** Cheap reachability check for /health; `signal` bounds how long it may take. */
  ping(signal?: AbortSignal): Promise<void>;
}

/** Result of enqueuing: which inputs reached the queue. */
export interface EnqueueResult {
  /** Indexes (into the input array) that SQS accepted. */
  queued: number[];
  /** Indexes that could not be enqueued after retries, with the reason. */
  failed: { index: number; reason: string }[];
}

export interface EventQueue {
  enqueue(messages: QueuedEvent[]): Promise<EnqueueResult>;
  ping(signal?: AbortSignal): Promise<void>;
}

/** A queue's depth, for /health (the main queue and the DLQ). */
export interface QueueProbe {
  /** Approximate number of visible messages; rejects when the queue cannot be reached. */
  depth(signal?: AbortSignal): Promise<number>;
}

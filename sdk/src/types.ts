/** The SDK's public types: events (typed by an event map), options, receipts and errors. */

/**
 * Event type -> its `data` type. `npm run schemas -- types --tenant T` writes one from the
 * tenant's registered schemas (`export interface EventTypes { "purchase": {...}; ... }`);
 * `new EventFlow<EventTypes>(...)` then checks every event at compile time.
 * The default accepts any type with any JSON object as data.
 */
export type AnyEventTypes = Record<string, Record<string, unknown>>;

/** The fields every event may carry beside `type` and `data`. */
export interface EventFields {
  /**
   * The idempotency key (1-128 of `A-Z a-z 0-9 . _ : -`). Left out, the SDK generates a
   * UUIDv7 before the first attempt, so a retried request never stores the event twice.
   * In CloudEvents mode this is the CloudEvent's `id` (the stored id is derived from
   * `source` + `id`).
   */
  id?: string;
  /** Producer (a URI reference in CloudEvents mode; defaults to the client's `source`). */
  source?: string;
  /** What the event is about (a user id, an order id...). */
  subject?: string;
  /** When it happened (RFC 3339, or a Date); the server stamps `receivedAt` regardless. */
  time?: string | Date;
}

/** One event of an event map: `{ type: K; data: Types[K] }` for each type K. */
export type EventOf<Types extends object> = {
  [K in keyof Types & string]: EventFields & { type: K; data: Types[K] };
}[keyof Types & string];

/** A problem the API named in an event (`path` as the API writes it: `data.amount`). */
export interface FieldError {
  path: string;
  message: string;
}

/** What became of one event. */
export type Receipt<Event = unknown> =
  /** The API queued it; `id` is the stored id (CloudEvents: `ce:<hash>`, `ceId` the CloudEvent's). */
  | { status: "queued"; id: string; ceId?: string; event: Event }
  /** The API (or the SDK's own size check) refused it: permanent, never retried. */
  | { status: "rejected"; id: string; event: Event; errors: FieldError[]; httpStatus?: number }
  /**
   * Not delivered: retries exhausted, a request refused as a whole (401, 403...), dropped
   * from a full queue, or the client closed before it was sent. Whether a request that
   * timed out was stored is unknown: send it again with the same `id` to be sure, never twice.
   */
  | { status: "failed"; id: string; event: Event; error: EventFlowError };

export type ErrorKind =
  /** Events the API rejected (per-event 400/413 inside a receipt). */
  | "rejected"
  /** Events given up on: see Receipt "failed". */
  | "failed"
  /** Events dropped because the queue was full (overflow "drop-oldest"). */
  | "dropped"
  /** Events given to a closed client. */
  | "closed";

export class EventFlowError extends Error {
  override name = "EventFlowError";
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** The events concerned (rejected ones carry their field errors). */
    readonly receipts: Receipt[] = [],
    /** The HTTP status of the last answer, if there was one. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface EventFlowOptions {
  /** The API's base URL: `http://localhost:3000` locally, the stack's `ApiUrl` on AWS. */
  url: string;
  /** An API key with the `events:write` scope. */
  apiKey: string;
  /**
   * `native` (default) sends `{"events":[...]}`; `cloudevents` sends CloudEvents 1.0 in
   * the JSON batch format (`application/cloudevents-batch+json`).
   */
  mode?: "native" | "cloudevents";
  /** Default `source` of events that name none (CloudEvents mode: `eventflow-sdk`). */
  source?: string;
  /** Events per request (1-500; default 500). */
  maxBatchEvents?: number;
  /** Bytes per request body (default and most 1 MiB). */
  maxBatchBytes?: number;
  /** How long a tracked event may wait for its batch to fill (ms, default 1000). */
  flushIntervalMs?: number;
  /** Requests in flight at once (default 4). */
  maxInFlight?: number;
  /**
   * Events waiting to be sent (default 10,000). When full, `track` drops the oldest waiting
   * event (counted in `stats().dropped`, reported to `onError`), and `send` waits for room.
   */
  maxQueueEvents?: number;
  /** Retries of a request before its events fail (default 10). */
  maxRetries?: number;
  /** Backoff: first retry within retryBaseMs, doubling up to retryMaxMs (defaults 200 / 30,000). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A Retry-After longer than this is cut to it (ms, default 60,000). */
  maxRetryAfterMs?: number;
  /** One request's time limit (ms, default 15,000); a timeout is retried like a network error. */
  timeoutMs?: number;
  /**
   * Called for events the client could not deliver, with their receipts: rejected by the API,
   * given up after retries, dropped from a full queue, or given to a closed client. Events of
   * `send` are reported here too, besides their receipts.
   */
  onError?: (error: EventFlowError) => void;
  /** The fetch to use (default globalThis.fetch). */
  fetch?: typeof fetch;
}

/** Counters since the client was made. */
export interface ClientStats {
  /** Events waiting to be sent. */
  queued: number;
  /** Events in requests in flight or waiting to retry. */
  inFlight: number;
  /** Events queued by the API. */
  accepted: number;
  /** Events the API (or the size check) rejected. */
  rejected: number;
  /** Events given up on (see Receipt "failed"), dropped ones excluded. */
  failed: number;
  /** Events dropped from a full queue. */
  dropped: number;
  /** Requests made, retries included. */
  requests: number;
  /** Requests retried. */
  retries: number;
}

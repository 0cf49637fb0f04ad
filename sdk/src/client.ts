/**
 * The EventFlow producer client: a bounded queue, batches cut by count, bytes and time,
 * a few requests in flight, and retries that never duplicate (every event gets its id
 * before the first attempt, and the API stores an id once).
 *
 * What is retried: network errors and timeouts, 429 (after its Retry-After), 503 and other
 * 5xx, and the entries of a 202 receipt the API could not queue (`failed`). What is not:
 * per-event rejections (`rejected` entries, a batch refused with 400/413 event by event)
 * and requests refused as a whole (401, 403, 415...): those are reported, never resent.
 */

import { Deque } from "./deque.js";
import { API_LIMITS } from "./limits.js";
import { backoffMs } from "./retry.js";
import {
  type AnyEventTypes,
  type ClientStats,
  EventFlowError,
  type EventFlowOptions,
  type EventOf,
  type FieldError,
  type Receipt,
} from "./types.js";
import { encodeEvent, readAnswer } from "./wire.js";

interface Pending<E> {
  seq: number;
  /** The id sent: native events' stored id, a CloudEvent's `id`. */
  id: string;
  event: E;
  json: string;
  bytes: number;
  /** send(): resolves its receipt; track() events have none. */
  settle?: (receipt: Receipt<E>) => void;
}

/** What one attempt left to do. */
interface AttemptResult<E> {
  retry: Pending<E>[];
  /** The server asked for this wait (429/503 Retry-After). */
  retryAfterMs?: number;
  /** Why the rest would be retried (the last error). */
  error?: EventFlowError;
  /** 413 for a batch of several: resend in halves. */
  split?: boolean;
}

const DEFAULTS = {
  mode: "native",
  maxBatchEvents: API_LIMITS.maxBatchEvents,
  maxBatchBytes: API_LIMITS.maxBodyBytes,
  flushIntervalMs: 1000,
  maxInFlight: 4,
  maxQueueEvents: 10_000,
  maxRetries: 10,
  retryBaseMs: 200,
  retryMaxMs: 30_000,
  maxRetryAfterMs: 60_000,
  timeoutMs: 15_000,
} as const;

export class EventFlow<Types extends object = AnyEventTypes> {
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private readonly options: Required<Omit<EventFlowOptions, "onError" | "fetch" | "source">> & {
    source?: string;
  };
  private readonly onError: ((error: EventFlowError) => void) | undefined;
  private readonly fetch: typeof fetch;
  private readonly cloudEvents: boolean;
  /** Bytes of the body around the events: `{"events":[` + `]}` or `[` + `]`. */
  private readonly envelopeBytes: number;

  private readonly queue = new Deque<Pending<EventOf<Types>>>();
  private queuedBytes = 0;
  private seq = 0;
  /** Every event with seq <= flushTo goes out without waiting for its batch to fill. */
  private flushTo = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private requestsInFlight = 0;
  /** The lowest seq of each batch being delivered (flush waits for them). */
  private readonly active = new Set<{ minSeq: number }>();
  /** No request starts before this time (a 429/503 with Retry-After pauses all). */
  private pausedUntil = 0;
  private closed = false;
  /** send() calls waiting for room in the queue. */
  private waitingForRoom = 0;
  private progress: { promise: Promise<void>; resolve: () => void } | undefined;
  private readonly counters = {
    inFlight: 0,
    accepted: 0,
    rejected: 0,
    failed: 0,
    dropped: 0,
    requests: 0,
    retries: 0,
  };

  constructor(options: EventFlowOptions) {
    if (!options?.url) throw new TypeError("EventFlow: `url` is required");
    if (!options.apiKey) throw new TypeError("EventFlow: `apiKey` is required");
    const o = { ...DEFAULTS, ...stripUndefined(options) };
    const clamp = (v: number, lo: number, hi: number, name: string) => {
      if (!Number.isFinite(v) || v < lo || v > hi) {
        throw new RangeError(`EventFlow: \`${name}\` must be between ${lo} and ${hi}`);
      }
      return v;
    };
    clamp(o.maxBatchEvents, 1, API_LIMITS.maxBatchEvents, "maxBatchEvents");
    clamp(o.maxBatchBytes, API_LIMITS.maxEventBytes + 16, API_LIMITS.maxBodyBytes, "maxBatchBytes");
    clamp(o.maxInFlight, 1, 64, "maxInFlight");
    clamp(o.maxQueueEvents, o.maxBatchEvents, 10_000_000, "maxQueueEvents");
    clamp(o.maxRetries, 0, 1000, "maxRetries");
    this.options = o;
    this.onError = options.onError;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.cloudEvents = o.mode === "cloudevents";
    this.endpoint = `${options.url.replace(/\/+$/, "")}/v1/events`;
    this.headers = {
      authorization: `Bearer ${options.apiKey}`,
      "content-type": this.cloudEvents ? "application/cloudevents-batch+json" : "application/json",
    };
    this.envelopeBytes = this.cloudEvents ? 2 : '{"events":[]}'.length;
  }

  /**
   * Queues an event and returns at once; it goes out with the next batch (full, or after
   * flushIntervalMs). When the queue is full the oldest waiting tracked event is dropped
   * (stats().dropped, onError "dropped"). Problems are reported to onError.
   */
  track(event: EventOf<Types>): void {
    if (this.closed) {
      this.report("closed", "the client is closed: event refused", [
        this.failedReceipt(event, event.id ?? "", "closed", "the client is closed"),
      ]);
      return;
    }
    const pending = this.prepare(event);
    if (!pending) return;
    if (this.queue.length >= this.options.maxQueueEvents) this.dropOldest(pending);
    else this.enqueue(pending);
    this.pump();
  }

  /**
   * Sends events now (with whatever else is waiting) and resolves with one receipt per
   * event once each is queued by the API, rejected, or given up on. Waits for room when the
   * queue is full, never drops. Rejects only when the client is closed.
   */
  send(event: EventOf<Types>): Promise<Receipt<EventOf<Types>>>;
  send(events: EventOf<Types>[]): Promise<Receipt<EventOf<Types>>[]>;
  async send(
    input: EventOf<Types> | EventOf<Types>[],
  ): Promise<Receipt<EventOf<Types>> | Receipt<EventOf<Types>>[]> {
    if (this.closed) throw new EventFlowError("closed", "the client is closed");
    const events = Array.isArray(input) ? input : [input];
    // One promise per call, not per event: each event writes its receipt into its slot.
    const receipts = new Array<Receipt<EventOf<Types>>>(events.length);
    let remaining = events.length;
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const settleAt = (index: number) => (receipt: Receipt<EventOf<Types>>) => {
      receipts[index] = receipt;
      if (--remaining === 0) done();
    };
    for (const [index, event] of events.entries()) {
      const pending = this.prepare(event, settleAt(index));
      if (!pending) continue;
      for (;;) {
        if (this.queue.length < this.options.maxQueueEvents) break;
        this.flushTo = Math.max(this.flushTo, this.seq);
        this.pump();
        if (this.queue.length < this.options.maxQueueEvents) break;
        this.waitingForRoom++;
        try {
          await this.nextProgress();
        } finally {
          this.waitingForRoom--;
        }
      }
      pending.settle = settleAt(index);
      this.enqueue(pending);
    }
    this.flushTo = Math.max(this.flushTo, this.seq);
    this.pump();
    if (remaining > 0) await all;
    return Array.isArray(input) ? receipts : (receipts[0] as Receipt<EventOf<Types>>);
  }

  /** Sends everything queued so far and resolves once each of those events is settled. */
  async flush(): Promise<void> {
    const target = this.seq;
    this.flushTo = Math.max(this.flushTo, target);
    this.pump();
    while (this.oldestUnsettled() <= target) await this.nextProgress();
  }

  /** Refuses new events, sends what is queued, waits for every request and retry. */
  async close(): Promise<void> {
    this.closed = true;
    for (;;) {
      await this.flush();
      if (this.waitingForRoom === 0 && this.queue.length === 0 && this.active.size === 0) break;
      await this.nextProgress();
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  stats(): ClientStats {
    return { queued: this.queue.length, ...this.counters };
  }

  // Queue and batches.

  /** The event as sent, with its id; undefined (after reporting) when it cannot be sent. */
  private prepare(
    event: EventOf<Types>,
    onImmediate?: (receipt: Receipt<EventOf<Types>>) => void,
  ): Pending<EventOf<Types>> | undefined {
    const encoded = encodeEvent(event, {
      cloudEvents: this.cloudEvents,
      ...(this.options.source === undefined ? {} : { source: this.options.source }),
    });
    const { id } = encoded;
    if (encoded.problem !== undefined) {
      const problem = encoded.problem;
      const receipt: Receipt<EventOf<Types>> = {
        status: "rejected",
        id,
        event,
        errors: [{ path: "", message: `the event ${problem}` }],
      };
      this.counters.rejected++;
      onImmediate?.(receipt);
      this.report("rejected", `event ${id} rejected before sending: ${problem}`, [receipt]);
      return undefined;
    }
    return { seq: 0, id, event, json: encoded.json, bytes: encoded.bytes };
  }

  private enqueue(pending: Pending<EventOf<Types>>): void {
    pending.seq = ++this.seq;
    this.queue.push(pending);
    this.queuedBytes += pending.bytes;
  }

  /** A full queue and a tracked event: the oldest tracked event makes room. */
  private dropOldest(incoming: Pending<EventOf<Types>>): void {
    const head = this.queue.peek();
    // An event of send() is never dropped (its caller waits for a receipt): then the
    // incoming tracked event is the one dropped.
    let victim = incoming;
    if (head && !head.settle) {
      this.queue.shift();
      this.queuedBytes -= head.bytes;
      victim = head;
      this.enqueue(incoming);
    }
    this.counters.dropped++;
    this.report("dropped", "the queue is full (maxQueueEvents): the oldest event was dropped", [
      this.failedReceipt(victim.event, victim.id, "dropped", "dropped from a full queue"),
    ]);
  }

  private pump(): void {
    const o = this.options;
    while (this.requestsInFlight < o.maxInFlight && this.queue.length > 0) {
      const head = this.queue.peek() as Pending<EventOf<Types>>;
      const full =
        this.queue.length >= o.maxBatchEvents ||
        this.queuedBytes + this.queue.length + this.envelopeBytes > o.maxBatchBytes;
      if (!full && head.seq > this.flushTo) break;
      this.start(this.takeBatch());
      // Room in the queue: wake send() calls waiting for it.
      this.notifyProgress();
    }
    if (this.queue.length > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushTo = Math.max(this.flushTo, this.seq);
        this.pump();
      }, o.flushIntervalMs);
    }
  }

  private takeBatch(): Pending<EventOf<Types>>[] {
    const batch: Pending<EventOf<Types>>[] = [];
    let bytes = this.envelopeBytes;
    while (batch.length < this.options.maxBatchEvents) {
      const next = this.queue.peek();
      if (!next) break;
      const add = next.bytes + (batch.length > 0 ? 1 : 0);
      if (batch.length > 0 && bytes + add > this.options.maxBatchBytes) break;
      this.queue.shift();
      this.queuedBytes -= next.bytes;
      bytes += add;
      batch.push(next);
    }
    return batch;
  }

  private start(batch: Pending<EventOf<Types>>[]): void {
    const entry = { minSeq: batch[0]?.seq ?? Number.POSITIVE_INFINITY };
    this.active.add(entry);
    this.requestsInFlight++;
    this.counters.inFlight += batch.length;
    this.deliver(batch)
      .catch((error: unknown) => {
        // A bug of ours must not lose events silently: they fail, reported.
        this.fail(batch, new EventFlowError("failed", `internal error: ${String(error)}`));
      })
      .finally(() => {
        this.requestsInFlight--;
        this.active.delete(entry);
        this.notifyProgress();
        this.pump();
      });
  }

  private oldestUnsettled(): number {
    let oldest = this.queue.peek()?.seq ?? Number.POSITIVE_INFINITY;
    for (const { minSeq } of this.active) oldest = Math.min(oldest, minSeq);
    return oldest;
  }

  private nextProgress(): Promise<void> {
    if (!this.progress) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.progress = { promise, resolve };
    }
    return this.progress.promise;
  }

  private notifyProgress(): void {
    const p = this.progress;
    this.progress = undefined;
    p?.resolve();
  }

  // Delivery.

  private async deliver(batch: Pending<EventOf<Types>>[]): Promise<void> {
    let pending = batch;
    for (let attempt = 1; ; attempt++) {
      while (Date.now() < this.pausedUntil) await sleep(this.pausedUntil - Date.now());
      const result = await this.attempt(pending);
      if (result.split) {
        const half = Math.ceil(pending.length / 2);
        await this.deliver(pending.slice(0, half));
        await this.deliver(pending.slice(half));
        return;
      }
      if (result.retry.length === 0) return;
      const error = result.error ?? new EventFlowError("failed", "not delivered");
      if (attempt > this.options.maxRetries) {
        this.fail(
          result.retry,
          new EventFlowError(
            "failed",
            `gave up after ${attempt} attempts: ${error.message}`,
            [],
            error.status,
            { cause: error },
          ),
        );
        return;
      }
      this.counters.retries++;
      let wait = backoffMs(attempt, this.options.retryBaseMs, this.options.retryMaxMs);
      if (result.retryAfterMs !== undefined) {
        // Honour the server's wait (plus a little jitter so producers do not return in step)
        // and hold every other request of this client back as well.
        const asked = Math.min(result.retryAfterMs, this.options.maxRetryAfterMs);
        wait = asked + Math.round(Math.random() * this.options.retryBaseMs);
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + asked);
      }
      await sleep(wait);
      pending = result.retry;
    }
  }

  /** One request for `pending`: settles what the answer settles, returns the rest. */
  private async attempt(
    pending: Pending<EventOf<Types>>[],
  ): Promise<AttemptResult<EventOf<Types>>> {
    let body = "";
    for (const p of pending) body += body ? `,${p.json}` : p.json;
    body = this.cloudEvents ? `[${body}]` : `{"events":[${body}]}`;
    this.counters.requests++;
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await this.fetch(this.endpoint, {
        method: "POST",
        headers: this.headers,
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = res.status;
      retryAfter = res.headers.get("retry-after");
      text = await res.text();
    } catch (error) {
      // Connection refused or reset, DNS, timeout, a body cut short: the request may or may
      // not have been stored; resending the same ids is safe.
      const message = (error as Error)?.message ?? String(error);
      const cause = (error as { cause?: { code?: string } })?.cause?.code;
      return {
        retry: pending,
        error: new EventFlowError(
          "failed",
          `request failed: ${message}${cause ? ` (${cause})` : ""}`,
          [],
          undefined,
          { cause: error },
        ),
      };
    }
    const outcome = readAnswer(status, text, retryAfter, pending.length);
    switch (outcome.kind) {
      case "receipt": {
        const rejected: Receipt[] = [];
        for (const [index, entry] of outcome.entries) {
          const p = pending[index] as Pending<EventOf<Types>>;
          if (entry.status === "queued") {
            this.settle(p, {
              status: "queued",
              id: entry.id ?? p.id,
              ...(entry.ceId ? { ceId: entry.ceId } : {}),
              event: p.event,
            });
          } else rejected.push(this.rejected(p, entry.errors, 400));
        }
        if (rejected.length > 0) {
          this.report("rejected", `${rejected.length} events rejected`, rejected, 400);
        }
        return {
          retry: pending.filter((_, i) => !outcome.entries.has(i)),
          error: outcome.error,
          ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
        };
      }
      case "retry":
        return {
          retry: pending,
          error: outcome.error,
          ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
        };
      case "split":
        return { retry: [], split: true };
      case "rejected": {
        const receipts = pending.map((p, i) =>
          this.rejected(
            p,
            outcome.errorsByIndex.get(i) ?? [{ path: "", message: outcome.message }],
            outcome.status,
          ),
        );
        this.report(
          "rejected",
          `${receipts.length} events rejected (HTTP ${outcome.status})`,
          receipts,
          outcome.status,
        );
        return { retry: [] };
      }
      case "refused":
        this.fail(pending, outcome.error);
        return { retry: [] };
    }
  }

  private settle(p: Pending<EventOf<Types>>, receipt: Receipt<EventOf<Types>>): void {
    this.counters.inFlight--;
    if (receipt.status === "queued") this.counters.accepted++;
    else if (receipt.status === "rejected") this.counters.rejected++;
    else this.counters.failed++;
    p.settle?.(receipt);
  }

  private rejected(
    p: Pending<EventOf<Types>>,
    errors: FieldError[],
    httpStatus: number,
  ): Receipt<EventOf<Types>> {
    const receipt: Receipt<EventOf<Types>> = {
      status: "rejected",
      id: p.id,
      event: p.event,
      errors,
      httpStatus,
    };
    this.settle(p, receipt);
    return receipt;
  }

  private fail(pending: Pending<EventOf<Types>>[], error: EventFlowError): void {
    const receipts = pending.map((p) => {
      const receipt: Receipt<EventOf<Types>> = {
        status: "failed",
        id: p.id,
        event: p.event,
        error,
      };
      this.settle(p, receipt);
      return receipt;
    });
    this.report("failed", error.message, receipts, error.status, error);
  }

  private failedReceipt(
    event: EventOf<Types>,
    id: string,
    kind: "dropped" | "closed",
    message: string,
  ): Receipt<EventOf<Types>> {
    return { status: "failed", id, event, error: new EventFlowError(kind, message) };
  }

  private report(
    kind: EventFlowError["kind"],
    message: string,
    receipts: Receipt[],
    status?: number,
    cause?: unknown,
  ): void {
    if (!this.onError) return;
    try {
      this.onError(
        new EventFlowError(kind, message, receipts, status, cause ? { cause } : undefined),
      );
    } catch {
      // The hook's own failure must not stop delivery.
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

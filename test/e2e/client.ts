/**
 * The e2e suite's only way in: the public HTTP API (plus /_local/* on the local
 * runtime, for faults and queue depths).
 */
import { randomUUID } from "node:crypto";
import type { FaultInput } from "../../local/faults.js";
import { contract } from "../support/openapi-contract.js";
import { apiKeyFor } from "../support/runtime.js";

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  /** The body as received. */
  text: string;
}

export interface RequestOptions {
  /** Headers to add or override (a test's own Content-Type, ce-* headers...). */
  headers?: Record<string, string>;
  /** Sent as is instead of JSON.stringify(body); bytes go without a Content-Type. */
  raw?: string | Uint8Array;
  /**
   * A 429 with a short Retry-After is waited out and retried (as SDKs do), so per-tenant
   * throttling does not fail tests that poll; false returns the 429 (throttling tests).
   */
  retryThrottled?: boolean;
  /**
   * Every answer is checked against the OpenAPI document (test/support/openapi-contract.ts)
   * and a violation fails the request's test; false skips the check (only for a test of
   * the checker itself).
   */
  checkContract?: boolean;
}

export interface StoredEvent {
  id: string;
  type: string;
  status: "processed" | "failed";
  attempts: number;
  receivedAt: string;
  data: Record<string, unknown>;
  processedAt?: string;
  enrichment?: { category?: string; [field: string]: unknown };
  failure?: { kind: string; reason: string };
  subject?: string;
  /** The version of the type's schema it was validated against. */
  schemaVersion?: number;
  /** The version of the tenant's rules that processed it. */
  rulesetVersion?: number;
}

export interface ListPage {
  items: StoredEvent[];
  nextCursor?: string;
}

export interface StatsReport {
  types: { type: string; processed: number; failed: number; duplicate: number }[];
  totals: { processed: number; failed: number; duplicate: number };
}

export interface EventInput {
  id?: string;
  type: string;
  source?: string;
  subject?: string;
  time?: string;
  data: Record<string, unknown>;
}

/** A type no other test uses, so lists and stats see only this test's events. */
export const uniqueType = (name: string) => `e2e.${name}.${randomUUID().slice(0, 8)}`;

export const uniqueId = (name: string) => `${name}-${randomUUID()}`;

export class Api {
  /**
   * Every API route needs a key: by default the one the platform was started with (the
   * local runtime's development key, or EVENTFLOW_API_KEY for a deployed stack); null
   * sends none. Sent as `Authorization: Bearer <key>`; options.headers can override it.
   */
  constructor(
    readonly url: string,
    readonly apiKey: string | null = apiKeyFor(url) ?? null,
  ) {}

  /** The same API with another key (null: none). */
  withKey(apiKey: string | null): Api {
    return new Api(this.url, apiKey);
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<Answer<T>> {
    const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const headers: Record<string, string> = {
      ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    };
    const send = () =>
      fetch(`${this.url}${path}`, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
      });
    let res = await send();
    for (let attempt = 1; attempt < 20 && options.retryThrottled !== false; attempt++) {
      const wait = Number(res.headers.get("retry-after"));
      if (res.status !== 429 || !(wait > 0 && wait <= 5)) break;
      await res.arrayBuffer();
      await sleep(wait * 1000);
      res = await send();
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: keep the text.
    }
    if (options.checkContract !== false) {
      await contract().assert({
        method,
        path,
        requestHeaders: headers,
        ...(typeof payload === "string" ? { requestBody: payload } : {}),
        status: res.status,
        responseHeaders: res.headers,
        responseText: text,
      });
    }
    return { status: res.status, body: parsed as T, headers: res.headers, text };
  }

  /** POST one event; returns its id (asserting 202). */
  async send(event: EventInput): Promise<string> {
    const answer = await this.request<{ id: string }>("POST", "/v1/events", event);
    if (answer.status !== 202) {
      throw new Error(`POST /v1/events answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    return answer.body.id;
  }

  /** POST a batch; returns the ids of the queued events (asserting 202). */
  async sendBatch(events: EventInput[]): Promise<string[]> {
    const answer = await this.request<{ results: { id?: string; status: string }[] }>(
      "POST",
      "/v1/events",
      { events },
    );
    if (answer.status !== 202) {
      throw new Error(`POST /v1/events answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    return answer.body.results.flatMap((r) => (r.status === "queued" && r.id ? [r.id] : []));
  }

  /** The stored event; undefined while it is not (or, during an outage, cannot be) read. */
  async event(id: string, { tolerate5xx = true } = {}): Promise<StoredEvent | undefined> {
    const answer = await this.request<StoredEvent>("GET", `/v1/events/${encodeURIComponent(id)}`);
    if (answer.status === 404) return undefined;
    if (answer.status >= 500 && tolerate5xx) return undefined;
    if (answer.status !== 200) {
      throw new Error(`GET /v1/events/${id} answered ${answer.status}`);
    }
    return answer.body;
  }

  /** Polls until the event is stored (processed or failed). */
  async settled(id: string, timeoutMs = 30_000): Promise<StoredEvent> {
    return waitFor(() => this.event(id), timeoutMs, `event ${id} to be stored`);
  }

  /** Polls until every event is stored; answers in the order of `ids`. */
  async settledAll(ids: string[], timeoutMs = 60_000): Promise<StoredEvent[]> {
    const results = new Map<string, StoredEvent>();
    const pending = new Set(ids);
    const deadline = Date.now() + timeoutMs;
    while (pending.size > 0) {
      for (const id of [...pending]) {
        const event = await this.event(id);
        if (event) {
          results.set(id, event);
          pending.delete(id);
        }
      }
      if (pending.size === 0) break;
      if (Date.now() > deadline) {
        throw new Error(`${pending.size} of ${ids.length} events not stored in ${timeoutMs} ms`);
      }
      await sleep(200);
    }
    return ids.flatMap((id) => {
      const event = results.get(id);
      return event ? [event] : [];
    });
  }

  /** Every page of a list query. */
  async listAll(
    query: Record<string, string>,
  ): Promise<{ pages: ListPage[]; items: StoredEvent[] }> {
    const pages: ListPage[] = [];
    let cursor: string | undefined;
    do {
      const params = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
      const answer = await this.request<ListPage>("GET", `/v1/events?${params}`);
      if (answer.status !== 200) {
        throw new Error(`GET /v1/events?${params} answered ${answer.status}`);
      }
      pages.push(answer.body);
      cursor = answer.body.nextCursor;
    } while (cursor);
    return { pages, items: pages.flatMap((p) => p.items) };
  }

  async stats(type: string): Promise<{ processed: number; failed: number; duplicate: number }> {
    const answer = await this.request<StatsReport>("GET", "/v1/stats");
    const row = answer.body.types.find((t) => t.type === type);
    return {
      processed: row?.processed ?? 0,
      failed: row?.failed ?? 0,
      duplicate: row?.duplicate ?? 0,
    };
  }

  // Local runtime only.

  async faults(input: FaultInput): Promise<void> {
    const answer = await this.request("POST", "/_local/faults", input);
    if (answer.status !== 200) throw new Error(`faults: ${JSON.stringify(answer.body)}`);
  }

  async clearFaults(): Promise<{ counts: Record<string, number> }> {
    return (await this.request<{ counts: Record<string, number> }>("DELETE", "/_local/faults"))
      .body;
  }

  /** Waits until the queue and the DLQ hold nothing (visible, in flight or delayed). */
  async queuesEmpty(timeoutMs = 60_000): Promise<void> {
    type Depth = { visible: number; inFlight: number; delayed: number };
    const total = (d: Depth) => d.visible + d.inFlight + d.delayed;
    await waitFor(
      async () => {
        const answer = await this.request<{
          queues: { queue: Depth; dlq: Depth };
          pollers: Record<string, { inFlight: number }>;
        }>("GET", "/_local/status");
        const { queue, dlq } = answer.body.queues;
        // A batch's messages leave the queue when they are deleted, a moment before its
        // poller counts them: wait for the pollers too, so the counts are final.
        const busy = Object.values(answer.body.pollers).some((p) => p.inFlight > 0);
        return total(queue) + total(dlq) === 0 && !busy ? true : undefined;
      },
      timeoutMs,
      "the queues to empty",
    );
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
  intervalMs = 150,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

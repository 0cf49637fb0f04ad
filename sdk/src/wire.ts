/**
 * The wire protocol of `POST /v1/events`, as pure functions the client (client.ts) builds
 * on: how an event is sent (native or as a CloudEvent, with its id, within the size limit)
 * and what an answer means for the events sent (from its status, body and Retry-After:
 * which were queued or rejected, whether the rest is retried and when, whether the batch
 * must be split). The client turns these into receipts, retries and reports.
 */
import { API_LIMITS, utf8Length } from "./limits.js";
import { retryAfterMs } from "./retry.js";
import { type EventFields, EventFlowError, type FieldError } from "./types.js";
import { uuidv7 } from "./uuid.js";

/**
 * One event as JSON on the wire, with the id it is sent (and stored) under; `problem` when
 * it cannot be sent at all (not JSON, or over the API's per-event limit). Fields the SDK
 * does not know are passed on as given: the API refuses them in native mode (named in the
 * rejection), and in CloudEvents mode they are extension attributes.
 */
export function encodeEvent(
  event: object,
  options: { cloudEvents: boolean; source?: string },
):
  | { id: string; json: string; bytes: number; problem?: undefined }
  | { id: string; problem: string } {
  const e = event as EventFields & { type: string; data?: unknown; datacontenttype?: string };
  const id = e.id ?? uuidv7();
  const time = e.time instanceof Date ? e.time.toISOString() : e.time;
  const source = e.source ?? options.source;
  const wire = options.cloudEvents
    ? {
        specversion: "1.0",
        ...e,
        id,
        source: source ?? "eventflow-sdk",
        ...(time === undefined ? {} : { time }),
        ...(e.data === undefined
          ? {}
          : { datacontenttype: e.datacontenttype ?? "application/json" }),
      }
    : {
        ...e,
        id,
        ...(source === undefined ? {} : { source }),
        ...(time === undefined ? {} : { time }),
      };
  let json: string;
  try {
    json = JSON.stringify(wire);
  } catch (error) {
    return { id, problem: `is not JSON: ${(error as Error).message}` };
  }
  const bytes = utf8Length(json);
  if (bytes > API_LIMITS.maxEventBytes) {
    return { id, problem: `is ${bytes} bytes as JSON; the limit is ${API_LIMITS.maxEventBytes}` };
  }
  return { id, json, bytes };
}

/** One event's entry in a batch receipt. */
export type ReceiptEntry =
  | { status: "queued"; id?: string; ceId?: string }
  | { status: "rejected"; errors: FieldError[] };

export type AnswerOutcome =
  /** A receipt (202, or 503 with results): entries by index; the events without one are retried. */
  | {
      kind: "receipt";
      entries: Map<number, ReceiptEntry>;
      error: EventFlowError;
      retryAfterMs?: number;
    }
  /** Nothing stored, worth sending again (408, 429, 5xx). */
  | { kind: "retry"; error: EventFlowError; retryAfterMs?: number }
  /** 413 for a batch of several: resend in halves. */
  | { kind: "split" }
  /** Every event refused on its own merits (400/413 naming events[i]). */
  | { kind: "rejected"; errorsByIndex: Map<number, FieldError[]>; message: string; status: number }
  /** Refused as a whole (401, 403, 404, 415, ...): sending again changes nothing. */
  | { kind: "refused"; error: EventFlowError };

interface ApiResult {
  index: number;
  status: "queued" | "rejected" | "failed";
  id?: string;
  ceId?: string;
  errors?: FieldError[];
}

interface ApiAnswer {
  results?: ApiResult[];
  error?: { code?: string; message?: string; details?: Partial<FieldError>[] };
}

const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;

export function readAnswer(
  status: number,
  text: string,
  retryAfter: string | null,
  events: number,
): AnswerOutcome {
  const answer = parseJson(text) as ApiAnswer | undefined;
  const message = answer?.error?.message ?? text.slice(0, 200);
  const error = new EventFlowError("failed", `HTTP ${status}: ${message}`, [], status);
  if (status === 202 || (status === 503 && Array.isArray(answer?.results))) {
    const entries = new Map<number, ReceiptEntry>();
    for (const r of answer?.results ?? []) {
      if (typeof r?.index !== "number" || r.index < 0 || r.index >= events) continue;
      if (entries.has(r.index)) continue;
      if (r.status === "queued") {
        entries.set(r.index, {
          status: "queued",
          ...(r.id ? { id: r.id } : {}),
          ...(r.ceId ? { ceId: r.ceId } : {}),
        });
      } else if (r.status === "rejected") {
        const errors = (r.errors ?? []).map((e) => ({
          path: withinEvent(e.path ?? "").path,
          message: e.message ?? "",
        }));
        entries.set(r.index, { status: "rejected", errors });
      }
    }
    const after = status === 503 ? retryAfterMs(retryAfter) : undefined;
    return {
      kind: "receipt",
      entries,
      error:
        status === 503
          ? error
          : new EventFlowError("failed", "the API could not queue them", [], 202),
      ...(after === undefined ? {} : { retryAfterMs: after }),
    };
  }
  if (RETRYABLE(status)) {
    const after = retryAfterMs(retryAfter);
    return { kind: "retry", error, ...(after === undefined ? {} : { retryAfterMs: after }) };
  }
  if (status === 413 && events > 1) return { kind: "split" };
  const code = answer?.error?.code;
  if (
    (status === 400 || status === 413) &&
    (code === "validation_failed" || code === "payload_too_large")
  ) {
    // Details name the events as events[i] (native) or [i] (CloudEvents batch).
    const errorsByIndex = new Map<number, FieldError[]>();
    for (const d of answer?.error?.details ?? []) {
      const { index, path } = withinEvent(d.path ?? "");
      if (index === undefined) continue;
      const list = errorsByIndex.get(index) ?? [];
      list.push({ path, message: d.message ?? "" });
      errorsByIndex.set(index, list);
    }
    return { kind: "rejected", errorsByIndex, message, status };
  }
  return { kind: "refused", error };
}

/** `events[3].data.amount` (native) or `[3].data` (CloudEvents batch): the event and the path in it. */
function withinEvent(path: string): { index?: number; path: string } {
  const m = /^(?:events)?\[(\d+)\]\.?(.*)$/.exec(path);
  return m ? { index: Number(m[1]), path: m[2] ?? "" } : { path };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

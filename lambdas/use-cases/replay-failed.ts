/**
 * POST /v1/failed/replay: re-enqueue selected failed events under their original ids.
 *
 * Body (every field optional; `{}` selects every failed event, up to `limit`):
 *   type, kind, reason   as GET /v1/failed (reason: case-sensitive substring)
 *   since, until         failedAt bounds: RFC 3339 or a duration ago (30m, 1h, 7d)
 *   ids                  1-1000 event ids; each must also match the filters given
 *   dryRun               list what would be replayed, change nothing
 *   limit                events per call, 1-1000 (default 1000); with filters only
 *   cursor               the previous answer's nextCursor (filters unchanged)
 *
 * Per selected event: build the replay message (the original event plus a `replay`
 * marker) and check it is a valid QueuedEvent; arm the failed record (conditional on
 * status = failed: appends the `replayed` history entry, sets the token); then enqueue
 * every armed message. Arming BEFORE enqueuing means the consumer always finds the token
 * and the history entry. If the enqueue fails, the record keeps a stale token and the
 * `replayed` entry but stays failed (listed as skipped `enqueue_failed`): replay it again.
 *
 * The failed index is read newest failure first and the cursor moves past what a call
 * selected, so chunked calls never select an event twice: one that fails again gets a new,
 * newer failedAt, outside the rest of the walk.
 */
import * as z from "zod";
import { InvalidCursorError, MAX_CURSOR_LENGTH } from "../domain/cursor.js";
import {
  EVENT_ID_PATTERN,
  type FailureKind,
  type QueuedEvent,
  queuedEventSchema,
  type ReplayMarker,
  type StoredEvent,
} from "../domain/event.js";
import {
  type FieldError,
  isPlainObject,
  joinPath,
  limitErrors,
  parseJson,
} from "../domain/json.js";
import { type FailedFilter, matchesFilter, replayMessage } from "../domain/replay.js";
import type { EventQueue } from "../ports/event-store.js";
import type { FailedEventReader, ReplayRecorder } from "../ports/failed-events.js";
import { instantAt, kindFilter, reasonFilter, typeFilter } from "./failed-events.js";
import type { Invalid } from "./query-events.js";
import type { SchemaChecker } from "./schema-gate.js";

export const REPLAY_LIMIT = { default: 1000, max: 1000 } as const;
export const MAX_REPLAY_IDS = 1000;
/** Concurrent GetItem/UpdateItem calls of one request. */
const CONCURRENCY = 16;

export interface ReplayRequest extends FailedFilter {
  ids?: string[];
  dryRun: boolean;
  limit: number;
  cursor?: string;
}

export type SkipReason =
  | "not_found"
  | "not_failed"
  | "not_matching"
  | "not_replayable"
  | "enqueue_failed"
  /** It still does not match its type's schema (fix the schema, then replay). */
  | "schema_violation";

export interface Skipped {
  id: string;
  reason: SkipReason;
  detail?: string;
}

export interface Candidate {
  id: string;
  type: string;
  kind?: FailureKind;
  reason?: string;
  failedAt?: string;
  attempts: number;
}

export type ReplayResult =
  | Invalid
  | { kind: "invalid_cursor"; message: string }
  | { kind: "dry_run"; events: Candidate[]; skipped: Skipped[]; nextCursor?: string }
  | {
      kind: "replayed";
      ids: string[];
      skipped: Skipped[];
      /** Records armed (a failed enqueue leaves an armed record behind). */
      armed: number;
      nextCursor?: string;
    };

export interface ReplayDeps {
  reader: FailedEventReader;
  recorder: ReplayRecorder;
  queue: EventQueue;
  /** Becomes the replay token and the history entry's detail. */
  requestId: string;
  now: () => Date;
  /** The schema registry: a replayed event is validated again against today's schema. */
  schemas?: SchemaChecker;
}

/** The body of POST /v1/failed/replay (also the OpenAPI description's). */
export const bodySchema = (now: Date) =>
  z
    .object({
      type: typeFilter.optional(),
      kind: kindFilter.optional(),
      reason: reasonFilter.optional(),
      since: instantAt(now).optional(),
      until: instantAt(now).optional(),
      ids: z
        .array(
          z.string().regex(EVENT_ID_PATTERN, "must be 1-128 characters of A-Z a-z 0-9 . _ : -"),
        )
        .min(1, "must list at least one id")
        .max(MAX_REPLAY_IDS, `must list at most ${MAX_REPLAY_IDS} ids`)
        .optional(),
      dryRun: z.boolean({ message: "must be true or false" }).optional(),
      limit: z
        .number({ message: `must be an integer from 1 to ${REPLAY_LIMIT.max}` })
        .int(`must be an integer from 1 to ${REPLAY_LIMIT.max}`)
        .min(1, "must be at least 1")
        .max(REPLAY_LIMIT.max, `must be at most ${REPLAY_LIMIT.max}`)
        .optional(),
      cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).optional(),
    })
    .strict();

const invalid = (message: string, details: FieldError[]): Invalid => ({
  kind: "invalid",
  message,
  details: limitErrors(details, "(body)"),
});

/** The request body, strictly: unknown fields and bad filters are field errors. */
export function parseReplayRequest(
  body: string | undefined,
  now: Date,
): { kind: "ok"; request: ReplayRequest } | Invalid {
  if (body === undefined || body.trim() === "") {
    return invalid('The body must be a JSON object; {"dryRun": true} lists every failed event', [
      { path: "(body)", message: "is empty" },
    ]);
  }
  const json = parseJson(body);
  if (!json.ok) return invalid(json.message, [{ path: "(body)", message: json.message }]);
  if (!isPlainObject(json.value)) {
    return invalid("The body must be a JSON object", [
      { path: "(body)", message: "must be a JSON object" },
    ]);
  }
  const parsed = bodySchema(now).safeParse(json.value);
  if (!parsed.success) {
    const details = parsed.error.issues.flatMap((issue): FieldError[] => {
      if (issue.code === "unrecognized_keys") {
        return issue.keys.map((key) => ({ path: joinPath("", key), message: "is not allowed" }));
      }
      const path = issue.path.reduce<string>(
        (at, segment) => joinPath(at, typeof segment === "number" ? segment : String(segment)),
        "",
      );
      return [{ path: path || "(body)", message: issue.message }];
    });
    return invalid("The replay request is invalid", details);
  }
  const { ids, since, until, dryRun, limit, cursor, ...filters } = parsed.data;
  const details: FieldError[] = [];
  if (since && until && since > until)
    details.push({ path: "since", message: "must not be after until" });
  if (ids && cursor) details.push({ path: "cursor", message: "cannot be combined with ids" });
  if (ids && limit !== undefined)
    details.push({ path: "limit", message: "cannot be combined with ids" });
  if (details.length > 0) return invalid("The replay request is invalid", details);
  return {
    kind: "ok",
    request: {
      ...filters,
      ...(since ? { from: since } : {}),
      ...(until ? { to: until } : {}),
      ...(ids ? { ids: [...new Set(ids)] } : {}),
      dryRun: dryRun ?? false,
      limit: limit ?? REPLAY_LIMIT.default,
      ...(cursor ? { cursor } : {}),
    },
  };
}

export async function replayFailed(
  tenantId: string,
  request: ReplayRequest,
  deps: ReplayDeps,
): Promise<ReplayResult> {
  const skipped: Skipped[] = [];
  let selected: StoredEvent[];
  let nextCursor: string | undefined;
  if (request.ids) {
    selected = await selectByIds(tenantId, request.ids, request, deps.reader, skipped);
  } else {
    try {
      const page = await deps.reader.listFailed({
        tenantId,
        limit: request.limit,
        ...pick(request),
        ...(request.cursor ? { cursor: request.cursor } : {}),
      });
      selected = page.items;
      nextCursor = page.nextCursor;
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        return { kind: "invalid_cursor", message: error.message };
      }
      throw error;
    }
  }
  const marker: ReplayMarker = { at: deps.now().toISOString(), requestId: deps.requestId };
  const replayable: { event: StoredEvent; message: QueuedEvent }[] = [];
  for (const event of selected) {
    const message = replayMessage(event, marker);
    // A salvaged malformed event may still not be a valid QueuedEvent: replaying it would
    // only record it as malformed again.
    const check = queuedEventSchema.safeParse(message);
    if (check.success) replayable.push({ event, message });
    else {
      const issue = check.error.issues[0];
      skipped.push({
        id: event.id,
        reason: "not_replayable",
        detail: `${issue?.path.join(".") || "(message)"}: ${issue?.message ?? "invalid"}`,
      });
    }
  }
  if (deps.schemas) await revalidate(tenantId, replayable, deps.schemas, skipped);
  const more = nextCursor ? { nextCursor } : {};
  if (request.dryRun) {
    return { kind: "dry_run", events: replayable.map((r) => candidate(r.event)), skipped, ...more };
  }
  const arms = await mapLimit(replayable, CONCURRENCY, (r) =>
    deps.recorder.armReplay(tenantId, r.event.id, marker),
  );
  const armed = replayable.filter((r, i) => {
    if (arms[i] === "armed") return true;
    skipped.push({ id: r.event.id, reason: "not_failed" });
    return false;
  });
  const ids: string[] = [];
  if (armed.length > 0) {
    const result = await deps.queue.enqueue(armed.map((r) => r.message));
    for (const index of result.queued) ids.push((armed[index] as (typeof armed)[number]).event.id);
    for (const f of result.failed) {
      const id = armed[f.index]?.event.id ?? "?";
      skipped.push({ id, reason: "enqueue_failed", detail: f.reason });
    }
  }
  return { kind: "replayed", ids, skipped, armed: armed.length, ...more };
}

/**
 * A replayed event meets its type's schema as it is now: one that still does not match
 * (enforce or quarantine) is skipped, since it would only fail again; one that matches is
 * stamped with the version, like a new event at ingest.
 */
async function revalidate(
  tenantId: string,
  replayable: { event: StoredEvent; message: QueuedEvent }[],
  schemas: SchemaChecker,
  skipped: Skipped[],
): Promise<void> {
  const verdicts = await schemas.check(
    tenantId,
    replayable.map((r) => ({ event: r.message.event, prefix: "" })),
  );
  const kept = replayable.filter((r, i) => {
    const verdict = verdicts[i];
    if (verdict?.kind === "pass") {
      if (verdict.version !== undefined) r.message.schema = { version: verdict.version };
      return true;
    }
    if (!verdict) return true;
    const [first] = verdict.kind === "reject" ? verdict.errors : verdict.violations;
    skipped.push({
      id: r.event.id,
      reason: "schema_violation",
      detail: first ? `${first.path}: ${first.message}` : "does not match its type's schema",
    });
    return false;
  });
  replayable.splice(0, replayable.length, ...kept);
}

const pick = (f: FailedFilter): FailedFilter => ({
  ...(f.type ? { type: f.type } : {}),
  ...(f.kind ? { kind: f.kind } : {}),
  ...(f.reason ? { reason: f.reason } : {}),
  ...(f.from ? { from: f.from } : {}),
  ...(f.to ? { to: f.to } : {}),
});

async function selectByIds(
  tenantId: string,
  ids: string[],
  filter: FailedFilter,
  reader: FailedEventReader,
  skipped: Skipped[],
): Promise<StoredEvent[]> {
  const found = await mapLimit(ids, CONCURRENCY, (id) => reader.get(tenantId, id));
  const selected: StoredEvent[] = [];
  ids.forEach((id, i) => {
    const event = found[i];
    if (!event) skipped.push({ id, reason: "not_found" });
    else if (event.status !== "failed") skipped.push({ id, reason: "not_failed" });
    else if (!matchesFilter(event, filter)) skipped.push({ id, reason: "not_matching" });
    else selected.push(event);
  });
  return selected;
}

const candidate = (e: StoredEvent): Candidate => ({
  id: e.id,
  type: e.type,
  ...(e.failure ? { kind: e.failure.kind, reason: e.failure.reason } : {}),
  ...(e.failedAt ? { failedAt: e.failedAt } : {}),
  attempts: e.attempts,
});

/** fn over items with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

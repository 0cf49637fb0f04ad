/**
 * GET /v1/failed: failed events, newest failure first, each with the original event, the
 * failure, its attempts and history. Filters:
 *   type    exact event type
 *   kind    business_rule | dead_letter | malformed
 *   reason  case-sensitive SUBSTRING of the failure reason ("amount" finds
 *           "purchase: data.amount must be greater than 0")
 *   from/to failedAt bounds (not receivedAt, unlike /v1/events): RFC 3339, or a duration
 *           back from now (30m, 1h, 7d)
 * type, kind and reason are DynamoDB filters: a page may come back short (even empty),
 * with a cursor and `partial: true`, when they match few events: the reader reads at most
 * 512 KiB of the failed index per request (DEFAULT_MAX_READ_BYTES).
 */
import * as z from "zod";
import { InvalidCursorError, MAX_CURSOR_LENGTH } from "../domain/cursor.js";
import {
  type AcceptedEvent,
  EVENT_TYPE_PATTERN,
  type FailureKind,
  type HistoryEntry,
  type StoredEvent,
} from "../domain/event.js";
import { FAILURE_KINDS, INSTANT_HINT, originalEvent, parseInstant } from "../domain/replay.js";
import type { FailedEventReader } from "../ports/failed-events.js";
import {
  type Invalid,
  LIST_LIMIT,
  pageLimit,
  parseParams,
  type QueryParams,
} from "./query-events.js";

export interface FailedEventView {
  id: string;
  type: string;
  /** The event as it was accepted: what a replay sends again. */
  event: AcceptedEvent;
  failure: { kind: FailureKind; reason: string };
  attempts: number;
  correlationId: string;
  receivedAt: string;
  failedAt: string;
  history: HistoryEntry[];
}

export interface FailedPage {
  items: FailedEventView[];
  nextCursor?: string;
  /** Cut at the per-request read bound (see ListPage): continue with nextCursor. */
  partial?: true;
}

/** An instant (RFC 3339 or a duration ago), normalized to ISO UTC. */
export const instantAt = (now: Date) =>
  z.string().transform((value, ctx) => {
    const instant = parseInstant(value, now);
    if (instant === undefined) {
      ctx.addIssue({ code: "custom", message: INSTANT_HINT });
      return z.NEVER;
    }
    return instant;
  });

export const typeFilter = z.string().regex(EVENT_TYPE_PATTERN, "must be a valid event type");
export const kindFilter = z.enum(FAILURE_KINDS as [FailureKind, ...FailureKind[]], {
  message: `must be one of ${FAILURE_KINDS.join(", ")}`,
});
export const reasonFilter = z.string().min(1).max(256);

/** Query parameters of GET /v1/failed (also the OpenAPI description's). */
export const listSchema = (now: Date) =>
  z.object({
    type: typeFilter.optional(),
    kind: kindFilter.optional(),
    reason: reasonFilter.optional(),
    from: instantAt(now).optional(),
    to: instantAt(now).optional(),
    limit: pageLimit.optional(),
    cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).optional(),
  });

export async function listFailedEvents(
  tenantId: string,
  params: QueryParams,
  reader: FailedEventReader,
  now: Date = new Date(),
): Promise<
  { kind: "ok"; page: FailedPage } | { kind: "invalid_cursor"; message: string } | Invalid
> {
  const parsed = parseParams(listSchema(now), params);
  if (parsed.kind === "invalid") return parsed;
  const { type, kind, reason, from, to, limit, cursor } = parsed.value;
  if (from && to && from > to) {
    return {
      kind: "invalid",
      message: "from must not be after to",
      details: [{ path: "from", message: "must not be after to" }],
    };
  }
  try {
    const page = await reader.listFailed({
      tenantId,
      limit: limit ?? LIST_LIMIT.default,
      ...(type ? { type } : {}),
      ...(kind ? { kind } : {}),
      ...(reason ? { reason } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(cursor ? { cursor } : {}),
    });
    return {
      kind: "ok",
      page: {
        items: page.items.map(failedView),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
        ...(page.partial ? { partial: true as const } : {}),
      },
    };
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      return { kind: "invalid_cursor", message: error.message };
    }
    throw error;
  }
}

export function failedView(e: StoredEvent): FailedEventView {
  return {
    id: e.id,
    type: e.type,
    event: originalEvent(e),
    failure: e.failure ?? { kind: "dead_letter", reason: "unknown" },
    attempts: e.attempts,
    correlationId: e.correlationId,
    receivedAt: e.receivedAt,
    failedAt: e.failedAt ?? e.receivedAt,
    history: e.history ?? [],
  };
}

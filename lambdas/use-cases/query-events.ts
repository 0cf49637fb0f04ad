/**
 * Read side of the API: one event by id, lists, and statistics. Query parameters are
 * validated here (strictly: an unknown or repeated parameter is an error, so a typo such
 * as `stauts=failed` does not silently list everything).
 */
import * as z from "zod";
import { InvalidCursorError, MAX_CURSOR_LENGTH } from "../domain/cursor.js";
import { EVENT_ID_PATTERN, EVENT_TYPE_PATTERN, type StoredEvent } from "../domain/event.js";
import { type FieldError, limitErrors } from "../domain/json.js";
import {
  type EventReader,
  ListNotAvailableError,
  type ListPage,
  type TypeStats,
} from "../ports/event-store.js";

export const LIST_LIMIT = { default: 25, max: 100 } as const;

/**
 * `limit` of a list: the pattern is exactly 1-100 (LIST_LIMIT.max), so the OpenAPI document,
 * generated from this schema, says what the API accepts.
 */
export const pageLimit = z
  .string()
  .regex(/^(?:100|[1-9][0-9]?)$/, `must be an integer from 1 to ${LIST_LIMIT.max}`)
  .transform(Number);
export const DEFAULT_STATS_WINDOW_MS = 24 * 3_600_000;

/** Query string values by name; a name given twice has two values. */
export type QueryParams = Record<string, string[] | undefined>;

export type Invalid = { kind: "invalid"; message: string; details: FieldError[] };

const invalid = (message: string, details: FieldError[]): Invalid => ({
  kind: "invalid",
  message,
  details: limitErrors(details, "(query)"),
});

export async function getEvent(
  tenantId: string,
  id: string | undefined,
  reader: EventReader,
): Promise<{ kind: "found"; event: StoredEvent } | { kind: "not_found" } | Invalid> {
  if (!id || !EVENT_ID_PATTERN.test(id)) {
    return invalid("The event id is invalid", [
      { path: "id", message: "must be 1-128 characters of A-Z a-z 0-9 . _ : -" },
    ]);
  }
  const event = await reader.get(tenantId, id);
  return event ? { kind: "found", event } : { kind: "not_found" };
}

/**
 * RFC 3339 with an offset, normalized to UTC with milliseconds like stored receivedAt.
 * Range keys compare as strings, so an instant whose UTC year leaves 0000-9999
 * (9999-12-31T23:00:00-05:00 is "+010000-...") would compare wrongly: refused.
 */
const instant = z.iso
  .datetime({ offset: true, message: "must be an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z" })
  .transform((v) => new Date(v).toISOString())
  .refine((v) => /^\d{4}-/.test(v), "must fall within the years 0000-9999 in UTC");

/** Query parameters of GET /v1/events (also the OpenAPI description's). */
export const listSchema = z.object({
  type: z.string().regex(EVENT_TYPE_PATTERN, "must be a valid event type").optional(),
  status: z.enum(["processed", "failed"], { message: "must be processed or failed" }).optional(),
  from: instant.optional(),
  to: instant.optional(),
  limit: pageLimit.optional(),
  cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).optional(),
});

/** Query parameters of GET /v1/stats (also the OpenAPI description's). */
export const statsSchema = z.object({ from: instant.optional(), to: instant.optional() });

export async function listEvents(
  tenantId: string,
  params: QueryParams,
  reader: EventReader,
): Promise<{ kind: "ok"; page: ListPage } | { kind: "invalid_cursor"; message: string } | Invalid> {
  const parsed = parseParams(listSchema, params);
  if (parsed.kind === "invalid") return parsed;
  const { type, status, from, to, limit, cursor } = parsed.value;
  if (from && to && from > to) return invalid("from must not be after to", [rangeError]);
  try {
    const page = await reader.list({
      tenantId,
      limit: limit ?? LIST_LIMIT.default,
      ...(type ? { type } : {}),
      ...(status ? { status } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(cursor ? { cursor } : {}),
    });
    return { kind: "ok", page };
  } catch (error) {
    if (error instanceof InvalidCursorError)
      return { kind: "invalid_cursor", message: error.message };
    if (error instanceof ListNotAvailableError) {
      return invalid(error.message, [{ path: "type", message: "is required by this deployment" }]);
    }
    throw error;
  }
}

export interface StatsReport {
  from: string;
  to: string;
  types: TypeStats[];
  totals: { processed: number; failed: number; duplicate: number };
}

export async function eventStats(
  tenantId: string,
  params: QueryParams,
  reader: EventReader,
  now: Date = new Date(),
): Promise<{ kind: "ok"; report: StatsReport } | Invalid> {
  const parsed = parseParams(statsSchema, params);
  if (parsed.kind === "invalid") return parsed;
  const shift = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
  // Default window: the 24 hours before `to` (now when absent).
  const to = parsed.value.to ?? now.toISOString();
  const from = parsed.value.from ?? shift(to, -DEFAULT_STATS_WINDOW_MS);
  if (from > to) return invalid("from must not be after to", [rangeError]);
  const types = await reader.stats(tenantId, from, to);
  const totals = { processed: 0, failed: 0, duplicate: 0 };
  for (const t of types) {
    totals.processed += t.processed;
    totals.failed += t.failed;
    totals.duplicate += t.duplicate;
  }
  return { kind: "ok", report: { from, to, types, totals } };
}

const rangeError: FieldError = { path: "from", message: "must not be after to" };

export function parseParams<T extends z.ZodObject>(
  schema: T,
  params: QueryParams,
): { kind: "ok"; value: z.output<T> } | Invalid {
  const details: FieldError[] = [];
  const single: Record<string, string> = {};
  for (const [name, values = []] of Object.entries(params)) {
    if (!Object.hasOwn(schema.shape, name))
      details.push({ path: name, message: "is not a known parameter" });
    else if (values.length > 1) details.push({ path: name, message: "must be given once" });
    else if (values[0] !== undefined) single[name] = values[0];
  }
  const parsed = schema.safeParse(single);
  for (const issue of parsed.error?.issues ?? []) {
    details.push({ path: issue.path.map(String).join(".") || "(query)", message: issue.message });
  }
  if (details.length > 0 || !parsed.success) {
    return invalid("The query parameters are invalid", details);
  }
  return { kind: "ok", value: parsed.data };
}

/**
 * Windows and patterns over the API: declare (validated, event patterns compiled, a new
 * version each time), list, read results, remove, backfill an aggregation from stored events.
 */
import { type PatternSpec, patternSchema } from "../domain/cep.js";
import { isDerivedType } from "../domain/derived-events.js";
import { DURATION_HINT, durationAgo } from "../domain/duration.js";
import type { StoredEvent } from "../domain/event.js";
import { compileEventPattern, EventPatternError } from "../domain/event-pattern.js";
import { type FieldError, limitErrors } from "../domain/json.js";
import {
  type AggregationSpec,
  aggregationSchema,
  computeWindows,
  contributionOf,
  DAY_MS,
  DECLARATION_NAME_PATTERN,
  readRangeFor,
} from "../domain/windowing.js";
import type { EventReader } from "../ports/event-store.js";
import type {
  AggregationDeclaration,
  ContributionStore,
  Declaration,
  DeclarationKind,
} from "../ports/windows.js";
import { aggregationExpiry } from "./apply-windows.js";

export type Invalid = { kind: "invalid"; message: string; details: FieldError[] };

const invalid = (message: string, details: FieldError[] = []): Invalid => ({
  kind: "invalid",
  message,
  details: limitErrors(details),
});

const issuesOf = (
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): FieldError[] => issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));

export function checkName(name: string): Invalid | undefined {
  return DECLARATION_NAME_PATTERN.test(name)
    ? undefined
    : invalid("Invalid name", [
        {
          path: "name",
          message: "must be 1-64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)",
        },
      ]);
}

/** Parses and checks a declaration body; event patterns must compile. */
export function parseDeclaration(
  kind: DeclarationKind,
  body: unknown,
): { kind: "ok"; spec: AggregationSpec | PatternSpec } | Invalid {
  const parsed = (kind === "aggregation" ? aggregationSchema : patternSchema).safeParse(body);
  if (!parsed.success) {
    const details = issuesOf(parsed.error.issues);
    return invalid(
      `${details.length} field${details.length === 1 ? " is" : "s are"} invalid`,
      details,
    );
  }
  const spec = parsed.data;
  const patterns: [string, unknown][] =
    kind === "aggregation"
      ? [["match", (spec as AggregationSpec).match]]
      : (spec as PatternSpec).steps.map((s, i) => [`steps.${i}.match`, s.match]);
  const details: FieldError[] = [];
  for (const [path, pattern] of patterns) {
    try {
      compileEventPattern(pattern);
    } catch (error) {
      if (!(error instanceof EventPatternError)) throw error;
      details.push({ path: error.path ? `${path}.${error.path}` : path, message: error.reason });
    }
  }
  if (details.length > 0) return invalid("The event pattern is invalid", details);
  return { kind: "ok", spec };
}

/** A declaration as the API shows it. */
export const declarationView = (d: Declaration) => ({
  name: d.name,
  version: d.version,
  createdAt: d.createdAt,
  ...d.spec,
});

export interface ResultsQuery {
  from: number;
  to: number;
  /** The group's values (JSON array, in groupBy order). */
  group?: string;
}

/** Bound of one results request's time range. */
export const MAX_RESULTS_RANGE_MS = 7 * DAY_MS;

export function parseResultsQuery(
  params: Record<string, string[] | undefined>,
  spec: AggregationSpec,
  now: number,
): { kind: "ok"; query: ResultsQuery } | Invalid {
  const details: FieldError[] = [];
  for (const key of Object.keys(params)) {
    if (!["from", "to", "group", "version"].includes(key)) {
      details.push({ path: key, message: "is not a parameter of this operation" });
    }
  }
  const time = (name: string, fallback: number): number => {
    const v = params[name]?.[0];
    if (v === undefined) return fallback;
    const t = Date.parse(v);
    if (!Number.isFinite(t) || !/^\d{4}-\d\d-\d\dT/.test(v)) {
      details.push({ path: name, message: "must be an RFC 3339 date-time" });
    }
    return t;
  };
  const to = time("to", now);
  const from = time("from", to - 60 * 60 * 1000);
  if (details.length === 0 && !(from < to))
    details.push({ path: "from", message: "must be before to" });
  if (details.length === 0 && to - from > MAX_RESULTS_RANGE_MS) {
    details.push({ path: "from", message: "from..to spans at most 7 days" });
  }
  let group: string | undefined;
  const raw = params.group?.[0];
  if (raw !== undefined) {
    // A JSON array of the group-by values, or the value itself with one group-by path.
    let values: unknown;
    try {
      values = JSON.parse(raw);
    } catch {
      values = raw;
    }
    if (!Array.isArray(values)) values = [values];
    if ((values as unknown[]).length !== spec.groupBy.length) {
      details.push({
        path: "group",
        message: `must give ${spec.groupBy.length} value(s), one per groupBy path, as a JSON array`,
      });
    } else {
      group = JSON.stringify(values);
    }
  }
  if (details.length > 0) return invalid("Invalid query parameters", details);
  return { kind: "ok", query: { from, to, ...(group ? { group } : {}) } };
}

/** Windows overlapping [from, to), marked closed or open, from the stored contributions. */
export async function aggregationResults(
  decl: AggregationDeclaration,
  query: ResultsQuery,
  deps: { contributions: ContributionStore; now: number },
) {
  const spec = decl.spec;
  const range = readRangeFor(spec, query.from, query.to);
  const read = await deps.contributions.readAggregation(decl, range.from, range.to);
  const windows = computeWindows(spec, read.items).filter(
    (w) =>
      w.end > query.from &&
      w.start < query.to &&
      (query.group === undefined || w.group === query.group),
  );
  return {
    name: decl.name,
    version: decl.version,
    window: spec.window,
    groupBy: spec.groupBy,
    from: new Date(query.from).toISOString(),
    to: new Date(query.to).toISOString(),
    truncated: read.truncated,
    windows: windows.map((w) => {
      const values = JSON.parse(w.group) as unknown[];
      return {
        group: Object.fromEntries(spec.groupBy.map((p, i) => [p, values[i] ?? null])),
        start: new Date(w.start).toISOString(),
        end: new Date(w.end).toISOString(),
        closesAt: new Date(w.closeAt).toISOString(),
        closed: w.closeAt <= deps.now,
        count: w.count,
        measures: w.measures,
        late: w.late,
        ...(w.partial ? { partial: true } : {}),
      };
    }),
  };
}

export interface BackfillRequest {
  from: string;
  to: string;
  cursor?: string;
}

/** Events one backfill call reads at most (it answers with a cursor to continue). */
export const BACKFILL_PAGE_EVENTS = 2_000;

/** `from` and `to`: RFC 3339, or a duration back from now (`24h`); `to` defaults to now. */
export function parseBackfill(
  body: unknown,
  now: Date,
): { kind: "ok"; request: BackfillRequest } | Invalid {
  const details: FieldError[] = [];
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!["from", "to", "cursor"].includes(key))
      details.push({ path: key, message: "is not allowed" });
  }
  const instant = (key: string, fallback?: string): string | undefined => {
    const v = b[key];
    if (v === undefined && fallback !== undefined) return fallback;
    const iso =
      typeof v === "string"
        ? (durationAgo(v, now) ??
          (/^\d{4}-\d\d-\d\dT/.test(v) && Number.isFinite(Date.parse(v))
            ? new Date(Date.parse(v)).toISOString()
            : undefined))
        : undefined;
    if (iso === undefined) {
      details.push({
        path: key,
        message: `must be an RFC 3339 date-time or ${DURATION_HINT} (back from now)`,
      });
    }
    return iso;
  };
  const from = instant("from");
  const to = instant("to", now.toISOString());
  if (b.cursor !== undefined && typeof b.cursor !== "string") {
    details.push({ path: "cursor", message: "must be a string" });
  }
  if (details.length === 0 && from !== undefined && to !== undefined && !(from < to)) {
    details.push({ path: "from", message: "must be before to" });
  }
  if (details.length > 0 || from === undefined || to === undefined) {
    return invalid("Invalid backfill request", details);
  }
  return {
    kind: "ok",
    request: { from, to, ...(typeof b.cursor === "string" ? { cursor: b.cursor } : {}) },
  };
}

/**
 * The core of every backfill (this API's, from the table, and a history replay with an
 * aggregation target, from the archive): each processed, non-derived event matching the
 * declaration contributes as if processed live, with its stored `processedAt` as its
 * storedAt (so what was on time then is on time now). Contributions are keyed by
 * (version, event id) and written only if absent: nothing ever counts twice. Answers how
 * many events contributed (or had already).
 */
export async function contributeStored(
  decl: AggregationDeclaration,
  events: readonly StoredEvent[],
  deps: {
    contributions: ContributionStore;
    retentionDays: number;
    matches: (event: object) => boolean;
  },
): Promise<number> {
  const writes: Promise<void>[] = [];
  for (const event of events) {
    if (event.status !== "processed" || isDerivedType(event.type) || !deps.matches(event)) {
      continue;
    }
    const storedAt = Date.parse(event.processedAt ?? event.receivedAt);
    const c = contributionOf(decl.spec, event, storedAt);
    writes.push(
      deps.contributions.putAggregation(
        decl,
        c,
        aggregationExpiry(decl.spec, c.t, deps.retentionDays),
      ),
    );
  }
  await Promise.all(writes);
  return writes.length;
}

/**
 * Backfill: the stored processed events received in [from, to) contribute to this version
 * as if processed live, each with its stored `processedAt` as its storedAt (so what was on
 * time then is on time now). Idempotent like live contributions: run it twice, or over a
 * range live processing also covered, and nothing counts twice.
 */
export async function backfill(
  decl: AggregationDeclaration,
  request: BackfillRequest,
  deps: {
    reader: EventReader;
    contributions: ContributionStore;
    retentionDays: number;
    matches: (event: object) => boolean;
  },
): Promise<{ scanned: number; contributed: number; nextCursor?: string }> {
  let scanned = 0;
  let contributed = 0;
  let cursor = request.cursor;
  do {
    const page = await deps.reader.list({
      tenantId: decl.tenantId,
      status: "processed",
      from: request.from,
      to: request.to,
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    scanned += page.items.length;
    contributed += await contributeStored(decl, page.items, deps);
    cursor = page.nextCursor;
  } while (cursor && scanned < BACKFILL_PAGE_EVENTS);
  return { scanned, contributed, ...(cursor ? { nextCursor: cursor } : {}) };
}

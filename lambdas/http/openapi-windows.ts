/**
 * The OpenAPI operations of windows and patterns (/v1/aggregations, /v1/patterns), merged
 * into OPERATIONS (openapi-operations.ts). Requests are the zod schemas the handler parses
 * declarations with (domain/windowing.ts, domain/cep.ts).
 */
import * as z from "zod";
import { patternSchema } from "../domain/cep.js";
import { aggregationSchema } from "../domain/windowing.js";
import type { OperationSpec, ResponseSpec } from "./openapi-operations.js";
import { errorEnvelopeSchema } from "./openapi-schemas.js";

const error = (description: string): ResponseSpec => ({
  description,
  content: { "application/json": errorEnvelopeSchema },
});

export const declarationSchema = z
  .looseObject({
    name: z.string(),
    version: z.number().int().min(1),
    createdAt: z.string(),
  })
  .meta({ description: "A declaration as stored: name, version, createdAt and its fields" });

const declarationListSchema = z.object({ items: z.array(declarationSchema) });

export const windowResultSchema = z.object({
  group: z.record(z.string(), z.unknown()).meta({ description: "groupBy path -> value" }),
  start: z.string(),
  end: z.string(),
  closesAt: z.string().meta({ description: "end + allowedLateness" }),
  closed: z.boolean().meta({
    description: "Past closesAt: its measures are final; later arrivals count in `late`",
  }),
  count: z.number().int(),
  measures: z.record(z.string(), z.number().nullable()),
  late: z.number().int().meta({ description: "Events of this window stored after it closed" }),
  partial: z.boolean().optional().meta({ description: "A count window cut by its `per` boundary" }),
});

export const aggregationResultsSchema = z.object({
  declaration: declarationSchema,
  name: z.string(),
  version: z.number().int(),
  window: z.record(z.string(), z.unknown()),
  groupBy: z.array(z.string()),
  from: z.string(),
  to: z.string(),
  truncated: z.boolean().meta({ description: "The read bound (windowMaxReadItems) was hit" }),
  windows: z.array(windowResultSchema),
});

const backfillBodySchema = z
  .object({
    from: z.string().meta({ description: "RFC 3339, or a duration back from now (24h)" }),
    to: z.string().optional().meta({ description: "RFC 3339 or a duration back; default now" }),
    cursor: z.string().optional().meta({ description: "The previous call's nextCursor" }),
  })
  .strict();

const backfillResultSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  scanned: z.number().int(),
  contributed: z.number().int(),
  nextCursor: z.string().optional(),
});

const removedSchema = z.object({ name: z.string(), removed: z.literal(true) });

const versionQuery = z.object({
  version: z
    .string()
    .regex(/^[1-9][0-9]*$/)
    .optional(),
});

const WINDOWS_DESCRIPTION =
  "Aggregations are computed from each stored event's contribution, written once per (declaration version, event): duplicates, redeliveries, crashes and replays never count twice. Windows close at end + allowedLateness; later arrivals count in `late`. When a window closes an `eventflow.window.closed` event enters the pipeline (stored and routable like any event).";

export const WINDOWS_OPERATIONS: Record<string, OperationSpec> = {
  "GET /v1/aggregations": {
    operationId: "listAggregations",
    summary: "List the tenant's aggregations",
    tag: "windows",
    responses: {
      "200": {
        description: "Current declarations",
        content: { "application/json": declarationListSchema },
      },
      "400": error("A query parameter was given (none is taken)"),
    },
  },
  "PUT /v1/aggregations/{name}": {
    operationId: "putAggregation",
    summary: "Declare an aggregation (a new version each time)",
    description: `${WINDOWS_DESCRIPTION} Window kinds: tumbling (size 1m-1d), hopping (size, hop), session (gap; sessions never cross a multiple of maxDuration), count (every N events per group, restarting at each multiple of per). Measures: count, sum, min, max, avg of a numeric path; distinct (exact up to 256 values, then HyperLogLog, ~1.6%). Events already stored before the declaration count only after a backfill.`,
    tag: "windows",
    body: { required: true, content: { "application/json": aggregationSchema } },
    responses: {
      "200": {
        description: "A new version of an existing aggregation",
        content: { "application/json": declarationSchema },
      },
      "201": {
        description: "Created (version 1)",
        content: { "application/json": declarationSchema },
      },
      "400": error("The declaration (or its event pattern, or the name) is invalid"),
      "409": error("Changed by a concurrent request; send it again"),
    },
  },
  "GET /v1/aggregations/{name}": {
    operationId: "getAggregationResults",
    summary: "An aggregation's windows between from and to",
    description: `${WINDOWS_DESCRIPTION} Answers every window overlapping [from, to) (default: the last hour), each marked closed or open.`,
    tag: "windows",
    query: {
      schema: z.object({
        from: z.string().optional(),
        to: z.string().optional(),
        group: z.string().optional(),
        version: z
          .string()
          .regex(/^[1-9][0-9]*$/)
          .optional(),
      }),
      descriptions: {
        from: "RFC 3339; default to - 1 hour",
        to: "RFC 3339; default now (at most 7 days after from)",
        group:
          'Only this group: a JSON array of the groupBy values (["user-1"]), or the value itself with one groupBy path',
        version: "A past version (default the current one)",
      },
    },
    responses: {
      "200": {
        description: "The windows",
        content: { "application/json": aggregationResultsSchema },
      },
      "400": error("A parameter is invalid"),
      "404": error("No such aggregation (or version)"),
    },
  },
  "DELETE /v1/aggregations/{name}": {
    operationId: "deleteAggregation",
    summary: "Remove an aggregation (its stored contributions expire)",
    tag: "windows",
    responses: {
      "200": { description: "Removed", content: { "application/json": removedSchema } },
      "400": error("The name or a query parameter is invalid"),
      "404": error("No such aggregation"),
    },
  },
  "POST /v1/aggregations/{name}/backfill": {
    operationId: "backfillAggregation",
    summary: "Backfill an aggregation from stored events",
    description:
      "Stored processed events received in [from, to) contribute to the current version as if processed live (each with its stored processedAt). Idempotent: running it twice counts nothing twice. Reads at most 2,000 events per call: continue with nextCursor.",
    tag: "windows",
    body: { required: true, content: { "application/json": backfillBodySchema } },
    responses: {
      "200": {
        description: "What was read and contributed",
        content: { "application/json": backfillResultSchema },
      },
      "400": error("The request or the cursor is invalid"),
      "404": error("No such aggregation"),
    },
  },
  "GET /v1/patterns": {
    operationId: "listPatterns",
    summary: "List the tenant's patterns",
    tag: "windows",
    responses: {
      "200": {
        description: "Current declarations",
        content: { "application/json": declarationListSchema },
      },
      "400": error("A query parameter was given (none is taken)"),
    },
  },
  "PUT /v1/patterns/{name}": {
    operationId: "putPattern",
    summary: "Declare a pattern: sequence, absence or threshold (a new version each time)",
    description:
      "sequence: steps in order for the same key within `within` (each later step the earliest qualifying event; `where` compares with earlier steps' fields). absence: step 1 not followed by step 2 within `within` (fires after within + allowedLateness, within windowFenceSeconds + windowSweepSeconds). threshold: `count` events of step 1 within `within`. A match emits `eventflow.pattern.matched` with the pattern, key and contributing event ids, stored and routable like any event, exactly once.",
    tag: "windows",
    body: { required: true, content: { "application/json": patternSchema } },
    responses: {
      "200": { description: "A new version", content: { "application/json": declarationSchema } },
      "201": {
        description: "Created (version 1)",
        content: { "application/json": declarationSchema },
      },
      "400": error("The declaration (or an event pattern, or the name) is invalid"),
      "409": error("Changed by a concurrent request; send it again"),
    },
  },
  "GET /v1/patterns/{name}": {
    operationId: "getPattern",
    summary:
      "A pattern's declaration (its matches are events: GET /v1/events?type=eventflow.pattern.matched)",
    tag: "windows",
    query: { schema: versionQuery, descriptions: { version: "A past version" } },
    responses: {
      "200": { description: "The declaration", content: { "application/json": declarationSchema } },
      "400": error("A parameter is invalid"),
      "404": error("No such pattern (or version)"),
    },
  },
  "DELETE /v1/patterns/{name}": {
    operationId: "deletePattern",
    summary: "Remove a pattern (its state expires)",
    tag: "windows",
    responses: {
      "200": { description: "Removed", content: { "application/json": removedSchema } },
      "400": error("The name or a query parameter is invalid"),
      "404": error("No such pattern"),
    },
  },
};

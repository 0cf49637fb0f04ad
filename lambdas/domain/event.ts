/**
 * The event contract at the edge. Field names follow CloudEvents 1.0 (id, type,
 * source, subject, time, data) so a CloudEvents mode maps onto it one to one.
 */
import { z } from "zod";
import type { FieldError } from "./json.js";

export const LIMITS = {
  /** One event, serialized as JSON (UTF-8 bytes). */
  maxEventBytes: 64 * 1024,
  /** Events in one `{"events": [...]}` request. */
  maxBatchEvents: 500,
  /** A whole request body (UTF-8 bytes). */
  maxBodyBytes: 1024 * 1024,
  /** DynamoDB rejects documents nested deeper than 32 levels; the item wrapper takes one. */
  maxDataDepth: 30,
} as const;

/** Client-chosen ids are the idempotency key: safe in keys, URLs and logs. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** Types become part of index keys: no `#`, no spaces, no control characters. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9._:/-]{1,128}$/;
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const DEFAULT_TENANT = "default";

/** Stored ids of CloudEvents start with this (cloudevents.ts); native ids may not. */
export const CLOUDEVENT_ID_PREFIX = "ce:";

export const incomingEventSchema = z
  .object({
    id: z
      .string()
      .regex(EVENT_ID_PATTERN, "must be 1-128 characters of A-Z a-z 0-9 . _ : -")
      .regex(/^(?!ce:)/, `must not start with ${CLOUDEVENT_ID_PREFIX} (kept for CloudEvents)`)
      .optional(),
    type: z
      .string({ error: "is required and must be a string" })
      .regex(EVENT_TYPE_PATTERN, "must be 1-128 characters of A-Z a-z 0-9 . _ : / -"),
    source: z.string().min(1).max(1024).optional(),
    subject: z.string().min(1).max(1024).optional(),
    time: z.iso.datetime({ offset: true, message: "must be an RFC 3339 date-time" }).optional(),
    data: z.record(z.string(), z.unknown(), { error: "is required and must be a JSON object" }),
  })
  .strict();

export type IncomingEvent = z.output<typeof incomingEventSchema>;

/**
 * What a CloudEvent carries beyond the native fields (type, source, subject and time map
 * one to one). The stored `data` is always a JSON object; `dataEncoding` says how the
 * CloudEvent's data sits in it (lambdas/domain/cloudevents.ts renders it back):
 * - `object`: the data was a JSON object and is `data` itself;
 * - `json`: any other JSON value (array, string, number, boolean, null), in `data.value`;
 * - `text`: a text payload of a non-JSON datacontenttype, as a string in `data.value`;
 * - `base64`: a binary payload, base64-encoded in `data.value`;
 * - `none`: the CloudEvent had no data; `data` is `{}`.
 */
export const cloudEventMetaSchema = z
  .object({
    specversion: z.literal("1.0"),
    /** The producer's id; the stored id is derived from source + id. */
    id: z.string().min(1),
    datacontenttype: z.string().min(1).optional(),
    dataschema: z.string().min(1).optional(),
    extensions: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    dataEncoding: z.enum(["object", "json", "text", "base64", "none"]),
  })
  .strict();

export type CloudEventMeta = z.output<typeof cloudEventMetaSchema>;

/** An accepted event: its id is always set (client's or a generated UUIDv7). */
export type AcceptedEvent = IncomingEvent & { id: string; cloudEvent?: CloudEventMeta };

/** The SQS message body, versioned so producers and consumers can be deployed apart. */
export interface QueuedEvent {
  v: 1;
  tenantId: string;
  /** ISO time the API accepted the event: the start of end-to-end latency. */
  receivedAt: string;
  correlationId: string;
  event: AcceptedEvent;
  /** Set when an operator replayed a failed event (POST /v1/failed/replay). */
  replay?: ReplayMarker;
  /**
   * Set when the event comes again from the archive (POST /v1/replays): stored with the
   * event if it is written now; an event the table still holds is a duplicate as always.
   */
  replayId?: string;
  /**
   * The schema registry's verdict (use-cases/schema-gate.ts): the version the event was
   * validated against, and in `quarantine` mode what it violated (stored as failed).
   */
  schema?: SchemaStamp;
}

export const schemaStampSchema = z
  .object({
    version: z.int().min(1),
    violations: z
      .array(
        z.object({
          path: z.string(),
          message: z.string(),
          pointer: z.string().optional(),
          keyword: z.string().optional(),
        }),
      )
      .max(20)
      .optional(),
  })
  .strict();

export type SchemaStamp = z.output<typeof schemaStampSchema>;

/**
 * Marks a message as the replay of a failed event: the consumers then replace the failed
 * record (use-cases/replay-failed.ts). Optional and additive: a consumer that predates it
 * strips it, sees a redelivery of a stored id and leaves the event failed (nothing lost;
 * replay again once every consumer knows the marker).
 */
export const replayMarkerSchema = z
  .object({ at: z.iso.datetime(), requestId: z.string().min(1).max(128) })
  .strict();

export type ReplayMarker = z.output<typeof replayMarkerSchema>;

export const queuedEventSchema = z.object({
  v: z.literal(1),
  tenantId: z.string().regex(TENANT_ID_PATTERN),
  receivedAt: z.iso.datetime(),
  correlationId: z.string().min(1).max(256),
  event: incomingEventSchema.extend({
    id: z.string().regex(EVENT_ID_PATTERN),
    cloudEvent: cloudEventMetaSchema.optional(),
  }),
  replay: replayMarkerSchema.optional(),
  replayId: z.string().regex(EVENT_ID_PATTERN).optional(),
  schema: schemaStampSchema.optional(),
});

export type EventStatus = "processed" | "failed";

/** `malformed`: a queue message that is not a valid QueuedEvent but names its tenant and id. */
/** `schema_violation`: the event did not match its type's schema in `quarantine` mode. */
export type FailureKind = "business_rule" | "dead_letter" | "malformed" | "schema_violation";

export interface HistoryEntry {
  at: string;
  action: "failed" | "replayed" | "processed";
  detail?: string;
}

/** What the table holds for one event, as the query API returns it. */
export interface StoredEvent {
  id: string;
  tenantId: string;
  type: string;
  source?: string;
  subject?: string;
  time?: string;
  data: Record<string, unknown>;
  status: EventStatus;
  receivedAt: string;
  correlationId: string;
  /** Receives it took (1 for a first-time success). */
  attempts: number;
  processedAt?: string;
  /** processedAt (or failedAt) minus receivedAt, in milliseconds. */
  latencyMs?: number;
  enrichment?: { category?: string; [key: string]: unknown };
  /** Present when the event arrived as a CloudEvent. */
  cloudEvent?: CloudEventMeta;
  failedAt?: string;
  /** `errors`: a schema violation's field errors (JSON pointers into the event). */
  failure?: { kind: FailureKind; reason: string; errors?: FieldError[] };
  history?: HistoryEntry[];
  /** The history replay (POST /v1/replays) that brought this event back, if one did. */
  replayId?: string;
  /** The version of the type's schema the event was validated against (schema registry). */
  schemaVersion?: number;
  /** The version of the tenant's rules that processed it (GET /v1/rules; 0: the defaults). */
  rulesetVersion?: number;
  /** Deliveries its rules' route actions asked for (enqueued after the event was stored). */
  routes?: RouteRecord[];
  /** Rule expressions that failed on this event; it was stored all the same. */
  ruleErrors?: RuleErrorRecord[];
}

/** One route decision: which rule sent the event to which destination, under which id. */
export interface RouteRecord {
  rule: string;
  destinationId: string;
  /** Stable per (tenant, event, destination): the delivery's id and webhook-id. */
  deliveryId: string;
}

export interface RuleErrorRecord {
  rule: string;
  /** Where in the rule: `actions[0].set.category`, `actions[1].transform`. */
  at: string;
  message: string;
}

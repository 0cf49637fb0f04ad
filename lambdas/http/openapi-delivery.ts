/**
 * The OpenAPI description of the destinations and deliveries routes (merged into
 * OPERATIONS by openapi-operations.ts): request schemas are the ones the use cases
 * validate with; answers are described here.
 */
import { z } from "zod";
import { DELIVERY_ID_PATTERN, DESTINATION_ID_PATTERN } from "../domain/delivery.js";
import { DELIVERY_STATUSES } from "../domain/delivery-record.js";
import {
  createDestinationBodySchema,
  DESTINATION_KINDS,
  patchDestinationSchema,
} from "../domain/destination.js";
import {
  deliveriesListSchema,
  destinationReplaySchema,
  REPLAY_MAX_EVENTS,
  rotateSchema,
} from "../use-cases/manage-destinations.js";
import { errorEnvelopeSchema } from "./openapi-schemas.js";

interface ResponseSpec {
  description: string;
  content?: Record<string, z.ZodType>;
}

const error = (description: string): ResponseSpec => ({
  description,
  content: { "application/json": errorEnvelopeSchema },
});

export const destinationSchema = z.looseObject({
  id: z.string().regex(DESTINATION_ID_PATTERN),
  name: z.string(),
  description: z.string().optional(),
  kind: z.enum(DESTINATION_KINDS),
  ordered: z.boolean(),
  enabled: z.boolean(),
  maxConcurrency: z.number().int().optional(),
  rateLimitPerSecond: z.number().int().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  disabledAt: z.string().optional(),
  disabledReason: z.string().optional(),
  failingSince: z.string().optional(),
  lastSuccessAt: z.string().optional(),
  lastFailureAt: z.string().optional(),
  openUntil: z.string().optional(),
  consecutiveFailures: z.number().int().optional(),
  url: z.string().optional(),
  headers: z
    .record(z.string(), z.literal("***"))
    .optional()
    .meta({ description: "Custom header names; their values are never shown again" }),
  secretRotation: z.object({ previousExpiresAt: z.string() }).optional(),
});

export const createdDestinationSchema = destinationSchema.extend({
  secret: z
    .string()
    .regex(/^whsec_/)
    .optional()
    .meta({ description: "Webhooks: the signing secret, shown this once" }),
});

export const destinationListSchema = z.object({ items: z.array(destinationSchema) });

const attemptSchema = z.looseObject({
  number: z.number().int().min(1),
  at: z.string(),
  outcome: z.enum(["delivered", "retryable", "final"]),
  status: z.number().int().optional(),
  latencyMs: z.number(),
  response: z.string().optional().meta({ description: "The first KiB of the answer" }),
  error: z.string().optional(),
  retryAfterSeconds: z.number().optional(),
});

export const deliverySchema = z.looseObject({
  id: z.string().regex(DELIVERY_ID_PATTERN).meta({ description: "Also the webhook-id" }),
  destinationId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  subject: z.string().optional(),
  status: z.enum(DELIVERY_STATUSES),
  createdAt: z.string(),
  updatedAt: z.string(),
  attemptCount: z.number().int(),
  attempts: z.array(attemptSchema),
  nextAttemptAt: z.string().optional(),
  deliveredAt: z.string().optional(),
  failedAt: z.string().optional(),
  failure: z.object({ reason: z.string() }).optional(),
  generation: z.number().int(),
});

export const deliveryPageSchema = z.object({
  items: z.array(deliverySchema),
  nextCursor: z.string().optional(),
});

const idParam = "The destination id (`dst_...`)";

export const DELIVERY_OPERATIONS = {
  "POST /v1/destinations": {
    operationId: "createDestination",
    summary: "Create a destination",
    description:
      "A webhook (signed per Standard Webhooks), Slack incoming webhook, email (SES), SQS queue, SNS topic or EventBridge bus. A webhook's signing secret (`whsec_...`) is in this answer only. URLs must be https and may not reach private, loopback, link-local or unique-local addresses (checked now and on every connection). AWS targets must be named with the deployment's deliveryTargetPrefix (default `eventflow-dest-`). `ordered: true` delivers each subject's events one at a time, in order.",
    tag: "destinations",
    body: { required: true, content: { "application/json": createDestinationBodySchema } },
    responses: {
      "201": {
        description: "Created (with the webhook's secret, shown once)",
        content: { "application/json": createdDestinationSchema },
      },
      "400": error("The body is invalid, or the target is refused (details name the field)"),
    },
  },
  "GET /v1/destinations": {
    operationId: "listDestinations",
    summary: "List destinations",
    description: "Never a secret; custom header values shown as `***`.",
    tag: "destinations",
    responses: {
      "200": {
        description: "The tenant's destinations",
        content: { "application/json": destinationListSchema },
      },
      "400": error("A query parameter was given (none is known)"),
    },
  },
  "GET /v1/destinations/{id}": {
    operationId: "getDestination",
    summary: "Get a destination, its health and state",
    tag: "destinations",
    responses: {
      "200": { description: "The destination", content: { "application/json": destinationSchema } },
      "400": error("The id is not a destination id"),
      "404": error("No destination of this tenant has this id"),
    },
  },
  "PATCH /v1/destinations/{id}": {
    operationId: "updateDestination",
    summary: "Change a destination (or enable / disable it)",
    description:
      "`enabled: true` re-enables a disabled destination and starts its failure streak over.",
    tag: "destinations",
    body: { required: true, content: { "application/json": patchDestinationSchema } },
    responses: {
      "200": {
        description: "The destination as changed",
        content: { "application/json": destinationSchema },
      },
      "400": error("The body is invalid or names a field of another kind"),
      "404": error("No destination of this tenant has this id"),
      "409": error("The destination changed meanwhile: read it and try again"),
    },
  },
  "DELETE /v1/destinations/{id}": {
    operationId: "deleteDestination",
    summary: "Delete a destination (its pending deliveries end as failed)",
    tag: "destinations",
    responses: {
      "200": {
        description: "Deleted",
        content: { "application/json": z.object({ id: z.string(), deleted: z.literal(true) }) },
      },
      "400": error("The id is not a destination id"),
      "404": error("No destination of this tenant has this id"),
    },
  },
  "POST /v1/destinations/{id}/rotate-secret": {
    operationId: "rotateDestinationSecret",
    summary: "Rotate a webhook's signing secret",
    description:
      "A new secret, shown once. The previous one keeps signing beside it (two signatures in `webhook-signature`) for `overlapHours` (default 24), so receivers can switch without missing a delivery.",
    tag: "destinations",
    body: { required: false, content: { "application/json": rotateSchema } },
    responses: {
      "200": {
        description: "The new secret",
        content: {
          "application/json": z.object({
            id: z.string(),
            secret: z.string().regex(/^whsec_/),
            previousSecretExpiresAt: z.string().nullable(),
          }),
        },
      },
      "400": error("Not a webhook destination, or the body is invalid"),
      "404": error("No destination of this tenant has this id"),
    },
  },
  "POST /v1/destinations/{id}/replay": {
    operationId: "replayToDestination",
    summary: "Deliver stored events of a time range to this destination",
    description: `Every stored event received between \`from\` and \`to\` (and matching \`pattern\`, an EventBridge event pattern as in rules) is delivered, oldest first. An event the destination already received is not sent again (a delivery's id is a hash of event and destination). At most ${REPLAY_MAX_EVENTS} events per call: split longer ranges (oldest first). \`dryRun\` counts and changes nothing.`,
    tag: "destinations",
    body: { required: true, content: { "application/json": destinationReplaySchema } },
    responses: {
      "200": {
        description: "Dry run",
        content: {
          "application/json": z.object({
            dryRun: z.literal(true),
            matched: z.number().int(),
            scanned: z.number().int(),
            eventIds: z.array(z.string()),
          }),
        },
      },
      "202": {
        description: "Queued",
        content: {
          "application/json": z.object({
            dryRun: z.literal(false),
            matched: z.number().int(),
            scanned: z.number().int(),
            queued: z.number().int(),
            failedEventIds: z.array(z.string()),
          }),
        },
      },
      "400": error("The body or the pattern is invalid, or the range holds too many events"),
      "404": error("No destination of this tenant has this id"),
      "409": error("The destination is disabled"),
    },
  },
  "GET /v1/deliveries": {
    operationId: "listDeliveries",
    summary: "The delivery log, newest first",
    description:
      "Each delivery with its attempts (time, status, latency, first KiB of the answer or the error). Filters: destination, event, status, time (createdAt).",
    tag: "destinations",
    query: {
      schema: deliveriesListSchema,
      descriptions: {
        destination: "Only this destination's",
        event: "Only this event's",
        status: "pending, delivered or failed",
        from: "created at or after (RFC 3339)",
        to: "created at or before (RFC 3339)",
        limit: "Deliveries per page (default 25)",
        cursor: "The previous page's nextCursor",
      },
    },
    responses: {
      "200": {
        description: "A page of deliveries",
        content: { "application/json": deliveryPageSchema },
      },
      "400": error("A parameter or the cursor is invalid"),
    },
  },
  "GET /v1/deliveries/{id}": {
    operationId: "getDelivery",
    summary: "One delivery and its attempts",
    tag: "destinations",
    responses: {
      "200": { description: "The delivery", content: { "application/json": deliverySchema } },
      "400": error("The id is not a delivery id"),
      "404": error(
        "No delivery of this tenant has this id (or its event was erased: DELETE /v1/subjects/{subject})",
      ),
    },
  },
  "POST /v1/deliveries/{id}/retry": {
    operationId: "retryDelivery",
    summary: "Deliver again (a failed or delivered delivery, same webhook-id)",
    tag: "destinations",
    responses: {
      "202": {
        description: "Queued again",
        content: {
          "application/json": z.object({
            id: z.string(),
            status: z.literal("pending"),
            generation: z.number().int(),
          }),
        },
      },
      "400": error("The id is not a delivery id"),
      "404": error("No delivery of this tenant has this id"),
      "409": error("The destination was deleted or is disabled"),
    },
  },
} as const;

export const DELIVERY_PATH_ID = {
  description: `${idParam}, or a delivery id (\`dlv_...\`) under /v1/deliveries`,
};

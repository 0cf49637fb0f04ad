/**
 * Destinations: where a tenant's events go. Six kinds, each with its own target fields;
 * webhooks carry a signing secret (Standard Webhooks, `whsec_` + base64 of 24 random bytes)
 * shown once, at creation or rotation, and never again. Stored in the configuration table
 * (CONFIG_KINDS.destination), secrets encrypted (lambdas/domain/secret-box.ts).
 */
import { randomBytes } from "node:crypto";
import * as z from "zod";
import { base32 } from "./base32.js";
import { DESTINATION_ID_PATTERN } from "./delivery.js";

export { DESTINATION_ID_PATTERN };

export const DESTINATION_KINDS = [
  "webhook",
  "slack",
  "email",
  "sqs",
  "sns",
  "eventbridge",
] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

/** Header names a destination may not set: the signature's, the transport's. */
const RESERVED_HEADERS = new Set([
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "content-type",
  "content-length",
  "host",
  "connection",
  "transfer-encoding",
  "user-agent",
]);

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, "must be an HTTP header name")
  .refine((n) => !RESERVED_HEADERS.has(n.toLowerCase()), "is set by EventFlow");
const headerValueSchema = z
  .string()
  .max(1024)
  .regex(/^[\t\x20-\x7e]*$/, "must be printable ASCII");

const url = z.string().min(1).max(2048);
const templateText = z.string().min(1).max(4000);
const email = z.email().max(254);

const arnOf = (service: string) =>
  z
    .string()
    .regex(
      new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_./-]{1,256}$`),
      `must be an ${service} ARN`,
    );

export const webhookTargetSchema = z
  .object({
    kind: z.literal("webhook"),
    url,
    headers: z.record(headerName, headerValueSchema).optional(),
  })
  .strict();
export const slackTargetSchema = z
  .object({
    kind: z.literal("slack"),
    url,
    /** Message text; `{{type}}`, `{{id}}`, `{{subject}}`, `{{data.field}}` are replaced. */
    template: templateText.optional(),
  })
  .strict();
export const emailTargetSchema = z
  .object({
    kind: z.literal("email"),
    to: z.array(email).min(1).max(50),
    subject: z.string().min(1).max(998).optional(),
    template: templateText.optional(),
  })
  .strict();
export const sqsTargetSchema = z
  .object({ kind: z.literal("sqs"), queueUrl: z.url().max(2048) })
  .strict();
export const snsTargetSchema = z
  .object({ kind: z.literal("sns"), topicArn: arnOf("sns") })
  .strict();
export const eventBridgeTargetSchema = z
  .object({
    kind: z.literal("eventbridge"),
    eventBusArn: arnOf("events"),
    /** The entries' Source; default `eventflow.<tenant>`. */
    source: z.string().min(1).max(256).optional(),
  })
  .strict();

export const targetSchema = z.discriminatedUnion("kind", [
  webhookTargetSchema,
  slackTargetSchema,
  emailTargetSchema,
  sqsTargetSchema,
  snsTargetSchema,
  eventBridgeTargetSchema,
]);
export type DestinationTarget = z.output<typeof targetSchema>;

const common = {
  name: z.string().min(1).max(128),
  description: z.string().max(1024).optional(),
  /** Deliveries of one subject arrive one at a time in order (an SQS FIFO group). */
  ordered: z.boolean().optional(),
  /** Calls in flight at once per deliver instance (default destinationMaxConcurrency). */
  maxConcurrency: z.number().int().min(1).max(1000).optional(),
  /** Calls per second per deliver instance (default: no limit). */
  rateLimitPerSecond: z.number().int().min(1).max(10_000).optional(),
};

/** POST /v1/destinations: the target's fields sit next to the common ones. */
export const createDestinationSchema = z.intersection(z.object(common).strict(), targetSchema);
export const createDestinationBodySchema = z.discriminatedUnion("kind", [
  webhookTargetSchema.extend(common),
  slackTargetSchema.extend(common),
  emailTargetSchema.extend(common),
  sqsTargetSchema.extend(common),
  snsTargetSchema.extend(common),
  eventBridgeTargetSchema.extend(common),
]);
export type CreateDestination = z.output<typeof createDestinationBodySchema>;

/** PATCH /v1/destinations/{id}: any common field, `enabled`, and the kind's own fields. */
export const patchDestinationSchema = z
  .object({
    name: common.name.optional(),
    description: common.description,
    ordered: common.ordered,
    maxConcurrency: common.maxConcurrency.nullable(),
    rateLimitPerSecond: common.rateLimitPerSecond.nullable(),
    /** true re-enables a disabled destination (its failure streak starts over). */
    enabled: z.boolean().optional(),
    url: url.optional(),
    headers: z.record(headerName, headerValueSchema).optional(),
    template: templateText.optional(),
    subject: z.string().min(1).max(998).optional(),
    to: z.array(email).min(1).max(50).optional(),
    queueUrl: z.url().max(2048).optional(),
    topicArn: arnOf("sns").optional(),
    eventBusArn: arnOf("events").optional(),
    source: z.string().min(1).max(256).optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, "change at least one field");
export type PatchDestination = z.output<typeof patchDestinationSchema>;

/** A signing secret: the current one, and the previous one while a rotation overlaps. */
export interface SigningSecrets {
  current: string;
  previous?: { secret: string; expiresAt: string };
}

/** A destination as stored (secrets decrypted by the store). */
export interface Destination {
  id: string;
  tenantId: string;
  name: string;
  description?: string;
  target: DestinationTarget;
  ordered: boolean;
  maxConcurrency?: number;
  rateLimitPerSecond?: number;
  enabled: boolean;
  disabledAt?: string;
  disabledReason?: string;
  createdAt: string;
  updatedAt: string;
  /** Webhooks only. */
  secrets?: SigningSecrets;
  /** Health: the first failure of the current streak (none: last attempt succeeded). */
  failingSince?: string;
  lastSuccessAt?: string;
  lastFailureAt?: string;
  /** Circuit breaker: deliveries wait until then instead of calling a failing destination. */
  openUntil?: string;
  consecutiveFailures?: number;
}

/** What the API shows: never a secret; custom header values masked (they often carry tokens). */
export function publicDestination(d: Destination): Record<string, unknown> {
  const { secrets, tenantId: _t, target, ...rest } = d;
  const shownTarget =
    target.kind === "webhook" && target.headers
      ? {
          ...target,
          headers: Object.fromEntries(Object.keys(target.headers).map((k) => [k, "***"])),
        }
      : target;
  return {
    ...rest,
    ...shownTarget,
    ...(secrets
      ? {
          secretRotation: secrets.previous
            ? { previousExpiresAt: secrets.previous.expiresAt }
            : undefined,
        }
      : {}),
  };
}

/** `dst_` + 26 base32 characters (130 random bits). */
export function newDestinationId(): string {
  return `dst_${base32(randomBytes(17)).slice(0, 26)}`;
}

/** A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

/** The changes of a PATCH applied to a destination's target; an error names a field of another kind. */
export function patchedTarget(
  target: DestinationTarget,
  patch: PatchDestination,
): { ok: true; target: DestinationTarget } | { ok: false; field: string } {
  const own: Record<DestinationKind, readonly string[]> = {
    webhook: ["url", "headers"],
    slack: ["url", "template"],
    email: ["to", "subject", "template"],
    sqs: ["queueUrl"],
    sns: ["topicArn"],
    eventbridge: ["eventBusArn", "source"],
  };
  const targetFields = [
    "url",
    "headers",
    "template",
    "subject",
    "to",
    "queueUrl",
    "topicArn",
    "eventBusArn",
    "source",
  ];
  const next: Record<string, unknown> = { ...target };
  for (const field of targetFields) {
    const value = (patch as Record<string, unknown>)[field];
    if (value === undefined) continue;
    if (!own[target.kind].includes(field)) return { ok: false, field };
    next[field] = value;
  }
  return { ok: true, target: targetSchema.parse(next) };
}

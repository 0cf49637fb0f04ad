/**
 * The destinations API's logic: create (secret shown once), read (never a secret), change,
 * delete, rotate a webhook's secret (the old one keeps signing beside the new one for the
 * overlap), the delivery log, a manual retry, and replay of stored events to a destination.
 *
 * URLs are checked by the UrlGuard (shape, then every address the name resolves to); AWS
 * targets must be named with the deployment's prefix (deliveryTargetPrefix), the only
 * resources the deliver function's role may send to.
 */
import { z } from "zod";
import type { DeliverableEvent, DeliveryOrigin, DeliveryRequest } from "../domain/delivery.js";
import { DELIVERY_STATUSES } from "../domain/delivery-record.js";
import {
  type CreateDestination,
  createDestinationBodySchema,
  type Destination,
  type DestinationTarget,
  newDestinationId,
  newSigningSecret,
  patchDestinationSchema,
  patchedTarget,
  publicDestination,
} from "../domain/destination.js";
import type { StoredEvent } from "../domain/event.js";
import { type FieldError, limitErrors } from "../domain/json.js";
import type { DeliveryLog } from "../ports/delivery-log.js";
import type { DeliveryQueue } from "../ports/delivery-queue.js";
import type { UrlGuard } from "../ports/delivery-senders.js";
import type { DestinationStore } from "../ports/destinations.js";
import type { EventReader } from "../ports/event-store.js";
import { type Invalid, pageLimit, parseParams, type QueryParams } from "./query-events.js";

export interface DestinationsConfig {
  targetPrefix: string;
}

/** A compiled event filter (EventBridge pattern), or an error message naming the bad part. */
export type PatternCompiler = (pattern: unknown) => (event: object) => boolean;

export interface DestinationsDeps {
  store: DestinationStore;
  guard: UrlGuard;
  log: DeliveryLog;
  queue: DeliveryQueue;
  reader: EventReader;
  compilePattern: PatternCompiler;
  config: DestinationsConfig;
  now?: () => Date;
}

export type Result<T> =
  | { kind: "ok"; value: T }
  | Invalid
  | { kind: "not_found" }
  | { kind: "conflict"; message: string };

const invalid = (message: string, details: FieldError[]): Invalid => ({
  kind: "invalid",
  message,
  details: limitErrors(details, "(body)"),
});

function zodInvalid(error: z.ZodError, message = "The request body is invalid"): Invalid {
  return invalid(
    message,
    error.issues.map((i) => ({
      path: i.path.map(String).join(".") || "(body)",
      message: i.message,
    })),
  );
}

/** The queue, topic or bus name in a target (its last path or ARN part). */
function awsTargetName(target: DestinationTarget): string | undefined {
  switch (target.kind) {
    case "sqs":
      return target.queueUrl.split("/").pop();
    case "sns":
      return target.topicArn.split(":").pop();
    case "eventbridge":
      return target.eventBusArn.split("/").pop();
    default:
      return undefined;
  }
}

async function checkTarget(
  target: DestinationTarget,
  deps: DestinationsDeps,
): Promise<FieldError[]> {
  if (target.kind === "webhook" || target.kind === "slack") {
    const problem = await deps.guard.check(target.url);
    return problem ? [{ path: "url", message: `refused: ${problem}` }] : [];
  }
  const name = awsTargetName(target);
  if (name !== undefined && !name.startsWith(deps.config.targetPrefix)) {
    const field =
      target.kind === "sqs" ? "queueUrl" : target.kind === "sns" ? "topicArn" : "eventBusArn";
    return [
      {
        path: field,
        message: `the name must start with ${deps.config.targetPrefix} (deliveryTargetPrefix)`,
      },
    ];
  }
  return [];
}

export async function createDestination(
  tenantId: string,
  body: unknown,
  deps: DestinationsDeps,
): Promise<Result<Record<string, unknown>>> {
  const parsed = createDestinationBodySchema.safeParse(body);
  if (!parsed.success) return zodInvalid(parsed.error);
  const input: CreateDestination = parsed.data;
  const { name, description, ordered, maxConcurrency, rateLimitPerSecond, ...target } = input;
  const problems = await checkTarget(target as DestinationTarget, deps);
  if (problems.length > 0) return invalid("The destination's target is refused", problems);
  const at = (deps.now?.() ?? new Date()).toISOString();
  const secret = target.kind === "webhook" ? newSigningSecret() : undefined;
  const destination: Destination = {
    id: newDestinationId(),
    tenantId,
    name,
    ...(description !== undefined ? { description } : {}),
    target: target as DestinationTarget,
    ordered: ordered ?? false,
    ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    ...(rateLimitPerSecond !== undefined ? { rateLimitPerSecond } : {}),
    enabled: true,
    createdAt: at,
    updatedAt: at,
    ...(secret ? { secrets: { current: secret } } : {}),
  };
  await deps.store.create(destination);
  // The only answer that ever carries the secret.
  return {
    kind: "ok",
    value: { ...publicDestination(destination), ...(secret ? { secret } : {}) },
  };
}

export async function listDestinations(tenantId: string, deps: Pick<DestinationsDeps, "store">) {
  const items = await deps.store.list(tenantId);
  items.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  return { items: items.map(publicDestination) };
}

export async function getDestination(
  tenantId: string,
  id: string,
  deps: Pick<DestinationsDeps, "store">,
): Promise<Result<Record<string, unknown>>> {
  const d = await deps.store.get(tenantId, id);
  return d ? { kind: "ok", value: publicDestination(d) } : { kind: "not_found" };
}

export async function patchDestination(
  tenantId: string,
  id: string,
  body: unknown,
  deps: DestinationsDeps,
): Promise<Result<Record<string, unknown>>> {
  const parsed = patchDestinationSchema.safeParse(body);
  if (!parsed.success) return zodInvalid(parsed.error);
  const patch = parsed.data;
  const current = await deps.store.get(tenantId, id);
  if (!current) return { kind: "not_found" };
  const target = patchedTarget(current.target, patch);
  if (!target.ok) {
    return invalid("The request body is invalid", [
      { path: target.field, message: `is not a field of a ${current.target.kind} destination` },
    ]);
  }
  if (patch.url !== undefined || patch.queueUrl || patch.topicArn || patch.eventBusArn) {
    const problems = await checkTarget(target.target, deps);
    if (problems.length > 0) return invalid("The destination's target is refused", problems);
  }
  const at = (deps.now?.() ?? new Date()).toISOString();
  const next: Destination = {
    ...current,
    target: target.target,
    updatedAt: at,
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.ordered !== undefined ? { ordered: patch.ordered } : {}),
  };
  if (patch.maxConcurrency !== undefined) {
    if (patch.maxConcurrency === null) delete next.maxConcurrency;
    else next.maxConcurrency = patch.maxConcurrency;
  }
  if (patch.rateLimitPerSecond !== undefined) {
    if (patch.rateLimitPerSecond === null) delete next.rateLimitPerSecond;
    else next.rateLimitPerSecond = patch.rateLimitPerSecond;
  }
  if (patch.enabled === true) {
    next.enabled = true;
    delete next.disabledAt;
    delete next.disabledReason;
    delete next.failingSince;
    delete next.openUntil;
    delete next.consecutiveFailures;
  } else if (patch.enabled === false && current.enabled) {
    next.enabled = false;
    next.disabledAt = at;
    next.disabledReason = "disabled through the API";
  }
  if (!(await deps.store.replace(next, current.updatedAt))) {
    return {
      kind: "conflict",
      message: "The destination changed meanwhile: read it and try again",
    };
  }
  return { kind: "ok", value: publicDestination(next) };
}

export async function deleteDestination(
  tenantId: string,
  id: string,
  deps: Pick<DestinationsDeps, "store">,
) {
  return (await deps.store.delete(tenantId, id))
    ? { kind: "ok" as const }
    : { kind: "not_found" as const };
}

export const rotateSchema = z
  .object({
    /** How long the previous secret keeps signing beside the new one (default 24, at most 168). */
    overlapHours: z.number().int().min(0).max(168).default(24),
  })
  .strict();

export async function rotateSecret(
  tenantId: string,
  id: string,
  body: unknown,
  deps: DestinationsDeps,
): Promise<Result<Record<string, unknown>>> {
  const parsed = rotateSchema.safeParse(body ?? {});
  if (!parsed.success) return zodInvalid(parsed.error);
  const current = await deps.store.get(tenantId, id);
  if (!current) return { kind: "not_found" };
  if (current.target.kind !== "webhook" || !current.secrets) {
    return invalid("Only webhook destinations have a signing secret", [
      { path: "id", message: "is not a webhook destination" },
    ]);
  }
  const now = deps.now?.() ?? new Date();
  const secret = newSigningSecret();
  const previousExpiresAt = new Date(
    now.getTime() + parsed.data.overlapHours * 3_600_000,
  ).toISOString();
  await deps.store.setSecrets(
    tenantId,
    id,
    {
      current: secret,
      ...(parsed.data.overlapHours > 0
        ? { previous: { secret: current.secrets.current, expiresAt: previousExpiresAt } }
        : {}),
    },
    now.toISOString(),
  );
  return {
    kind: "ok",
    value: {
      id,
      secret,
      previousSecretExpiresAt: parsed.data.overlapHours > 0 ? previousExpiresAt : null,
    },
  };
}

const instant = z.iso
  .datetime({ offset: true, message: "must be an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z" })
  .transform((v) => new Date(v).toISOString());

/** Query parameters of GET /v1/deliveries (also the OpenAPI description's). */
export const deliveriesListSchema = z.object({
  destination: z
    .string()
    .regex(/^dst_[a-z0-9]{26}$/, "must be a destination id")
    .optional(),
  event: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, "must be an event id")
    .optional(),
  status: z.enum(DELIVERY_STATUSES, { message: "must be pending, delivered or failed" }).optional(),
  from: instant.optional(),
  to: instant.optional(),
  limit: pageLimit.optional(),
  cursor: z.string().min(1).max(4096).optional(),
});

export async function listDeliveries(
  tenantId: string,
  params: QueryParams,
  deps: Pick<DestinationsDeps, "log">,
) {
  const parsed = parseParams(deliveriesListSchema, params);
  if (parsed.kind === "invalid") return parsed;
  const { destination, event, status, from, to, limit, cursor } = parsed.value;
  const page = await deps.log.list({
    tenantId,
    limit: limit ?? 25,
    ...(destination ? { destinationId: destination } : {}),
    ...(event ? { eventId: event } : {}),
    ...(status ? { status } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(cursor ? { cursor } : {}),
  });
  return { kind: "ok" as const, value: page };
}

export async function retryDelivery(
  tenantId: string,
  id: string,
  deps: DestinationsDeps,
): Promise<Result<Record<string, unknown>> | { kind: "unavailable"; message: string }> {
  const message = await deps.log.message(tenantId, id);
  if (!message) return { kind: "not_found" };
  const destination = await deps.store.get(tenantId, message.destinationId);
  if (!destination) return { kind: "conflict", message: "The delivery's destination was deleted" };
  if (!destination.enabled) {
    return {
      kind: "conflict",
      message: "The destination is disabled: enable it first (PATCH enabled: true)",
    };
  }
  const generation = await deps.log.rearm(tenantId, id, deps.now?.() ?? new Date());
  if (generation === undefined) return { kind: "not_found" };
  const [result] = await deps.queue.enqueue([
    {
      tenantId,
      destinationId: message.destinationId,
      event: message.event,
      ...(message.payload !== undefined ? { payload: message.payload } : {}),
      ordered: destination.ordered,
      ...(message.correlationId ? { correlationId: message.correlationId } : {}),
      origin: { kind: "retry" },
      generation,
    },
  ]);
  if (!result?.ok)
    return { kind: "unavailable", message: "The delivery could not be queued: retry" };
  return { kind: "ok", value: { id, status: "pending", generation } };
}

/** Events one replay call reads at most: a range holding more must be split. */
export const REPLAY_MAX_EVENTS = 5000;

export const destinationReplaySchema = z
  .object({
    from: instant,
    to: instant,
    /** An EventBridge event pattern the events must match (as a rule's). */
    pattern: z.record(z.string(), z.unknown()).optional(),
    dryRun: z.boolean().default(false),
  })
  .strict();

/**
 * Every stored event received in [from, to] (and matching `pattern`) is delivered to the
 * destination, oldest first. Delivery ids are the same as a rule's would be, so an event
 * the destination already received is not sent twice. A range holding more than
 * REPLAY_MAX_EVENTS events is refused: split it (oldest part first, for ordered ones).
 */
export async function replayToDestination(
  tenantId: string,
  id: string,
  body: unknown,
  deps: DestinationsDeps,
): Promise<Result<Record<string, unknown>> | { kind: "unavailable"; message: string }> {
  const parsed = destinationReplaySchema.safeParse(body);
  if (!parsed.success) return zodInvalid(parsed.error);
  const { from, to, pattern, dryRun } = parsed.data;
  if (from > to)
    return invalid("from must not be after to", [
      { path: "from", message: "must not be after to" },
    ]);
  let matches: (event: object) => boolean = () => true;
  if (pattern) {
    try {
      matches = deps.compilePattern(pattern);
    } catch (error) {
      return invalid("The pattern is invalid", [
        { path: "pattern", message: (error as Error).message },
      ]);
    }
  }
  const destination = await deps.store.get(tenantId, id);
  if (!destination) return { kind: "not_found" };
  if (!destination.enabled) {
    return {
      kind: "conflict",
      message: "The destination is disabled: enable it first (PATCH enabled: true)",
    };
  }
  const events: StoredEvent[] = [];
  let cursor: string | undefined;
  let scanned = 0;
  do {
    const page = await deps.reader.list({
      tenantId,
      from,
      to,
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    scanned += page.items.length;
    if (scanned > REPLAY_MAX_EVENTS) {
      return invalid(`The range holds more than ${REPLAY_MAX_EVENTS} events: split it`, [
        {
          path: "from",
          message: `at most ${REPLAY_MAX_EVENTS} events per replay; replay the oldest part first`,
        },
      ]);
    }
    events.push(...page.items.filter((e) => matches(e)));
    cursor = page.nextCursor;
  } while (cursor);
  events.reverse(); // oldest first
  if (dryRun) {
    return {
      kind: "ok",
      value: {
        dryRun: true,
        matched: events.length,
        scanned,
        eventIds: events.slice(0, 100).map((e) => e.id),
      },
    };
  }
  const { queued, failedEventIds: failed } = await enqueueReplay(
    deps.queue,
    tenantId,
    { id, ordered: destination.ordered },
    events,
    { kind: "replay" },
  );
  if (queued === 0 && failed.length > 0)
    return { kind: "unavailable", message: "Nothing could be queued: retry" };
  return {
    kind: "ok",
    value: { dryRun: false, matched: events.length, scanned, queued, failedEventIds: failed },
  };
}

/**
 * The one way a replay hands events to a destination (this API's replay of stored events,
 * and a history replay with a destination target, lambdas/use-cases/history-jobs.ts): in the
 * order given (oldest first), the default body (not a rule's transformation), under the
 * delivery ids a rule's route would use (a hash of tenant, event and destination), so an
 * event the destination already got meets its ended delivery record and is not sent again.
 */
export async function enqueueReplay(
  queue: DeliveryQueue,
  tenantId: string,
  destination: { id: string; ordered: boolean },
  events: readonly (DeliverableEvent & { correlationId?: string })[],
  origin: DeliveryOrigin,
): Promise<{ queued: number; failedEventIds: string[] }> {
  const requests: DeliveryRequest[] = events.map((event) => ({
    tenantId,
    destinationId: destination.id,
    event,
    ordered: destination.ordered,
    ...(event.correlationId ? { correlationId: event.correlationId } : {}),
    origin,
  }));
  let queued = 0;
  const failedEventIds: string[] = [];
  for (let i = 0; i < requests.length; i += 100) {
    const results = await queue.enqueue(requests.slice(i, i + 100));
    results.forEach((r, j) => {
      if (r.ok) queued++;
      else failedEventIds.push(requests[i + j]?.event.id ?? "");
    });
  }
  return { queued, failedEventIds };
}

export const FILTER_KEYS = [
  "destination",
  "event",
  "status",
  "from",
  "to",
  "limit",
  "cursor",
] as const;

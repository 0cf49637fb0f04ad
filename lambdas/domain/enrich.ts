/**
 * From a queued event to the record the table stores. Pure: time and attempts are
 * passed in, so a test pins them.
 */
import type {
  FailureKind,
  QueuedEvent,
  RouteRecord,
  RuleErrorRecord,
  StoredEvent,
} from "./event.js";
import type { FieldError } from "./json.js";
import type { SalvagedEvent } from "./message.js";

export interface Attempt {
  /** When the record is written (processedAt or failedAt). */
  at: Date;
  /** The message's ApproximateReceiveCount (1 on the first delivery). */
  attempts: number;
}

/** The client's event plus the fields the API stamped on it; no outcome yet. */
type EventCore = Pick<
  StoredEvent,
  | "id"
  | "tenantId"
  | "type"
  | "source"
  | "subject"
  | "time"
  | "data"
  | "receivedAt"
  | "correlationId"
  | "cloudEvent"
  | "replayId"
  | "schemaVersion"
>;

const coreOf = (message: QueuedEvent): EventCore => ({
  id: message.event.id,
  tenantId: message.tenantId,
  type: message.event.type,
  source: message.event.source,
  subject: message.event.subject,
  time: message.event.time,
  data: message.event.data,
  receivedAt: message.receivedAt,
  correlationId: message.correlationId,
  ...(message.event.cloudEvent ? { cloudEvent: message.event.cloudEvent } : {}),
  ...(message.replayId ? { replayId: message.replayId } : {}),
  ...(message.schema ? { schemaVersion: message.schema.version } : {}),
});

// Clocks of two functions may disagree by a few ms; a negative latency would only mislead.
const latency = (receivedAt: string, at: Date) =>
  Math.max(0, at.getTime() - Date.parse(receivedAt));

/** What the tenant's rules made of an event that passed them (domain/rules.ts). */
export interface RulesResult {
  rulesetVersion: number;
  enrichment?: Record<string, unknown>;
  routes?: RouteRecord[];
  errors?: RuleErrorRecord[];
}

/** Rule fields on a stored record; empty lists and objects are left out. */
const rulesFields = (rules: RulesResult | undefined): Partial<StoredEvent> =>
  rules
    ? {
        rulesetVersion: rules.rulesetVersion,
        ...(rules.enrichment && Object.keys(rules.enrichment).length > 0
          ? { enrichment: rules.enrichment }
          : {}),
        ...(rules.routes?.length ? { routes: rules.routes } : {}),
        ...(rules.errors?.length ? { ruleErrors: rules.errors } : {}),
      }
    : {};

export function enrich(message: QueuedEvent, attempt: Attempt, rules?: RulesResult): StoredEvent {
  const core = coreOf(message);
  const processedAt = attempt.at.toISOString();
  return {
    ...core,
    status: "processed",
    attempts: attempt.attempts,
    processedAt,
    latencyMs: latency(core.receivedAt, attempt.at),
    ...rulesFields(rules),
  };
}

export interface Failure extends Attempt {
  kind: FailureKind;
  reason: string;
  /** A schema violation's field errors. */
  errors?: FieldError[];
  /** A rule's reject: the version that rejected it (and errors of rules before it). */
  rules?: RulesResult;
}

function failedFrom(core: EventCore, failure: Failure): StoredEvent {
  const failedAt = failure.at.toISOString();
  return {
    ...core,
    status: "failed",
    attempts: failure.attempts,
    failedAt,
    latencyMs: latency(core.receivedAt, failure.at),
    failure: {
      kind: failure.kind,
      reason: failure.reason,
      ...(failure.errors ? { errors: failure.errors } : {}),
    },
    history: [{ at: failedAt, action: "failed", detail: failure.reason }],
    ...(failure.rules
      ? rulesFields({ rulesetVersion: failure.rules.rulesetVersion, errors: failure.rules.errors })
      : {}),
  };
}

export const failedEvent = (message: QueuedEvent, failure: Failure): StoredEvent =>
  failedFrom(coreOf(message), failure);

/**
 * An event accepted in `quarantine` mode that does not match its schema: failed at once
 * (never retried: the same data fails the same schema), with the errors, replayable once
 * the schema is fixed (the replay validates it again).
 */
export function failedSchemaViolation(
  message: QueuedEvent,
  attempt: Attempt,
): StoredEvent | undefined {
  const violations = message.schema?.violations;
  if (!violations || violations.length === 0 || !message.schema) return undefined;
  const [first] = violations;
  const more = violations.length > 1 ? ` (and ${violations.length - 1} more)` : "";
  return failedEvent(message, {
    ...attempt,
    kind: "schema_violation",
    reason: `does not match version ${message.schema.version} of the ${message.event.type} schema: ${first?.path} ${first?.message}${more}`,
    errors: violations,
  });
}

/** A salvaged malformed message; what it lacks comes from the SQS message. */
export function failedMalformed(
  salvaged: SalvagedEvent,
  failure: Omit<Failure, "kind">,
  fallbackCorrelationId: string,
): StoredEvent {
  return failedFrom(
    {
      id: salvaged.id,
      tenantId: salvaged.tenantId,
      type: salvaged.type,
      source: salvaged.source,
      subject: salvaged.subject,
      time: salvaged.time,
      data: salvaged.data,
      receivedAt: salvaged.receivedAt ?? failure.at.toISOString(),
      correlationId: salvaged.correlationId ?? fallbackCorrelationId,
    },
    { ...failure, kind: "malformed" },
  );
}

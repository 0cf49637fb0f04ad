/**
 * Error classification: what a failure means for the message that caused it.
 *
 *   duplicate  - the event is already stored (a conditional write lost): success, never retried.
 *   permanent  - the message itself can never succeed (malformed, invalid by a schema):
 *                retrying would only repeat the same answer. (A business-rule violation is
 *                permanent too, but it is a verdict, not an error: domain/rules.ts.)
 *   transient  - anything else, including errors we do not recognise: retry with backoff,
 *                then the DLQ. An unknown error is never silently swallowed.
 */

export type ErrorClass = "duplicate" | "transient" | "permanent";

/** Why a transient error is retried; only used to label logs. */
export type TransientCause = "throttling" | "service" | "network" | "unknown";

/** Base of the errors that are properties of the message, not of the environment. */
export class PermanentError extends Error {
  override name = "PermanentError";
}

/** The message body is not a QueuedEvent this consumer understands. */
export class MalformedMessageError extends PermanentError {
  override name = "MalformedMessageError";
}

const THROTTLING = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "Throttling",
]);

const SERVICE = new Set([
  "InternalServerError",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
]);

const NETWORK = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "TimeoutError",
  "AbortError",
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const asErrorLike = (error: unknown): ErrorLike | undefined =>
  typeof error === "object" && error !== null ? (error as ErrorLike) : undefined;

export function classify(error: unknown): ErrorClass {
  const e = asErrorLike(error);
  if (e?.name === "ConditionalCheckFailedException") return "duplicate";
  if (error instanceof PermanentError) return "permanent";
  // zod errors are structural: the same input fails the same way every time. Matched by
  // name so that a second copy of zod (bundling) still classifies the same.
  if (e?.name === "ZodError" || e?.name === "$ZodError") return "permanent";
  return "transient";
}

/** The recognised cause of a transient error (for logs); unknown ones are retried all the same. */
export function transientCause(error: unknown): TransientCause {
  for (let e = asErrorLike(error), depth = 0; e && depth < 5; e = asErrorLike(e.cause), depth++) {
    const name = typeof e.name === "string" ? e.name : "";
    const code = typeof e.code === "string" ? e.code : "";
    if (THROTTLING.has(name) || THROTTLING.has(code)) return "throttling";
    if (SERVICE.has(name) || SERVICE.has(code)) return "service";
    if (NETWORK.has(name) || NETWORK.has(code)) return "network";
    const status = e.$metadata?.httpStatusCode;
    if (typeof status === "number" && status >= 500) return "service";
    if (status === 429) return "throttling";
  }
  return "unknown";
}

/**
 * What a record handler rethrows: Powertools' batch processor reads `error.message` of
 * whatever a record threw, so a thrown `undefined` or `null` would fail the whole
 * invocation (every record back, the stored ones redone) instead of listing that record.
 */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(describeError(error), { cause: error });
}

/** A short, log-safe description (no stack, no SDK response body). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500);
  return String(error).slice(0, 500);
}

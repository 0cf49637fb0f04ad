/**
 * The answers API Gateway makes itself (keys, limits, unknown routes, oversized requests,
 * failed or slow functions), in the handlers' error envelope: one definition for the
 * stack's gateway responses (lib/constructs/api.ts) and the local runtime's gateway
 * (local/gateway/), so clients see the same status, code, message
 * and headers on AWS and locally. No aws-cdk-lib import: the local runtime loads this.
 */
import type { GatewayHeaderValue } from "./cors.js";

/** RFC 6750 challenge sent with every 401. */
export const WWW_AUTHENTICATE = 'Bearer realm="eventflow"';

/**
 * Retry-After of a throttled request (seconds): a token bucket refills within a second
 * at any rate the settings allow.
 */
export const THROTTLED_RETRY_AFTER_SECONDS = 1;

/**
 * Retry-After once a tenant's daily quota is used up. API Gateway's gateway responses
 * carry static or request-copied header values only, so it cannot say "at midnight UTC"
 * (when a DAY quota resets); an hour keeps clients from hammering the API. The local
 * runtime sends the same.
 */
export const QUOTA_RETRY_AFTER_SECONDS = 3600;

export interface AuthAnswer {
  status: number;
  code: string;
  message: string;
}

export const AUTH_ANSWERS = {
  /** No Authorization header, or a malformed, unknown, revoked or expired key. */
  unauthorized: {
    status: 401,
    code: "unauthorized",
    message:
      "A valid API key is required: send Authorization: Bearer <key> (or the key as the Basic auth user name)",
  },
  /** The key's scopes do not open this route (the authorizer's policy). */
  forbidden: {
    status: 403,
    code: "forbidden",
    message: "This API key is not allowed to call this route (missing scope)",
  },
  /** The tenant has no usage plan key API Gateway knows (INVALID_API_KEY). */
  noUsagePlan: {
    status: 403,
    code: "forbidden",
    message: "This API key's tenant has no usage plan: recreate the key with npm run keys",
  },
  throttled: { status: 429, code: "throttled", message: "Too Many Requests" },
  quotaExceeded: {
    status: 429,
    code: "quota_exceeded",
    message: "The tenant's daily request quota is used up",
  },
} as const satisfies Record<string, AuthAnswer>;

/** The message of the 5xx answers that say nothing more (the request id is what helps). */
export const INTERNAL_ERROR_MESSAGE =
  "The request could not be completed; quote the requestId when reporting it";

/** The other answers API Gateway makes: route, size, integration. */
export const GATEWAY_ANSWERS = {
  /**
   * No such resource or method (MISSING_AUTHENTICATION_TOKEN, REST API's default 403
   * "Missing Authentication Token"): a 404, as the functions answer an unknown route.
   */
  routeNotFound: { status: 404, code: "route_not_found", message: "No such route" },
  /** Over API Gateway's 10 MB request limit (REQUEST_TOO_LARGE). */
  tooLarge: {
    status: 413,
    code: "payload_too_large",
    message: "The request is over the API's 10 MB limit",
  },
  /** No answer from the function within API Gateway's 29 s (INTEGRATION_TIMEOUT). */
  integrationTimeout: {
    status: 504,
    code: "integration_timeout",
    message: "The request timed out; retry it (event ids make a retried POST safe)",
  },
  /**
   * Any other 5xx (DEFAULT_5XX, which keeps API Gateway's status): 502 for a function that
   * failed, timed out or answered malformed output; 500 for a failed authorizer.
   */
  internalError: { status: 502, code: "internal_error", message: INTERNAL_ERROR_MESSAGE },
} as const satisfies Record<string, AuthAnswer>;

/** The envelope's JSON, as the stack's templates render it. */
export function errorEnvelope(answer: AuthAnswer, requestId: string): string {
  return JSON.stringify({ error: { code: answer.code, message: answer.message, requestId } });
}

/**
 * Headers every gateway answer copies from the request (a gateway response can map request
 * values, never generate one): the caller's correlation id, so a client that sent one can
 * match any answer to its request. The functions' own answers always carry one.
 */
export const GATEWAY_ECHOED_HEADERS: Record<string, GatewayHeaderValue> = {
  "X-Correlation-Id": { kind: "request-header", name: "X-Correlation-Id" },
};

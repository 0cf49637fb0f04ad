/**
 * The API's own answers about keys and limits, in the handlers' error envelope: one
 * definition for the stack's gateway responses (lib/constructs/api.ts) and the local
 * runtime's gateway (local/auth.ts), so clients see the same status, code, message and
 * headers on AWS and locally. No aws-cdk-lib import: the local runtime loads this.
 */

/** RFC 6750 challenge sent with every 401. */
export const WWW_AUTHENTICATE = 'Bearer realm="eventflow"';

/**
 * Retry-After of a throttled request (seconds): a token bucket refills within a second
 * at any rate the settings allow.
 */
export const THROTTLED_RETRY_AFTER_SECONDS = 1;

/**
 * Retry-After once a tenant's daily quota is used up. API Gateway's gateway responses
 * carry static header values only, so it cannot say "at midnight UTC" (when a DAY quota
 * resets); an hour keeps clients from hammering the API. The local runtime sends the same.
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

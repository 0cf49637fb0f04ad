/**
 * What API Gateway does around the stack's Lambda REQUEST authorizer, locally:
 *
 * - identity source: no (or an empty) Authorization header is 401 without calling it;
 * - the authorizer's answer is cached per header value for authorizerCacheSeconds (an
 *   Unauthorized answer is not cached), and its policy is checked against the method ARN
 *   of each request (so a cached policy serves every route, as on AWS);
 * - Unauthorized -> 401 with WWW-Authenticate; a policy that does not allow the method
 *   -> 403; any other authorizer failure -> 500;
 * - the usage plan: the answer's usageIdentifierKey is the tenant's key; none is 403;
 *   each key gets a token bucket (tenantRateLimit, tenantBurstLimit) and a count per UTC
 *   day (tenantQuotaPerDay): 429 with Retry-After when either is spent.
 *
 * Answers use the stack's gateway responses (lib/contracts/gateway.ts). The usage plan's
 * buckets: local/gateway/usage-plan.ts; the policy check: local/gateway/policy.ts.
 */
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import {
  AUTH_ANSWERS,
  type AuthAnswer,
  INTERNAL_ERROR_MESSAGE,
  QUOTA_RETRY_AFTER_SECONDS,
  THROTTLED_RETRY_AFTER_SECONDS,
  WWW_AUTHENTICATE,
} from "../../lib/contracts/gateway.js";
import { headerValue } from "../../lib/contracts/http.js";
import type { InvokeOutcome } from "../lambda.js";
import type { RuntimeLogger } from "../log.js";
import { authAnswer, type GatewayAnswer } from "./answers.js";
import { allows, type Statement } from "./policy.js";
import { TenantBucket, type TenantLimits } from "./usage-plan.js";

export interface LocalAuthOptions {
  /** Invokes the authorizer function with a REQUEST authorizer event. */
  invoke: (event: APIGatewayRequestAuthorizerEvent) => Promise<InvokeOutcome>;
  cacheTtlSeconds: number;
  limits: TenantLimits;
  logger: RuntimeLogger;
  now?: () => number;
}

interface AuthorizerAnswer {
  principalId: string;
  statements: Statement[];
  context: Record<string, string | number | boolean>;
  usageIdentifierKey?: string;
}

export type AuthDecision =
  | {
      kind: "allow";
      /** What the integration sees as requestContext.authorizer. */
      authorizer: Record<string, string | number | boolean>;
      usageKey: string;
    }
  | { kind: "refuse"; answer: (requestId: string) => GatewayAnswer };

const refuse = (
  answer: AuthAnswer,
  headers: Record<string, string> = {},
  errorType?: string,
): AuthDecision => ({
  kind: "refuse",
  answer: (requestId) =>
    authAnswer(
      answer,
      requestId,
      errorType ? { ...headers, "x-amzn-ErrorType": errorType } : headers,
    ),
});

const failure = (): AuthDecision => ({
  kind: "refuse",
  // AUTHORIZER_FAILURE falls to the stack's DEFAULT_5XX response.
  answer: (requestId) =>
    authAnswer(
      { status: 500, code: "internal_error", message: INTERNAL_ERROR_MESSAGE },
      requestId,
      { "x-amzn-ErrorType": "AuthorizerConfigurationException" },
    ),
});

export class LocalAuthorizer {
  private readonly cache = new Map<string, { answer: AuthorizerAnswer; until: number }>();
  private readonly buckets = new Map<string, TenantBucket>();
  private readonly now: () => number;

  constructor(private readonly options: LocalAuthOptions) {
    this.now = options.now ?? Date.now;
  }

  /** `event` is the proxy event the integration will get; its methodArn is derived. */
  async check(event: APIGatewayProxyEvent, methodArn: string): Promise<AuthDecision> {
    const header = headerValue(event.headers, "authorization");
    if (!header?.trim()) {
      return refuse(
        AUTH_ANSWERS.unauthorized,
        { "www-authenticate": WWW_AUTHENTICATE },
        "UnauthorizedException",
      );
    }
    let answer = this.cached(header);
    if (!answer) {
      const outcome = await this.options.invoke(authorizerEvent(event, methodArn));
      if (outcome.kind === "error" && isUnauthorized(outcome.error)) {
        return refuse(
          AUTH_ANSWERS.unauthorized,
          { "www-authenticate": WWW_AUTHENTICATE },
          "UnauthorizedException",
        );
      }
      const parsed = outcome.kind === "ok" ? parseAnswer(outcome.result) : undefined;
      if (!parsed) {
        this.options.logger.error("authorizer failed or answered malformed output; answering 500", {
          outcome: outcome.kind,
          ...(outcome.kind === "error" ? { error: String(outcome.error) } : {}),
        });
        return failure();
      }
      answer = parsed;
      if (this.options.cacheTtlSeconds > 0) {
        this.cache.set(header, { answer, until: cachedUntil(answer, this.now(), this.options) });
      }
    }
    if (!allows(answer.statements, methodArn)) {
      return refuse(AUTH_ANSWERS.forbidden, {}, "AccessDeniedException");
    }
    const usageKey = answer.usageIdentifierKey;
    if (!usageKey) return refuse(AUTH_ANSWERS.noUsagePlan, {}, "ForbiddenException");
    const limited = this.bucketOf(usageKey).take(this.now());
    if (limited === "throttled") {
      return refuse(AUTH_ANSWERS.throttled, {
        "retry-after": String(THROTTLED_RETRY_AFTER_SECONDS),
      });
    }
    if (limited === "quota") {
      return refuse(AUTH_ANSWERS.quotaExceeded, {
        "retry-after": String(QUOTA_RETRY_AFTER_SECONDS),
      });
    }
    return {
      kind: "allow",
      authorizer: { ...answer.context, principalId: answer.principalId, integrationLatency: 0 },
      usageKey,
    };
  }

  private cached(header: string): AuthorizerAnswer | undefined {
    const hit = this.cache.get(header);
    if (!hit) return undefined;
    if (hit.until <= this.now()) {
      this.cache.delete(header);
      return undefined;
    }
    return hit.answer;
  }

  private bucketOf(usageKey: string): TenantBucket {
    let bucket = this.buckets.get(usageKey);
    if (!bucket) {
      bucket = new TenantBucket(this.options.limits, this.now());
      this.buckets.set(usageKey, bucket);
    }
    return bucket;
  }
}

/**
 * Until when an answer is cached: authorizerCacheSeconds, but never past the key's own
 * expiresAt (a rotated key), which the authorizer puts in its context.
 */
function cachedUntil(answer: AuthorizerAnswer, now: number, options: LocalAuthOptions): number {
  const until = now + options.cacheTtlSeconds * 1000;
  const expiresAt = answer.context.expiresAt;
  if (expiresAt === undefined) return until;
  const at = typeof expiresAt === "string" ? Date.parse(expiresAt) : Number.NaN;
  return Number.isFinite(at) ? Math.min(until, at) : now;
}

/** The REQUEST authorizer event API Gateway sends (REST API, payload of a proxy request). */
export function authorizerEvent(
  event: APIGatewayProxyEvent,
  methodArn: string,
): APIGatewayRequestAuthorizerEvent {
  return {
    type: "REQUEST",
    methodArn,
    resource: event.resource,
    path: event.path,
    httpMethod: event.httpMethod,
    headers: event.headers,
    multiValueHeaders: event.multiValueHeaders,
    pathParameters: event.pathParameters,
    queryStringParameters: event.queryStringParameters,
    multiValueQueryStringParameters: event.multiValueQueryStringParameters,
    stageVariables: event.stageVariables,
    requestContext: event.requestContext,
  } as APIGatewayRequestAuthorizerEvent;
}

const isUnauthorized = (error: unknown) =>
  error instanceof Error && error.message === "Unauthorized";

function parseAnswer(result: unknown): AuthorizerAnswer | undefined {
  if (!result || typeof result !== "object") return undefined;
  const r = result as Record<string, unknown>;
  const doc = r.policyDocument as { Statement?: unknown } | undefined;
  if (typeof r.principalId !== "string" || !doc || !Array.isArray(doc.Statement)) return undefined;
  const context: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries((r.context as Record<string, unknown>) ?? {})) {
    // API Gateway refuses context values that are not string, number or boolean.
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") return undefined;
    context[k] = v;
  }
  return {
    principalId: r.principalId,
    statements: doc.Statement as Statement[],
    context,
    ...(typeof r.usageIdentifierKey === "string"
      ? { usageIdentifierKey: r.usageIdentifierKey }
      : {}),
  };
}

/**
 * HTTP plumbing shared by the API functions (API Gateway REST proxy events): JSON
 * responses with the same headers everywhere (CORS included, when configured), the error
 * envelope, the correlation id,
 * the tenant, and one wrapper that turns any unexpected error into a 500 that carries
 * the request id and nothing else.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { corsResponseHeaders } from "../../lib/contracts/cors.js";
import { ENV } from "../../lib/contracts/environment.js";
import { ROUTES, scopeAllows } from "../../lib/contracts/functions.js";
import {
  AUTH_ANSWERS,
  INTERNAL_ERROR_MESSAGE,
  WWW_AUTHENTICATE,
} from "../../lib/contracts/gateway.js";
import { headerValue, matchPath } from "../../lib/contracts/http.js";
import { CORRELATION_HEADER } from "../../lib/contracts/observability.js";
import { TENANT_ID_PATTERN } from "../domain/event.js";
import { uuidv7 } from "../domain/ids.js";
import type { FieldError } from "../domain/json.js";
import { type EnvRecord, envVars, parseEnv } from "./env.js";
import { logger, metrics } from "./powertools.js";

/** The HTTP settings of an API function, from its environment (corsOrigins). */
export interface HttpConfig {
  /** Origins whose pages may read the answers (the `corsOrigins` setting); empty: CORS off. */
  allowedOrigins: readonly string[];
}

export const httpConfig = (env: EnvRecord): HttpConfig => ({
  allowedOrigins: parseEnv({ [ENV.corsOrigins]: envVars[ENV.corsOrigins] }, env)[ENV.corsOrigins],
});

export interface HttpRequest {
  event: APIGatewayProxyEvent;
  context: Context;
  correlationId: string;
  tenantId: string;
  /** The caller's key: its scopes and id, from the authorizer. */
  scopes: string[];
  keyId?: string;
}

export interface HttpResponse {
  statusCode: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** An error answer's body, as clients get it (also from the gateway: lib/contracts/gateway.ts). */
export interface ErrorEnvelope {
  error: {
    code: string;
    message: string;
    details?: FieldError[];
    requestId: string;
  };
}

/** An error as a route returns it: httpHandler adds the request id when it has none. */
type RouteError = {
  error: Omit<ErrorEnvelope["error"], "requestId"> & { requestId?: string };
};

export const json = (
  statusCode: number,
  body: unknown,
  headers?: Record<string, string>,
): HttpResponse => ({ statusCode, body, ...(headers ? { headers } : {}) });

export function httpError(
  statusCode: number,
  code: string,
  message: string,
  extra: { details?: FieldError[]; requestId?: string; headers?: Record<string, string> } = {},
): HttpResponse {
  const { headers, ...rest } = extra;
  return json(statusCode, { error: { code, message, ...rest } } satisfies RouteError, headers);
}

/** Header lookup, case-insensitive (API Gateway keeps the client's spelling). */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  return headerValue(event.headers, name);
}

/** Printable ASCII without spaces: safe in a header, a log line and a message attribute. */
const CORRELATION_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** The caller's X-Correlation-Id when it is usable, else a new one. */
export function correlationIdOf(event: APIGatewayProxyEvent): string {
  const given = header(event, CORRELATION_HEADER)?.trim();
  return given && CORRELATION_ID_PATTERN.test(given) ? given : uuidv7();
}

export class TenantResolutionError extends Error {
  override name = "TenantResolutionError";
}

/**
 * The tenant comes from the authorizer's context only, never from the request body or
 * query. Every route has the authorizer (lib/constructs/api.ts, and the local runtime),
 * so a missing or malformed tenant id is a server fault: the request fails (500) rather
 * than falling back to some tenant.
 */
export function tenantOf(event: APIGatewayProxyEvent): string {
  const value: unknown = event.requestContext?.authorizer?.tenantId;
  if (value === undefined || value === null) {
    throw new TenantResolutionError("no tenantId from the authorizer: is the route unprotected?");
  }
  if (typeof value !== "string" || !TENANT_ID_PATTERN.test(value)) {
    throw new TenantResolutionError("authorizer returned a malformed tenantId");
  }
  return value;
}

/** The key's scopes from the authorizer's context (space-separated). */
export function scopesOf(event: APIGatewayProxyEvent): string[] {
  const value: unknown = event.requestContext?.authorizer?.scopes;
  return typeof value === "string" ? value.split(/\s+/).filter(Boolean) : [];
}

/**
 * The gateway already refused a key whose scopes do not open the route (the authorizer's
 * policy); checked again here, so a route wired without the authorizer, or a policy
 * cached from an older ROUTES, cannot widen access.
 */
function scopeRefusal(event: APIGatewayProxyEvent, scopes: string[]): HttpResponse | undefined {
  const route = ROUTES.find((r) => r.path === event.resource && r.method === event.httpMethod);
  if (!route || scopeAllows(scopes, route.scope)) return undefined;
  return httpError(403, "forbidden", `This API key lacks the ${route.scope} scope`);
}

/**
 * A key that expires (a rotated key's grace period) must stop at its expiresAt, but API
 * Gateway serves the authorizer's cached answer for authorizerCacheSeconds whatever it
 * says: the authorizer passes the expiry in its context, and past it the answer is the
 * gateway's own 401 for an expired key. A malformed expiry fails closed.
 */
export function expiredKeyRefusal(
  event: APIGatewayProxyEvent,
  now: number = Date.now(),
): HttpResponse | undefined {
  const value: unknown = event.requestContext?.authorizer?.expiresAt;
  if (value === undefined || value === null) return undefined;
  const at = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (at > now) return undefined;
  const { status, code, message } = AUTH_ANSWERS.unauthorized;
  return httpError(status, code, message, { headers: { "WWW-Authenticate": WWW_AUTHENTICATE } });
}

/**
 * The body as text; base64 bodies (binary media types) are decoded as strict UTF-8. A text
 * body was decoded by API Gateway, which turns bytes that are not UTF-8 into U+FFFD: such a
 * body is refused rather than stored altered (a client sends U+FFFD itself as `\ufffd`).
 */
export function bodyText(
  event: APIGatewayProxyEvent,
): { ok: true; text: string | undefined } | { ok: false } {
  if (event.body === null || event.body === undefined) return { ok: true, text: undefined };
  if (!event.isBase64Encoded) {
    return event.body.includes("\ufffd") ? { ok: false } : { ok: true, text: event.body };
  }
  try {
    const bytes = Buffer.from(event.body, "base64");
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false };
  }
}

export const RESPONSE_HEADERS = {
  "Content-Type": "application/json; charset=utf-8",
  "Cache-Control": "no-store",
} as const;

function toResult(
  response: HttpResponse,
  correlationId: string,
  event: APIGatewayProxyEvent,
  allowedOrigins: readonly string[],
): APIGatewayProxyResult {
  const headers: Record<string, string> = {
    ...RESPONSE_HEADERS,
    ...response.headers,
    "X-Correlation-Id": correlationId,
  };
  // A proxy answer reaches the browser as the function gives it: API Gateway adds no CORS
  // header to it, whatever the preflight said.
  const cors = corsResponseHeaders(allowedOrigins, header(event, "origin"));
  for (const [name, value] of Object.entries(cors)) {
    headers[name] = name === "Vary" && headers.Vary ? `${headers.Vary}, ${value}` : value;
  }
  return { statusCode: response.statusCode, headers, body: JSON.stringify(response.body) };
}

export type Route = (req: HttpRequest) => Promise<HttpResponse>;

/**
 * Every error answer carries a request id, as the gateway's own do: here the invocation's
 * (the function's log lines carry it as function_request_id), unless the route set one.
 */
function withRequestId(response: HttpResponse, requestId: string): HttpResponse {
  const body = response.body as Partial<RouteError> | null;
  if (response.statusCode < 400 || typeof body?.error !== "object" || body.error === null) {
    return response;
  }
  if (body.error.requestId !== undefined) return response;
  return { ...response, body: { ...body, error: { ...body.error, requestId } } };
}

/**
 * Wraps a route function as a Lambda handler: Powertools logger context and metrics
 * (cold start included), the correlation id on every log line and response, and a
 * catch-all that logs the error and answers a bare 500.
 */
export function httpHandler(route: Route, config: HttpConfig = { allowedOrigins: [] }) {
  const { allowedOrigins } = config;
  const handler = async (
    event: APIGatewayProxyEvent,
    context: Context,
  ): Promise<APIGatewayProxyResult> => {
    const correlationId = correlationIdOf(event);
    logger.appendKeys({ correlationId });
    try {
      const tenantId = tenantOf(event);
      const scopes = scopesOf(event);
      const keyId: unknown = event.requestContext?.authorizer?.keyId;
      const response =
        expiredKeyRefusal(event) ??
        scopeRefusal(event, scopes) ??
        (await route({
          event,
          context,
          correlationId,
          tenantId,
          scopes,
          ...(typeof keyId === "string" ? { keyId } : {}),
        }));
      if (response.statusCode >= 500)
        logger.warn("Request failed", { status: response.statusCode });
      return toResult(
        withRequestId(response, context.awsRequestId),
        correlationId,
        event,
        allowedOrigins,
      );
    } catch (error) {
      logger.error("Unhandled error", error as Error);
      return toResult(
        httpError(500, "internal_error", INTERNAL_ERROR_MESSAGE, {
          requestId: context.awsRequestId,
        }),
        correlationId,
        event,
        allowedOrigins,
      );
    }
  };
  return middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

export interface RouteSpec {
  method: string;
  path: string;
}

export type RouteMatch<R extends RouteSpec> =
  | { kind: "matched"; route: R; params: Record<string, string> }
  | { kind: "method_not_allowed"; allow: string[] }
  | { kind: "not_found" };

/**
 * "/v1/events/" -> "/v1/events"; "/" stays. A loop, not /(.)\/+$/: that regex backtracks
 * O(n²) on a path of many slashes followed by any other character.
 */
export function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 0x2f) end--;
  return path.slice(0, end);
}

/**
 * Finds the route of a request among `routes` (API Gateway resource paths with `{name}`
 * parameters). API Gateway sets `resource`; a bare `path` (local runtime, tests) also works.
 */
export function matchRoute<R extends RouteSpec>(
  event: APIGatewayProxyEvent,
  routes: readonly R[],
): RouteMatch<R> {
  const path = withoutTrailingSlashes(event.path ?? "");
  const candidates = routes.flatMap((route) => {
    if (event.resource === route.path) return [{ route, params: event.pathParameters ?? {} }];
    const params = matchPath(route.path, path);
    return params ? [{ route, params }] : [];
  });
  if (candidates.length === 0) return { kind: "not_found" };
  const hit = candidates.find((c) => c.route.method === event.httpMethod);
  if (!hit)
    return {
      kind: "method_not_allowed",
      allow: [...new Set(candidates.map((c) => c.route.method))],
    };
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(hit.params)) {
    if (value === undefined) continue;
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      params[name] = value;
    }
  }
  return { kind: "matched", route: hit.route, params };
}

/** The answer when no route matched: 404, or 405 with the methods the path allows. */
export function unmatchedRoute(
  match: Exclude<RouteMatch<RouteSpec>, { kind: "matched" }>,
): HttpResponse {
  if (match.kind === "not_found") return httpError(404, "route_not_found", "No such route");
  const allow = match.allow.join(", ");
  return httpError(405, "method_not_allowed", `Allowed: ${allow}`, {
    headers: { Allow: allow },
  });
}

/** Query string values by name (API Gateway fills both maps; the multi-value one wins). */
export function queryParams(event: APIGatewayProxyEvent): Record<string, string[] | undefined> {
  const multi = event.multiValueQueryStringParameters;
  if (multi) return { ...multi };
  return Object.fromEntries(
    Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [
      k,
      v === undefined ? [] : [v],
    ]),
  );
}

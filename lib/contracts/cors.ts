/**
 * CORS, one definition for everything that answers a browser when `corsOrigins` is set:
 * the API functions (a Lambda proxy answer carries only the headers the function gives it,
 * lambdas/shared/http.ts), the stack's preflight and gateway responses
 * (lib/constructs/api.ts), and the local gateway (local/gateway/api-gateway.ts). With no origins
 * configured, none of them sends a CORS header. No aws-cdk-lib import: the handlers and
 * the local runtime load this.
 */

/** `corsOrigins` entry that lets any origin read answers (no credentials are involved). */
export const ANY_ORIGIN = "*";

/**
 * Response headers a page may read besides the CORS-safelisted ones: the correlation id
 * (to quote in a report) and Retry-After of a 429 or 503 (to back off).
 */
export const CORS_EXPOSE_HEADERS = ["X-Correlation-Id", "Retry-After"] as const;

/**
 * aws-cdk-lib's Cors.DEFAULT_HEADERS, which the stack's preflight allows; the local gateway
 * allows the same (test/cdk/cors.test.ts checks the two lists agree).
 */
export const CDK_DEFAULT_ALLOW_HEADERS = [
  "Content-Type",
  "X-Amz-Date",
  "Authorization",
  "X-Api-Key",
  "X-Amz-Security-Token",
  "X-Amz-User-Agent",
] as const;

/** Request headers a page may send besides aws-cdk-lib's Cors.DEFAULT_HEADERS. */
export const CORS_EXTRA_ALLOW_HEADERS = ["X-Correlation-Id"] as const;

/** The functions' CORS_ALLOWED_ORIGINS (comma-separated, as the setting) as a list. */
export function parseCorsOrigins(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
}

/**
 * What `corsOrigins` accepts: `*`, or an origin as browsers send it in the Origin header
 * (scheme, host, optional port; no path, no trailing slash), which is compared verbatim.
 */
export function invalidCorsOrigin(origin: string): string | undefined {
  if (origin === ANY_ORIGIN) return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `${origin} is not an origin (scheme://host[:port])`;
  }
  if (url.origin === "null" || url.origin !== origin) {
    return `${origin} is not an origin as browsers send it (expected ${url.origin === "null" ? "scheme://host[:port]" : url.origin})`;
  }
  return undefined;
}

/**
 * Headers of an answer the function gives (not a preflight): the request's Origin echoed
 * when it is allowed, `*` when any origin is, and `Vary: Origin` whenever the answer
 * depends on the Origin (so a shared cache never serves one origin's answer to another).
 */
export function corsResponseHeaders(
  allowed: readonly string[],
  origin: string | undefined,
): Record<string, string> {
  if (allowed.length === 0) return {};
  const expose = { "Access-Control-Expose-Headers": CORS_EXPOSE_HEADERS.join(", ") };
  if (allowed.includes(ANY_ORIGIN)) return { "Access-Control-Allow-Origin": ANY_ORIGIN, ...expose };
  if (origin === undefined || !allowed.includes(origin)) return { Vary: "Origin" };
  return { "Access-Control-Allow-Origin": origin, Vary: "Origin", ...expose };
}

/** A gateway response header: a static value, or a request header's value. */
export type GatewayHeaderValue =
  | { kind: "static"; value: string }
  | { kind: "request-header"; name: string };

/**
 * CORS headers of the answers API Gateway makes itself (401, 403, 404, 413, 429, 5xx).
 * Gateway responses map headers from static values or request parameters only (their
 * templates are not VTL), so they cannot check the Origin against a list:
 * - `*`: `*`;
 * - a single origin: that origin, static (with `Vary: Origin`, as the functions' answers
 *   on the same URLs carry it);
 * - several origins: no CORS header at all. Echoing the request's Origin would let any
 *   page read these answers; naming one origin would be wrong for the others. A page on
 *   one of them sees the gateway's refusal as a failed (opaque) request, while every
 *   answer a function gives still names its allowed Origin. Configure one origin (or `*`)
 *   when pages must read the gateway's 401/403/429/5xx bodies.
 * Nothing here ever comes from the request, so no answer depends on its Origin.
 */
export function gatewayCorsHeaders(allowed: readonly string[]): Record<string, GatewayHeaderValue> {
  if (allowed.length === 0) return {};
  const expose: GatewayHeaderValue = { kind: "static", value: CORS_EXPOSE_HEADERS.join(", ") };
  if (allowed.includes(ANY_ORIGIN)) {
    return {
      "Access-Control-Allow-Origin": { kind: "static", value: ANY_ORIGIN },
      "Access-Control-Expose-Headers": expose,
    };
  }
  const [only, ...others] = allowed;
  if (only === undefined || others.length > 0) return {};
  return {
    "Access-Control-Allow-Origin": { kind: "static", value: only },
    Vary: { kind: "static", value: "Origin" },
    "Access-Control-Expose-Headers": expose,
  };
}

/**
 * The values of gatewayCorsHeaders for one request, as API Gateway fills them in (a
 * request header that was not sent leaves its response header out).
 */
export function resolveGatewayHeaders(
  headers: Record<string, GatewayHeaderValue>,
  requestHeader: (name: string) => string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, source] of Object.entries(headers)) {
    const value = source.kind === "static" ? source.value : requestHeader(source.name);
    if (value !== undefined && value !== "") out[name] = value;
  }
  return out;
}

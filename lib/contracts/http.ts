/**
 * HTTP helpers both sides of the API read, defined once: the route template matcher (API
 * Gateway resource paths with `{name}` and `{name+}` parameters) and the case-insensitive
 * header lookup. Used by the functions (lambdas/shared/http.ts) and the local gateway
 * (local/gateway/). Pure: no imports.
 */

/** Headers by name in the client's spelling (API Gateway's `headers`, Node's, an answer's). */
export type HeaderMap<V = string> = Readonly<Record<string, V | undefined>> | null | undefined;

/** The key and value of a header, whatever its case (the first one that has a value). */
export function findHeader<V>(headers: HeaderMap<V>, name: string): [string, V] | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value !== undefined && key.toLowerCase() === wanted) return [key, value];
  }
  return undefined;
}

/** A header's value, case-insensitive (API Gateway keeps the client's spelling). */
export function headerValue<V = string>(headers: HeaderMap<V>, name: string): V | undefined {
  return findHeader(headers, name)?.[1];
}

/** `/v1/events/{id}` -> `["v1", "events", "{id}"]`; a path's segments the same way. */
export function pathSegments(path: string): string[] {
  return path.split("/").slice(1);
}

/** Segments that are not parameters: a route with more of them wins, as in API Gateway. */
export function literalCount(segments: readonly string[]): number {
  return segments.filter((s) => !s.startsWith("{")).length;
}

/**
 * The parameters when `parts` (a path's segments) fit `pattern` (a template's segments):
 * `{name}` takes one non-empty segment, `{name+}` the non-empty rest; null when they do
 * not fit. Values are returned as sent (not decoded).
 */
export function matchSegments(
  pattern: readonly string[],
  parts: readonly string[],
): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? "";
    const part = parts[i];
    if (p.startsWith("{") && p.endsWith("+}")) {
      const rest = parts.slice(i).join("/");
      if (!rest) return null;
      params[p.slice(1, -2)] = rest;
      return params;
    }
    if (part === undefined || part === "") return null;
    if (p.startsWith("{") && p.endsWith("}")) params[p.slice(1, -1)] = part;
    else if (p !== part) return null;
  }
  return parts.length === pattern.length ? params : null;
}

/** matchSegments on a template and a path: `matchPath("/v1/events/{id}", "/v1/events/a")`. */
export function matchPath(template: string, path: string): Record<string, string> | null {
  return matchSegments(pathSegments(template), pathSegments(path));
}

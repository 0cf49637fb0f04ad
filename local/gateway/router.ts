/**
 * The REST API's resources and methods, from lib/contracts/functions.ts ROUTES: which
 * route a request is for, as API Gateway picks it (literal segments win over parameters).
 */
import { randomBytes } from "node:crypto";
import type { Route } from "../../lib/contracts/functions.js";
import { literalCount, matchSegments, pathSegments } from "../../lib/contracts/http.js";

interface CompiledRoute {
  route: Route;
  segments: string[];
  resourceId: string;
}

export type RouteMatch =
  | {
      kind: "route";
      route: Route;
      pathParameters: Record<string, string> | null;
      resourceId: string;
    }
  /** A resource exists at this path but has no such method: API Gateway answers 403 too. */
  | { kind: "no-method" }
  | { kind: "no-resource" };

export class Router {
  private readonly compiled: CompiledRoute[];
  constructor(routes: readonly Route[]) {
    const ids = new Map<string, string>();
    this.compiled = routes.map((route) => {
      let resourceId = ids.get(route.path);
      if (!resourceId) {
        resourceId = randomBytes(3).toString("hex");
        ids.set(route.path, resourceId);
      }
      return { route, segments: pathSegments(route.path), resourceId };
    });
  }

  match(method: string, path: string): RouteMatch {
    const parts = pathSegments(path);
    let resourceFound = false;
    const candidates = this.compiled
      .map((c) => ({ c, params: matchSegments(c.segments, parts) }))
      .filter((m): m is { c: CompiledRoute; params: Record<string, string> } => m.params !== null)
      .sort((a, b) => literalCount(b.c.segments) - literalCount(a.c.segments));
    const best = candidates[0];
    if (!best) return { kind: "no-resource" };
    for (const { c, params } of candidates) {
      if (c.route.path !== best.c.route.path) continue;
      resourceFound = true;
      if (c.route.method === method) {
        return {
          kind: "route",
          route: c.route,
          pathParameters: Object.keys(params).length > 0 ? params : null,
          resourceId: c.resourceId,
        };
      }
    }
    return resourceFound ? { kind: "no-method" } : { kind: "no-resource" };
  }

  /**
   * Whether a path is a resource of the API: a route's path or one of its parents
   * (resourceForPath creates those, and the CORS preflight covers every resource).
   */
  isResource(path: string): boolean {
    const parts = path === "/" ? [] : pathSegments(path);
    return this.compiled.some((c) => {
      for (let n = 0; n <= c.segments.length; n++) {
        if (matchSegments(c.segments.slice(0, n), parts) !== null) return true;
      }
      return false;
    });
  }
}

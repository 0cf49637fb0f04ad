/**
 * The IAM policy a Lambda authorizer answers with. API Gateway caches the answer per
 * Authorization header value (authorizerCacheSeconds) and applies it to every method of
 * the API, not only the one that asked: so the policy lists every route the key's scopes
 * open (from ROUTES), and a route it does not list is denied (403) even from the cache.
 */
import { ROUTES, type Route, scopeAllows } from "../../lib/contracts/functions.js";

export interface PolicyStatement {
  Action: "execute-api:Invoke";
  Effect: "Allow" | "Deny";
  Resource: string[];
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path> */
export interface MethodArn {
  /** Everything up to and including the API id. */
  api: string;
  stage: string;
  method: string;
  path: string;
}

export function parseMethodArn(arn: string): MethodArn | undefined {
  const m = /^(arn:[^:]+:execute-api:[^:]*:[^:]*:[^/]+)\/([^/]+)\/([^/]+)(\/.*)?$/.exec(arn);
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  return { api: m[1], stage: m[2], method: m[3], path: m[4] ?? "/" };
}

/** The method ARN pattern of a route: each `{param}` becomes `*`. */
export const routeArn = (arn: MethodArn, route: Pick<Route, "method" | "path">) =>
  `${arn.api}/${arn.stage}/${route.method}${route.path.replace(/\{[^}]+\}/g, "*")}`;

export function routesFor(scopes: readonly string[], routes: readonly Route[] = ROUTES): Route[] {
  return routes.filter((r) => scopeAllows(scopes, r.scope));
}

/**
 * Allows exactly the routes `scopes` open, in the API and stage of `methodArn`; a key
 * whose scopes open none gets an explicit Deny of the whole stage.
 */
export function accessPolicy(
  methodArn: string,
  scopes: readonly string[],
  routes: readonly Route[] = ROUTES,
): PolicyDocument {
  const arn = parseMethodArn(methodArn);
  if (!arn) throw new Error(`not an execute-api method ARN: ${methodArn}`);
  const allowed = [...new Set(routesFor(scopes, routes).map((r) => routeArn(arn, r)))];
  return {
    Version: "2012-10-17",
    Statement:
      allowed.length > 0
        ? [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: allowed }]
        : [
            {
              Action: "execute-api:Invoke",
              Effect: "Deny",
              Resource: [`${arn.api}/${arn.stage}/*`],
            },
          ],
  };
}

/**
 * API Gateway REST (v1) proxy events and Lambda contexts for handler tests, shaped like
 * what API Gateway sends (resource, path parameters, both query string maps).
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";

export interface ApiEventInput {
  method?: string;
  /** Request path, e.g. /v1/events/abc?limit=5 (a query string here is parsed). */
  path: string;
  /** API Gateway resource path, e.g. /v1/events/{id}; derived from `path` when omitted. */
  resource?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | string[]>;
  /** A string is sent as is; anything else is JSON-encoded. */
  body?: unknown;
  isBase64Encoded?: boolean;
  /**
   * requestContext.authorizer.tenantId, as the key authorizer sets it (default "default";
   * null: no authorizer context at all, as on a route wired without the authorizer).
   */
  tenantId?: unknown;
  /** requestContext.authorizer.scopes, space-separated (default: every scope). */
  scopes?: string;
}

const ALL_SCOPES = "events:write events:read admin";

const KNOWN_RESOURCES = ["/v1/events/{id}", "/v1/events", "/v1/stats", "/v1/health"];

export function apiEvent(input: ApiEventInput): APIGatewayProxyEvent {
  const [path = "", search] = input.path.split("?");
  const multi: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(search ?? "")) multi[k] = [...(multi[k] ?? []), v];
  for (const [k, v] of Object.entries(input.query ?? {})) multi[k] = Array.isArray(v) ? v : [v];
  const hasQuery = Object.keys(multi).length > 0;
  const { resource, pathParameters } = resolveResource(path, input.resource);
  const method = input.method ?? "GET";
  const body =
    input.body === undefined
      ? null
      : typeof input.body === "string"
        ? input.body
        : JSON.stringify(input.body);
  const headers = input.headers ?? {};
  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: hasQuery
      ? Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1] ?? ""]))
      : null,
    multiValueQueryStringParameters: hasQuery ? multi : null,
    pathParameters,
    stageVariables: null,
    body,
    isBase64Encoded: input.isBase64Encoded ?? false,
    requestContext: {
      accountId: "123456789012",
      apiId: "test-api",
      authorizer:
        input.tenantId === null
          ? null
          : {
              tenantId: input.tenantId === undefined ? "default" : input.tenantId,
              scopes: input.scopes ?? ALL_SCOPES,
              keyId: "testkeyaaaaaaaaa",
            },
      protocol: "HTTP/1.1",
      httpMethod: method,
      identity: {} as APIGatewayProxyEvent["requestContext"]["identity"],
      path: `/prod${path}`,
      stage: "prod",
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: "abc123",
      resourcePath: resource,
    },
  };
}

function resolveResource(path: string, given?: string) {
  for (const candidate of given ? [given] : KNOWN_RESOURCES) {
    const names: string[] = [];
    const pattern = candidate.replace(/\{(\w+)\}/g, (_, n: string) => {
      names.push(n);
      return "([^/]+)";
    });
    const m = new RegExp(`^${pattern}$`).exec(path);
    if (m) {
      const params = Object.fromEntries(names.map((n, i) => [n, m[i + 1] ?? ""]));
      return { resource: candidate, pathParameters: names.length > 0 ? params : null };
    }
  }
  // Unknown to API Gateway: a greedy proxy resource would carry it.
  return { resource: given ?? "/{proxy+}", pathParameters: null };
}

/** POST /v1/events with a JSON body and Content-Type application/json unless overridden. */
export function ingestEvent(
  body: unknown,
  input: Partial<ApiEventInput> = {},
): APIGatewayProxyEvent {
  return apiEvent({
    method: "POST",
    path: "/v1/events",
    body,
    ...input,
    headers: { "Content-Type": "application/json", ...input.headers },
  });
}

export function lambdaContext(overrides: Partial<Context> = {}): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "eventflow-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:eventflow-test",
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: "/aws/lambda/eventflow-test",
    logStreamName: "test",
    getRemainingTimeInMillis: () => 10_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
    ...overrides,
  };
}

/** The parsed JSON body of a handler result. */
export function bodyOf<T = Record<string, unknown>>(result: { body: string }): T {
  return JSON.parse(result.body) as T;
}

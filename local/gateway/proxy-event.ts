/** The REST API (v1) Lambda proxy event API Gateway builds from a request. */
import { randomBytes } from "node:crypto";
import type { APIGatewayProxyEvent } from "aws-lambda";
import type { Route } from "../../lib/contracts/functions.js";
import { findHeader, headerValue } from "../../lib/contracts/http.js";

export const STAGE = "local";

/** Content types API Gateway passes as text; others arrive base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return (
    type.startsWith("text/") ||
    type === "application/json" ||
    type.endsWith("+json") ||
    type === "application/xml" ||
    type.endsWith("+xml") ||
    type === "application/x-www-form-urlencoded" ||
    type === "application/javascript" ||
    type === "application/graphql"
  );
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `22/Nov/2026:02:15:00 +0000`, as in requestContext.requestTime. */
function requestTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

export function traceId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;
}

export interface BuildEventInput {
  method: string;
  /** Path as sent, without the query string (API Gateway does not decode it). */
  path: string;
  query: string;
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  route: Route;
  pathParameters: Record<string, string> | null;
  resourceId: string;
  requestId: string;
  now: Date;
  localPort: number;
}

/** A REST API (v1) Lambda proxy event, as API Gateway builds it. */
export function buildProxyEvent(input: BuildEventInput): APIGatewayProxyEvent {
  const multiValueHeaders: Record<string, string[]> = {};
  const headers: Record<string, string> = {};
  const add = (name: string, value: string) => {
    const key = findHeader(headers, name)?.[0] ?? name;
    multiValueHeaders[key] = [...(multiValueHeaders[key] ?? []), value];
    headers[key] = value;
  };
  for (let i = 0; i + 1 < input.rawHeaders.length; i += 2) {
    add(input.rawHeaders[i] ?? "", input.rawHeaders[i + 1] ?? "");
  }
  const has = (name: string) => findHeader(headers, name) !== undefined;
  // What the gateway adds in front of the integration.
  const forwardedFor = findHeader(headers, "x-forwarded-for");
  if (forwardedFor) {
    const [key, value] = forwardedFor;
    const joined = `${value}, ${input.sourceIp}`;
    headers[key] = joined;
    multiValueHeaders[key] = [joined];
  } else {
    add("X-Forwarded-For", input.sourceIp);
  }
  if (!has("x-forwarded-port")) add("X-Forwarded-Port", String(input.localPort));
  if (!has("x-forwarded-proto")) add("X-Forwarded-Proto", "http");
  if (!has("x-amzn-trace-id")) add("X-Amzn-Trace-Id", traceId());

  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(input.query)) {
    queryStringParameters[key] = value;
    multiValueQueryStringParameters[key] = [...(multiValueQueryStringParameters[key] ?? []), value];
  }
  const hasQuery = Object.keys(queryStringParameters).length > 0;
  const contentType = headerValue(headers, "content-type");
  const binary = input.body.length > 0 && !isTextContentType(contentType);
  const host = headerValue(headers, "host") ?? "localhost";
  const domainName = host.replace(/:\d+$/, "");
  const userAgent = headerValue(headers, "user-agent");

  return {
    resource: input.route.path,
    path: input.path,
    httpMethod: input.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? queryStringParameters : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
    pathParameters: input.pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      authorizer: undefined,
      domainName,
      domainPrefix: domainName.split(".")[0] ?? domainName,
      extendedRequestId: randomBytes(8).toString("base64url"),
      httpMethod: input.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: input.sourceIp,
        user: null,
        userAgent: userAgent ?? null,
        userArn: null,
      },
      path: input.path,
      protocol: "HTTP/1.1",
      requestId: input.requestId,
      requestTime: requestTime(input.now),
      requestTimeEpoch: input.now.getTime(),
      resourceId: input.resourceId,
      resourcePath: input.route.path,
      stage: STAGE,
    },
    body:
      input.body.length === 0
        ? null
        : binary
          ? input.body.toString("base64")
          : input.body.toString("utf8"),
    isBase64Encoded: binary,
  };
}

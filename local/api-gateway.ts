/**
 * A local stand-in for the stack's API Gateway REST API (Lambda proxy integration):
 * routes from lib/functions.ts, REST v1 proxy events, the gateway's own answers as the
 * stack's gateway responses make them (404 for an unknown resource or method, 413, 429,
 * 502, 504, in the error envelope, with CORS headers when configured) and the mapping of
 * the handler's answer back to HTTP.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { gatewayCorsHeaders, resolveGatewayHeaders } from "../lib/contracts/cors.js";
import type { Route } from "../lib/contracts/functions.js";
import {
  AUTH_ANSWERS,
  GATEWAY_ANSWERS,
  THROTTLED_RETRY_AFTER_SECONDS,
} from "../lib/contracts/gateway.js";
import { authAnswer, type LocalAuthorizer } from "./auth.js";
import { describeError, type InvokeOutcome, LAMBDA_PAYLOAD_LIMIT_BYTES } from "./lambda.js";
import type { RuntimeLogger } from "./log.js";

/** API Gateway's request payload limit (REST APIs). */
export const API_PAYLOAD_LIMIT_BYTES = 10 * 1024 * 1024;
/** API Gateway's default integration timeout (REST APIs). */
export const INTEGRATION_TIMEOUT_MS = 29_000;
export const STAGE = "local";

export interface GatewayAnswer {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
}

export interface ApiGatewayOptions {
  routes: readonly Route[];
  /** Invokes the route's function (function timeout included). */
  invoke: (route: Route, event: APIGatewayProxyEvent) => Promise<InvokeOutcome>;
  throttle: { rateLimit: number; burstLimit: number };
  /** The stack's CORS preflight (defaultCorsPreflightOptions); absent: no OPTIONS methods. */
  cors?: CorsPreflight;
  integrationTimeoutMs?: number;
  logger: RuntimeLogger;
  region: string;
  /** The stack's key authorizer and usage plan on every route (local/auth.ts); absent: none. */
  auth?: LocalAuthorizer;
}

export interface CorsPreflight {
  allowOrigins: readonly string[];
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  exposeHeaders?: readonly string[];
}

/** The stage's token bucket: `rate` requests a second, bursts up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

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
      return { route, segments: route.path.split("/").slice(1), resourceId };
    });
  }

  match(method: string, path: string): RouteMatch {
    const parts = path.split("/").slice(1);
    let resourceFound = false;
    // Literal segments win over parameters, as in API Gateway.
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
    const parts = path === "/" ? [] : path.split("/").slice(1);
    return this.compiled.some((c) => {
      for (let n = 0; n <= c.segments.length; n++) {
        if (matchSegments(c.segments.slice(0, n), parts) !== null) return true;
      }
      return false;
    });
  }
}

const literalCount = (segments: string[]) => segments.filter((s) => !s.startsWith("{")).length;

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? "";
    const part = parts[i];
    if (p.endsWith("+}")) {
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
    const existing = Object.keys(multiValueHeaders).find(
      (k) => k.toLowerCase() === name.toLowerCase(),
    );
    const key = existing ?? name;
    multiValueHeaders[key] = [...(multiValueHeaders[key] ?? []), value];
    headers[key] = value;
  };
  for (let i = 0; i + 1 < input.rawHeaders.length; i += 2) {
    add(input.rawHeaders[i] ?? "", input.rawHeaders[i + 1] ?? "");
  }
  const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  // What the gateway adds in front of the integration.
  if (has("x-forwarded-for")) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === "x-forwarded-for") ?? "";
    const joined = `${headers[key]}, ${input.sourceIp}`;
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
  const contentType = Object.entries(headers).find(
    ([k]) => k.toLowerCase() === "content-type",
  )?.[1];
  const binary = input.body.length > 0 && !isTextContentType(contentType);
  const host =
    Object.entries(headers).find(([k]) => k.toLowerCase() === "host")?.[1] ?? "localhost";
  const domainName = host.replace(/:\d+$/, "");
  const userAgent = Object.entries(headers).find(([k]) => k.toLowerCase() === "user-agent")?.[1];

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

/**
 * The gateway's own answers, as the stack's gateway responses make them
 * (lib/constructs/api.ts, lib/gateway-auth.ts): the error envelope with the request id;
 * MISSING_AUTHENTICATION_TOKEN (no such resource or method) is a 404 instead of REST API's
 * default 403 "Missing Authentication Token"; THROTTLED carries Retry-After.
 */
export const gatewayAnswers = {
  missingRoute: (requestId: string) =>
    authAnswer(GATEWAY_ANSWERS.routeNotFound, requestId, {
      "x-amzn-ErrorType": "MissingAuthenticationTokenException",
    }),
  tooLarge: (requestId: string) =>
    authAnswer(GATEWAY_ANSWERS.tooLarge, requestId, { connection: "close" }),
  throttled: (requestId: string) =>
    authAnswer(AUTH_ANSWERS.throttled, requestId, {
      "retry-after": String(THROTTLED_RETRY_AFTER_SECONDS),
    }),
  internalError: (requestId: string) => authAnswer(GATEWAY_ANSWERS.internalError, requestId),
  timeout: (requestId: string) => authAnswer(GATEWAY_ANSWERS.integrationTimeout, requestId),
  /** Local only: the runtime is draining. */
  shuttingDown: (requestId: string) =>
    authAnswer(
      { status: 503, code: "shutting_down", message: "EventFlow is shutting down" },
      requestId,
      { connection: "close" },
    ),
};

/** Lambda proxy answer -> HTTP, or undefined when API Gateway would call it malformed. */
export function mapProxyResult(result: unknown): GatewayAnswer | undefined {
  if (result === null || typeof result !== "object" || Array.isArray(result)) return undefined;
  const r = result as Record<string, unknown>;
  const status = typeof r.statusCode === "string" ? Number(r.statusCode) : r.statusCode;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
    return undefined;
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== "string") return undefined;
  const out: Record<string, string[]> = {};
  const lower = (k: string) => k.toLowerCase();
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== "object") return undefined;
    for (const [k, values] of Object.entries(r.multiValueHeaders as Record<string, unknown>)) {
      if (!Array.isArray(values)) return undefined;
      out[k] = values.map(String);
    }
  }
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== "object") return undefined;
    for (const [k, v] of Object.entries(r.headers as Record<string, unknown>)) {
      // Values from multiValueHeaders win when both name the same header.
      if (Object.keys(out).some((existing) => lower(existing) === lower(k))) continue;
      out[k] = [String(v)];
    }
  }
  const body =
    typeof r.body === "string"
      ? r.isBase64Encoded === true
        ? Buffer.from(r.body, "base64")
        : r.body
      : undefined;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(out)) headers[k] = v.length === 1 ? (v[0] ?? "") : v;
  if (!Object.keys(headers).some((k) => lower(k) === "content-type")) {
    headers["content-type"] = "application/json";
  }
  return { status, headers, ...(body !== undefined ? { body } : {}) };
}

export class BodyTooLarge extends Error {}

/**
 * How much of an oversized body the gateway reads and throws away so that the client,
 * still writing, gets its 413 instead of a reset connection (EPIPE). Past this the
 * connection is cut: nobody is owed an answer for a 64 MB upload to a 10 MB API.
 */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * The whole body, or BodyTooLarge once it passes `limit`. An oversized body is read to
 * its end (up to DISCARD_LIMIT_BYTES) and discarded, never buffered: breaking out of the
 * stream would destroy the socket before the answer is written.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > limit;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        if (size > DISCARD_LIMIT_BYTES) {
          req.destroy();
          reject(new BodyTooLarge());
        }
        return;
      }
      chunks.push(chunk);
    });
    req.once("end", () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.once("error", reject);
    req.once("close", () => {
      if (!req.readableEnded) reject(tooLarge ? new BodyTooLarge() : new Error("request aborted"));
    });
  });
}

/** A request the API Gateway layer handles end to end. */
export class ApiGateway {
  readonly router: Router;
  private readonly bucket: TokenBucket;
  private readonly integrationTimeoutMs: number;

  constructor(private readonly options: ApiGatewayOptions) {
    this.router = new Router(options.routes);
    this.bucket = new TokenBucket(options.throttle.rateLimit, options.throttle.burstLimit);
    this.integrationTimeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  }

  async handle(req: IncomingMessage, localPort: number): Promise<GatewayAnswer> {
    const requestId = randomUUID();
    const now = new Date();
    const method = (req.method ?? "GET").toUpperCase();
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const query = q === -1 ? "" : rawUrl.slice(q + 1);
    const withId = (answer: GatewayAnswer): GatewayAnswer => ({
      ...answer,
      headers: {
        ...answer.headers,
        "x-amzn-RequestId": requestId,
        "x-amz-apigw-id": randomBytes(6).toString("base64url"),
      },
    });

    // What the gateway answers itself also carries the gateway responses' CORS headers.
    const own = (answer: GatewayAnswer) => withId(this.withCors(req, answer));

    const cors = this.options.cors;
    if (method === "OPTIONS" && cors && this.router.isResource(path)) {
      await drain(req);
      return withId(preflight(cors, req.headers.origin));
    }
    const match = this.router.match(method, path);
    if (match.kind !== "route") {
      await drain(req);
      return own(gatewayAnswers.missingRoute(requestId));
    }
    if (!this.bucket.take()) {
      await drain(req);
      return own(gatewayAnswers.throttled(requestId));
    }
    let body: Buffer;
    try {
      body = await readBody(req, API_PAYLOAD_LIMIT_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLarge) return own(gatewayAnswers.tooLarge(requestId));
      throw error;
    }
    const event = buildProxyEvent({
      method,
      path,
      query,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: normalizeIp(req.socket.remoteAddress),
      route: match.route,
      pathParameters: match.pathParameters,
      resourceId: match.resourceId,
      requestId,
      now,
      localPort,
    });
    const log = this.options.logger;
    if (this.options.auth) {
      const methodArn = `arn:aws:execute-api:${this.options.region}:000000000000:local/${STAGE}/${method}${path}`;
      const decision = await this.options.auth.check(event, methodArn);
      if (decision.kind === "refuse") return own(decision.answer(requestId));
      event.requestContext.authorizer = decision.authorizer;
      event.requestContext.identity.apiKey = decision.usageKey;
    }
    const eventBytes = Buffer.byteLength(JSON.stringify(event));
    if (eventBytes > LAMBDA_PAYLOAD_LIMIT_BYTES) {
      // Lambda refuses an invocation payload over 6 MB; the gateway reports a failure.
      log.warn("request exceeds Lambda's 6 MB invocation payload limit", { requestId, eventBytes });
      return own(gatewayAnswers.internalError(requestId));
    }
    let timer: NodeJS.Timeout | undefined;
    const integrationTimeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.integrationTimeoutMs);
    });
    const outcome = await Promise.race([
      this.options.invoke(match.route, event),
      integrationTimeout,
    ]);
    clearTimeout(timer);
    const fields = { requestId, method, path, function: match.route.function };
    if (outcome === "timeout") {
      log.warn("integration timed out", fields);
      return own(gatewayAnswers.timeout(requestId));
    }
    if (outcome.kind === "timeout") {
      log.error("function timed out; answering 502", { ...fields, ms: outcome.durationMs });
      return own(gatewayAnswers.internalError(requestId));
    }
    if (outcome.kind === "error") {
      log.error("function failed; answering 502", { ...fields, ...describeError(outcome.error) });
      return own(gatewayAnswers.internalError(requestId));
    }
    const answer = mapProxyResult(outcome.result);
    if (!answer) {
      log.error("malformed Lambda proxy response; answering 502", fields);
      return own(gatewayAnswers.internalError(requestId));
    }
    log.debug(`${method} ${path} ${answer.status}`, { ...fields, ms: outcome.durationMs });
    // The function's answer goes out as it gave it: a proxy integration adds no CORS header.
    return withId(answer);
  }

  /**
   * An answer the gateway makes itself, with the CORS headers the stack's gateway
   * responses carry (lib/cors.ts gatewayCorsHeaders); unchanged with CORS off.
   */
  withCors(req: IncomingMessage, answer: GatewayAnswer): GatewayAnswer {
    const origins = this.options.cors?.allowOrigins ?? [];
    const headers = resolveGatewayHeaders(gatewayCorsHeaders(origins), (name) => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    });
    if (Object.keys(headers).length === 0) return answer;
    return { ...answer, headers: { ...answer.headers, ...headers } };
  }
}

/**
 * The MOCK integration CDK's defaultCorsPreflightOptions creates: 204, the first
 * allowed origin unless the request's Origin is another allowed one.
 */
export function preflight(cors: CorsPreflight, origin: string | undefined): GatewayAnswer {
  const any = cors.allowOrigins.includes("*");
  const allowOrigin = any
    ? "*"
    : origin && cors.allowOrigins.includes(origin)
      ? origin
      : (cors.allowOrigins[0] ?? "*");
  return {
    status: 204,
    headers: {
      "access-control-allow-headers": cors.allowHeaders.join(","),
      "access-control-allow-origin": allowOrigin,
      ...(any ? {} : { vary: "Origin" }),
      "access-control-allow-methods": cors.allowMethods.join(","),
      ...(cors.exposeHeaders?.length
        ? { "access-control-expose-headers": cors.exposeHeaders.join(",") }
        : {}),
    },
  };
}

function normalizeIp(address: string | undefined): string {
  if (!address) return "127.0.0.1";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

async function drain(req: IncomingMessage): Promise<void> {
  req.resume();
  if (req.readableEnded) return;
  await new Promise<void>((resolve) => {
    req.once("end", resolve);
    req.once("error", () => resolve());
    req.once("close", () => resolve());
  });
}

export function writeAnswer(res: ServerResponse, answer: GatewayAnswer): void {
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  res.statusCode = answer.status;
  res.end(answer.body);
}

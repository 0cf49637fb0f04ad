/**
 * A local stand-in for the stack's API Gateway REST API (Lambda proxy integration), one
 * request end to end: CORS preflight, route (router.ts), stage throttle (token-bucket.ts),
 * body (body.ts), proxy event (proxy-event.ts), the key authorizer and usage plan
 * (authorizer.ts), the integration with its timeout, and the function's answer mapped back
 * (proxy-result.ts), or the gateway's own answer (answers.ts) with CORS headers (cors.ts).
 */

import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { resolveGatewayHeaders } from "../../lib/contracts/cors.js";
import type { Route } from "../../lib/contracts/functions.js";
import { GATEWAY_ECHOED_HEADERS } from "../../lib/contracts/gateway.js";
import { describeError, type InvokeOutcome, LAMBDA_PAYLOAD_LIMIT_BYTES } from "../lambda.js";
import type { RuntimeLogger } from "../log.js";
import { type GatewayAnswer, gatewayAnswers } from "./answers.js";
import type { LocalAuthorizer } from "./authorizer.js";
import { BodyTooLarge, discardBody, readBody } from "./body.js";
import { type CorsPreflight, preflight, withGatewayCors } from "./cors.js";
import { buildProxyEvent, STAGE } from "./proxy-event.js";
import { mapProxyResult } from "./proxy-result.js";
import { Router } from "./router.js";
import { TokenBucket } from "./token-bucket.js";

/** API Gateway's request payload limit (REST APIs). */
export const API_PAYLOAD_LIMIT_BYTES = 10 * 1024 * 1024;
/** API Gateway's default integration timeout (REST APIs). */
export const INTEGRATION_TIMEOUT_MS = 29_000;

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
  /** The stack's key authorizer and usage plan on every route (authorizer.ts); absent: none. */
  auth?: LocalAuthorizer;
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

    // What the gateway answers itself carries what the stack's gateway responses carry.
    const own = (answer: GatewayAnswer) => withId(this.ownAnswer(req, answer));

    const cors = this.options.cors;
    if (method === "OPTIONS" && cors && this.router.isResource(path)) {
      await discardBody(req);
      return withId(preflight(cors, req.headers.origin));
    }
    const match = this.router.match(method, path);
    if (match.kind !== "route") {
      await discardBody(req);
      return own(gatewayAnswers.missingRoute(requestId));
    }
    if (!this.bucket.take()) {
      await discardBody(req);
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
   * responses carry (local/gateway/cors.ts); unchanged with CORS off.
   */
  private withCors(req: IncomingMessage, answer: GatewayAnswer): GatewayAnswer {
    return withGatewayCors(this.options.cors?.allowOrigins ?? [], req, answer);
  }

  /**
   * An answer the gateway makes itself, as the stack's gateway responses make it: CORS
   * headers, and the caller's X-Correlation-Id echoed when it sent one (a gateway response
   * can only copy request values; the functions generate one when none is sent).
   */
  ownAnswer(req: IncomingMessage, answer: GatewayAnswer): GatewayAnswer {
    const withHeaders = this.withCors(req, answer);
    const echoed = resolveGatewayHeaders(GATEWAY_ECHOED_HEADERS, (name) => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    });
    return { ...withHeaders, headers: { ...withHeaders.headers, ...echoed } };
  }
}

function normalizeIp(address: string | undefined): string {
  if (!address) return "127.0.0.1";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/**
 * The answers the gateway makes itself, as the stack's gateway responses make them
 * (lib/constructs/api.ts, lib/contracts/gateway.ts): the error envelope with the request
 * id; MISSING_AUTHENTICATION_TOKEN (no such resource or method) is a 404 instead of REST
 * API's default 403 "Missing Authentication Token"; THROTTLED carries Retry-After.
 */
import type { ServerResponse } from "node:http";
import {
  AUTH_ANSWERS,
  type AuthAnswer,
  errorEnvelope,
  GATEWAY_ANSWERS,
  THROTTLED_RETRY_AFTER_SECONDS,
} from "../../lib/contracts/gateway.js";

/** An HTTP answer, whoever makes it (gateway, function, admin API, console). */
export interface GatewayAnswer {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
}

/** An answer the gateway makes itself, in the error envelope. */
export function authAnswer(
  answer: AuthAnswer,
  requestId: string,
  headers: Record<string, string> = {},
): GatewayAnswer {
  return {
    status: answer.status,
    headers: { "content-type": "application/json", ...headers },
    body: errorEnvelope(answer, requestId),
  };
}

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

export function writeAnswer(res: ServerResponse, answer: GatewayAnswer): void {
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  res.statusCode = answer.status;
  res.end(answer.body);
}

/**
 * CORS at the local gateway, as the stack configures it (lib/constructs/api.ts): the
 * preflight CDK's defaultCorsPreflightOptions creates on every resource, and the CORS
 * headers of the gateway's own answers (lib/contracts/cors.ts gatewayCorsHeaders).
 */
import type { IncomingMessage } from "node:http";
import { gatewayCorsHeaders, resolveGatewayHeaders } from "../../lib/contracts/cors.js";
import type { GatewayAnswer } from "./answers.js";

export interface CorsPreflight {
  allowOrigins: readonly string[];
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  exposeHeaders?: readonly string[];
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

/**
 * An answer the gateway makes itself, with the CORS headers the stack's gateway
 * responses carry; unchanged with CORS off (no origins).
 */
export function withGatewayCors(
  origins: readonly string[],
  req: IncomingMessage,
  answer: GatewayAnswer,
): GatewayAnswer {
  const headers = resolveGatewayHeaders(gatewayCorsHeaders(origins), (name) => {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  });
  if (Object.keys(headers).length === 0) return answer;
  return { ...answer, headers: { ...answer.headers, ...headers } };
}

/**
 * What browsers and clients get from the answers API Gateway makes itself, in the
 * template: every gateway response in the error envelope (request id from
 * $context.requestId), the same codes, messages and headers the local gateway uses
 * (lib/contracts/gateway.ts), and CORS headers on all of them when `corsOrigins` is set, none
 * when it is empty. The functions' own CORS headers come from their environment.
 */
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Cors } from "aws-cdk-lib/aws-apigateway";
import { describe, expect, it } from "vitest";
import { CONTEXT_PREFIX } from "../../lib/config.js";
import { CDK_DEFAULT_ALLOW_HEADERS } from "../../lib/contracts/cors.js";
import { ENV } from "../../lib/contracts/environment.js";
import { ROUTES } from "../../lib/contracts/functions.js";
import {
  AUTH_ANSWERS,
  type AuthAnswer,
  GATEWAY_ANSWERS,
  INTERNAL_ERROR_MESSAGE,
} from "../../lib/contracts/gateway.js";
import { createEventFlowStack } from "../../lib/eventflow-stack.js";

function synth(settings: Record<string, unknown> = {}) {
  // No bundling: stack.test.ts bundles every handler.
  const context: Record<string, unknown> = { "aws:cdk:bundling-stacks": [] };
  for (const [key, value] of Object.entries(settings)) context[`${CONTEXT_PREFIX}${key}`] = value;
  const stack = createEventFlowStack(new App({ context }));
  return Template.fromStack(stack);
}

interface GatewayResponseProps {
  ResponseType: string;
  StatusCode?: string;
  ResponseParameters?: Record<string, string>;
  ResponseTemplates: Record<string, string>;
}

const responsesOf = (template: Template) =>
  new Map(
    Object.values(template.findResources("AWS::ApiGateway::GatewayResponse")).map((r) => {
      const props = r.Properties as GatewayResponseProps;
      return [props.ResponseType, props];
    }),
  );

/** The body API Gateway would send, with its variables filled in. */
const render = (props: GatewayResponseProps | undefined, messageString = '"Forbidden"') =>
  JSON.parse(
    String(props?.ResponseTemplates["application/json"])
      .replace("$context.requestId", "req-1")
      .replace("$context.error.messageString", messageString),
  ) as unknown;

const header = (props: GatewayResponseProps | undefined, name: string) =>
  props?.ResponseParameters?.[`gatewayresponse.header.${name}`];

const corsHeadersOf = (props: GatewayResponseProps | undefined) =>
  Object.fromEntries(
    Object.entries(props?.ResponseParameters ?? {}).filter(([k]) =>
      /\.(Access-Control-[\w-]+|Vary)$/.test(k),
    ),
  );

describe("gateway responses: the error envelope", () => {
  const responses = responsesOf(synth());

  it.each([
    ["MISSING_AUTHENTICATION_TOKEN", GATEWAY_ANSWERS.routeNotFound],
    ["UNAUTHORIZED", AUTH_ANSWERS.unauthorized],
    ["ACCESS_DENIED", AUTH_ANSWERS.forbidden],
    ["INVALID_API_KEY", AUTH_ANSWERS.noUsagePlan],
    ["THROTTLED", AUTH_ANSWERS.throttled],
    ["QUOTA_EXCEEDED", AUTH_ANSWERS.quotaExceeded],
    ["REQUEST_TOO_LARGE", GATEWAY_ANSWERS.tooLarge],
    ["INTEGRATION_TIMEOUT", GATEWAY_ANSWERS.integrationTimeout],
  ] as [string, AuthAnswer][])("%s answers what the local gateway answers", (type, answer) => {
    const props = responses.get(type);
    expect(props?.StatusCode).toBe(String(answer.status));
    expect(render(props)).toEqual({
      error: { code: answer.code, message: answer.message, requestId: "req-1" },
    });
  });

  it("DEFAULT_4XX keeps API Gateway's status and words, in the envelope", () => {
    const props = responses.get("DEFAULT_4XX");
    expect(props?.StatusCode).toBeUndefined();
    expect(render(props, '"Invalid request signature"')).toEqual({
      error: { code: "bad_request", message: "Invalid request signature", requestId: "req-1" },
    });
  });

  it("DEFAULT_5XX keeps API Gateway's status (502, 500...) and says nothing of the failure", () => {
    const props = responses.get("DEFAULT_5XX");
    expect(props?.StatusCode).toBeUndefined();
    expect(props?.ResponseTemplates["application/json"]).not.toContain("$context.error");
    expect(render(props)).toEqual({
      error: { code: "internal_error", message: INTERNAL_ERROR_MESSAGE, requestId: "req-1" },
    });
  });

  it("carries no CORS header when corsOrigins is empty", () => {
    for (const props of responses.values()) {
      expect(corsHeadersOf(props), props.ResponseType).toEqual({});
    }
    expect(header(responses.get("THROTTLED"), "Retry-After")).toBe("'1'");
  });

  it("echoes the caller's X-Correlation-Id on every one, as the local gateway does", () => {
    expect(responses.size).toBeGreaterThanOrEqual(10);
    for (const props of responses.values()) {
      expect(header(props, "X-Correlation-Id"), props.ResponseType).toBe(
        "method.request.header.X-Correlation-Id",
      );
    }
  });
});

describe("CORS", () => {
  const EXPOSE = "'X-Correlation-Id, Retry-After'";

  it("one origin: every gateway response names it, beside its own headers", () => {
    const responses = responsesOf(synth({ corsOrigins: "https://app.example.com" }));
    expect(responses.size).toBeGreaterThanOrEqual(10);
    for (const props of responses.values()) {
      expect(corsHeadersOf(props), props.ResponseType).toEqual({
        "gatewayresponse.header.Access-Control-Allow-Origin": "'https://app.example.com'",
        "gatewayresponse.header.Access-Control-Expose-Headers": EXPOSE,
        "gatewayresponse.header.Vary": "'Origin'",
      });
    }
    expect(header(responses.get("UNAUTHORIZED"), "WWW-Authenticate")).toBe(
      `'Bearer realm="eventflow"'`,
    );
    expect(header(responses.get("QUOTA_EXCEEDED"), "Retry-After")).toBe("'3600'");
  });

  it("several origins: gateway responses reflect no Origin (they cannot check it), and carry no CORS header", () => {
    const responses = responsesOf(
      synth({ corsOrigins: "https://a.example.com,https://b.example.com" }),
    );
    expect(responses.size).toBeGreaterThanOrEqual(10);
    for (const props of responses.values()) {
      expect(corsHeadersOf(props), props.ResponseType).toEqual({});
      // Only the correlation id is copied from the request, never the Origin.
      expect(
        Object.values(props.ResponseParameters ?? {}).filter((v) =>
          v.startsWith("method.request.header."),
        ),
      ).toEqual(["method.request.header.X-Correlation-Id"]);
    }
    expect(header(responses.get("UNAUTHORIZED"), "WWW-Authenticate")).toBe(
      `'Bearer realm="eventflow"'`,
    );
  });

  it("`*`: any origin, no Vary", () => {
    const responses = responsesOf(synth({ corsOrigins: "*" }));
    for (const props of responses.values()) {
      expect(corsHeadersOf(props), props.ResponseType).toEqual({
        "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
        "gatewayresponse.header.Access-Control-Expose-Headers": EXPOSE,
      });
    }
  });

  it("the API functions get the origins; the preflight exposes Retry-After too", () => {
    const template = synth({ corsOrigins: "https://a.example.com,https://b.example.com" });
    const functions = Object.values(template.findResources("AWS::Lambda::Function")).map(
      (f) => (f.Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
    );
    const withOrigins = functions.filter((vars) => ENV.corsOrigins in vars);
    // Every function behind a proxy integration (ingest, query, replay, schemas, rules...).
    expect(withOrigins).toHaveLength(new Set(ROUTES.map((r) => r.function)).size);
    for (const vars of withOrigins) {
      expect(vars[ENV.corsOrigins]).toBe("https://a.example.com,https://b.example.com");
    }
    const preflights = Object.values(
      template.findResources("AWS::ApiGateway::Method", { Properties: { HttpMethod: "OPTIONS" } }),
    );
    expect(preflights.length).toBeGreaterThan(0);
    for (const method of preflights) {
      const [response] = method.Properties.Integration.IntegrationResponses;
      expect(response.ResponseParameters).toMatchObject({
        "method.response.header.Access-Control-Expose-Headers": "'X-Correlation-Id,Retry-After'",
        "method.response.header.Access-Control-Allow-Headers":
          expect.stringContaining("X-Correlation-Id"),
      });
    }
  });

  it("rejects an origin a browser would never send", () => {
    expect(() => synth({ corsOrigins: "https://app.example.com/" })).toThrow(/corsOrigins/);
  });
});

describe("the local gateway's preflight", () => {
  it("allows aws-cdk-lib's default CORS headers, as the stack's preflight does", () => {
    expect([...CDK_DEFAULT_ALLOW_HEADERS]).toEqual(Cors.DEFAULT_HEADERS);
  });
});

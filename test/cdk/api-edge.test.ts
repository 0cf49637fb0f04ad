/**
 * The API's edge decisions in the template: binary bodies for binary-mode CloudEvents,
 * no API Gateway request validation (the handlers validate and answer in one error
 * shape; see lib/constructs/api.ts), and the OpenAPI route served by the query function.
 */
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, expect, it } from "vitest";
import { BINARY_MEDIA_TYPES } from "../../lib/constructs/api.js";
import { createEventFlowStack, type EventFlowStack } from "../../lib/eventflow-stack.js";
import { logicalId } from "../support/cdk.js";

let stack: EventFlowStack;
let template: Template;

beforeAll(() => {
  // No bundling: stack.test.ts bundles every handler.
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  stack = createEventFlowStack(app);
  template = Template.fromStack(stack);
}, 120_000);

it("passes binary-mode CloudEvent data byte for byte, JSON bodies as text", () => {
  template.hasResourceProperties("AWS::ApiGateway::RestApi", {
    BinaryMediaTypes: [...BINARY_MEDIA_TYPES],
  });
  expect(BINARY_MEDIA_TYPES).toContain("application/octet-stream");
  // A wildcard would also base64 JSON and break the CORS preflight's MOCK integration.
  expect(BINARY_MEDIA_TYPES.some((t) => t === "*/*" || /json/.test(t))).toBe(false);
});

it("leaves request validation to the handlers: no validators, no models", () => {
  template.resourceCountIs("AWS::ApiGateway::RequestValidator", 0);
  template.resourceCountIs("AWS::ApiGateway::Model", 0);
  for (const method of Object.values(template.findResources("AWS::ApiGateway::Method"))) {
    expect(method.Properties.RequestValidatorId).toBeUndefined();
    expect(method.Properties.RequestModels).toBeUndefined();
  }
});

it("serves GET /v1/openapi.json from the query function", () => {
  const resources = template.findResources("AWS::ApiGateway::Resource", {
    Properties: { PathPart: "openapi.json" },
  });
  const [resourceId] = Object.keys(resources);
  expect(resourceId).toBeDefined();
  const methods = Object.values(
    template.findResources("AWS::ApiGateway::Method", {
      Properties: { HttpMethod: "GET", ResourceId: { Ref: resourceId } },
    }),
  );
  expect(methods).toHaveLength(1);
  expect(JSON.stringify(methods[0]?.Properties.Integration.Uri)).toContain(
    logicalId(stack.api.queryFunction.function),
  );
});

/**
 * lib/contracts/cors.ts, the one rule for the CORS headers of the answers the gateway makes
 * itself (the stack's gateway responses and the local gateway both read it): never the
 * request's Origin, whatever `corsOrigins` holds; `Vary: Origin` beside a named origin.
 */
import { describe, expect, it } from "vitest";
import { gatewayCorsHeaders, resolveGatewayHeaders } from "../../lib/contracts/cors.js";

const EVIL = "https://evil.example";
const answer = (origins: string[], origin = EVIL) =>
  resolveGatewayHeaders(gatewayCorsHeaders(origins), (name) =>
    name.toLowerCase() === "origin" ? origin : undefined,
  );

describe("gateway answers' CORS headers", () => {
  it("several origins: none at all, and nothing taken from the request", () => {
    const origins = ["https://a.example", "https://b.example"];
    expect(gatewayCorsHeaders(origins)).toEqual({});
    expect(answer(origins)).toEqual({});
    expect(answer(origins, "https://a.example")).toEqual({});
  });

  it("one origin: that origin, static, with Vary: Origin", () => {
    expect(answer(["https://a.example"])).toEqual({
      "Access-Control-Allow-Origin": "https://a.example",
      "Access-Control-Expose-Headers": "X-Correlation-Id, Retry-After",
      Vary: "Origin",
    });
  });

  it("`*`: any origin, no Vary; no origins: nothing", () => {
    expect(answer(["*"])).toEqual({
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Expose-Headers": "X-Correlation-Id, Retry-After",
    });
    expect(answer([])).toEqual({});
  });

  it("never copies a request header, for any list of origins", () => {
    const lists = [[], ["*"], ["https://a.example"], ["https://a.example", "https://b.example"]];
    for (const origins of lists) {
      for (const source of Object.values(gatewayCorsHeaders(origins))) {
        expect(source.kind, origins.join(",")).toBe("static");
      }
      expect(Object.values(answer(origins))).not.toContain(EVIL);
    }
  });
});

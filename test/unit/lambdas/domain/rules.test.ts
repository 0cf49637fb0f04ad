import { describe, expect, it } from "vitest";
import type { AcceptedEvent } from "../../../../lambdas/domain/event.js";
import { checkBusinessRules } from "../../../../lambdas/domain/rules.js";

const event = (e: Partial<AcceptedEvent> & { type: string }): AcceptedEvent => ({
  id: "e1",
  data: {},
  ...e,
});

const reasonOf = (e: AcceptedEvent) => {
  const verdict = checkBusinessRules(e);
  return verdict.ok ? undefined : verdict.reason;
};

describe("business rules", () => {
  describe("purchase: data.amount is a number > 0", () => {
    it.each([0.01, 1, 1000, 1e9])("accepts amount %s", (amount) => {
      expect(checkBusinessRules(event({ type: "purchase", data: { amount } }))).toEqual({
        ok: true,
      });
    });

    it.each([
      ["zero", 0],
      ["negative", -5],
    ])("rejects a %s amount", (_, amount) => {
      expect(reasonOf(event({ type: "purchase", data: { amount } }))).toBe(
        "purchase: data.amount must be greater than 0",
      );
    });

    it.each([
      ["missing", {}],
      ["a string", { amount: "10" }],
      ["null", { amount: null }],
      ["infinite", { amount: Number.POSITIVE_INFINITY }],
      ["NaN", { amount: Number.NaN }],
    ])("rejects an amount that is %s", (_, data) => {
      expect(reasonOf(event({ type: "purchase", data }))).toBe(
        "purchase: data.amount must be a number",
      );
    });
  });

  describe("user_signup: subject is the user id", () => {
    it("accepts a subject", () => {
      expect(checkBusinessRules(event({ type: "user_signup", subject: "u-1" })).ok).toBe(true);
    });
    it.each([undefined, ""])("rejects subject %j", (subject) => {
      expect(reasonOf(event({ type: "user_signup", subject }))).toMatch(/subject/);
    });
  });

  describe("page_view: data.url is a string", () => {
    it("accepts a url", () => {
      expect(checkBusinessRules(event({ type: "page_view", data: { url: "/home" } })).ok).toBe(
        true,
      );
    });
    it.each([{}, { url: 42 }, { url: ["/a"] }])("rejects data %j", (data) => {
      expect(reasonOf(event({ type: "page_view", data }))).toBe(
        "page_view: data.url must be a string",
      );
    });
  });

  describe("other types need only an object", () => {
    it("accepts any object", () => {
      expect(checkBusinessRules(event({ type: "custom.thing", data: {} })).ok).toBe(true);
      expect(checkBusinessRules(event({ type: "custom.thing", data: { a: [1] } })).ok).toBe(true);
    });
    it.each([null, [], "text", 3])("rejects data %j", (data) => {
      const e = { id: "e1", type: "custom.thing", data } as unknown as AcceptedEvent;
      expect(reasonOf(e)).toBe("data must be a JSON object");
    });
    it("does not apply a rule named like an Object prototype member", () => {
      expect(checkBusinessRules(event({ type: "constructor", data: {} })).ok).toBe(true);
      expect(checkBusinessRules(event({ type: "toString", data: {} })).ok).toBe(true);
    });
  });

  it("is case-sensitive on the type (Purchase is not purchase)", () => {
    expect(checkBusinessRules(event({ type: "Purchase", data: {} })).ok).toBe(true);
  });
});

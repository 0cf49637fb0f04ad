/**
 * The expression engine (jsonata, re2js) is a side bundle loaded on first need
 * (lambdas/domain/expression-engine-loader.ts). Here, from the sources, in a fresh module
 * graph where it is not loaded yet (the unit tests' setup loads it otherwise): the default
 * rules, and a tenant's expressions of the fast path's shapes, run without it (read by the
 * subset parser, expression-subset-parser.ts); any other expression needs
 * `prepareExpressions`/`prepareRules` first, and then runs as before; a value that makes a
 * fast path decline loads it on the way.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Rule, RuleInput } from "../../../../lambdas/domain/rules.js";

/** rules.ts and the loader in a module graph of their own: the engine not loaded. */
async function fresh() {
  vi.resetModules();
  const rules = await import("../../../../lambdas/domain/rules.js");
  const loader = await import("../../../../lambdas/domain/expression-engine-loader.js");
  return { ...rules, ...loader };
}

const event = (e: Partial<RuleInput> & { type: string }): RuleInput => ({
  id: "e1",
  data: {},
  receivedAt: "2026-12-06T10:00:00.000Z",
  ...e,
});

const tenantRules: Rule[] = [
  {
    name: "sku-code",
    match: { type: ["purchase"] },
    condition: "$contains(data.sku, /^[A-Z]{3}-[0-9]+$/)",
    actions: [{ type: "enrich", set: { total: "$sum(data.items.price)" } }],
  },
];

describe("without the engine loaded", () => {
  let m: Awaited<ReturnType<typeof fresh>>;
  beforeEach(async () => {
    m = await fresh();
  });

  it("runs the default rules, and does not load it", async () => {
    expect(m.loadedExpressionEngine()).toBeUndefined();
    const defaults = m.compileRuleset(m.DEFAULT_RULESET);
    const outcome = (e: RuleInput) => m.applyRules(defaults, e);
    expect((await outcome(event({ type: "purchase", data: { amount: 5000 } }))).enrichment).toEqual(
      { category: "high_value" },
    );
    expect((await outcome(event({ type: "purchase", data: { amount: "5" } }))).rejected).toEqual({
      rule: "purchase-amount-is-number",
      message: "purchase: data.amount must be a number",
    });
    expect((await outcome(event({ type: "page_view", data: { url: 3 } }))).rejected?.rule).toBe(
      "page-view-needs-url",
    );
    await m.prepareRules(m.DEFAULT_RULESET.rules);
    expect(m.loadedExpressionEngine()).toBeUndefined();
  });

  it("runs a tenant's expressions of the fast path's shapes, and does not load it", async () => {
    const rules: Rule[] = [
      {
        name: "vip",
        match: { type: ["purchase"] },
        condition: "data.currency = 'EUR' and data.amount >= 100",
        actions: [
          {
            type: "enrich",
            set: { tier: "data.amount > 1000 ? 'gold' : 'silver'", net: "data.amount * 0.8" },
          },
        ],
      },
    ];
    await m.prepareRules(rules);
    const compiled = m.compileRuleset({ version: 2, source: "tenant", rules });
    const outcome = await m.applyRules(
      compiled,
      event({ type: "purchase", data: { amount: 2000, currency: "EUR" } }),
    );
    expect(outcome.enrichment).toEqual({ tier: "gold", net: 1600 });
    // A disabled rule is never compiled: its expressions do not load the engine either.
    await m.prepareRules([...rules, { ...tenantRules[0], enabled: false }]);
    expect(m.loadedExpressionEngine()).toBeUndefined();
  });

  it("refuses to compile another expression until prepared, then runs it as before", async () => {
    const ruleset = { version: 3, source: "tenant" as const, rules: tenantRules };
    expect(() => m.compileRuleset(ruleset)).toThrow(/expression engine is not loaded/);
    await m.prepareRules(ruleset.rules);
    expect(m.loadedExpressionEngine()).toBeDefined();
    const compiled = m.compileRuleset(ruleset);
    const e = event({
      type: "purchase",
      data: { amount: 2, sku: "ABC-12", items: [{ price: 1 }, { price: 2.5 }] },
    });
    const outcome = await m.applyRules(compiled, e);
    expect(outcome.matched).toEqual(["sku-code"]);
    expect(outcome.enrichment).toEqual({ total: 3.5 });
    expect(outcome.errors).toEqual([]);
  });

  it("validates a tenant's rules once prepared (RE2 refuses a backreference, with its position)", async () => {
    const raw = { rules: [{ ...tenantRules[0], condition: "$contains(data.sku, /(a)\\1/)" }] };
    await m.prepareRules(raw.rules);
    expect(() => m.parseRules(raw)).toThrow(m.RulesetError);
    try {
      m.parseRules(raw);
    } catch (error) {
      expect((error as InstanceType<typeof m.RulesetError>).details[0]).toMatchObject({
        path: "rules[0].condition",
        message: expect.stringMatching(/^EF03 at character \d+: regular expression/),
      });
    }
  });

  it("loads it when a value makes a default expression's fast path decline, with JSONata's result", async () => {
    const defaults = m.compileRuleset(m.DEFAULT_RULESET);
    // An array on the path: JSONata maps over it, the fast path leaves that to JSONata.
    const outcome = await m.applyRules(
      defaults,
      event({ type: "purchase", data: { amount: [2000] } }),
    );
    expect(m.loadedExpressionEngine()).toBeDefined();
    // JSONata's answer: `$type` of an array is "array", so not a number.
    expect(outcome.rejected?.rule).toBe("purchase-amount-is-number");
    expect(outcome.errors).toEqual([]);
    // Same as JSONata alone (the fast path off) on the enrichment's expression.
    const source = "data.amount > 1000 ? 'high_value' : 'standard'";
    const { compileExpression } = await import("../../../../lambdas/domain/expressions.js");
    const reference = await compileExpression(source, { fastPath: false })
      .evaluate({ data: { amount: [2000] } })
      .then(
        (value) => ({ value }),
        (error: Error) => ({ error: error.message }),
      );
    const recorded = await compileExpression(source)
      .evaluate({ data: { amount: [2000] } })
      .then(
        (value) => ({ value }),
        (error: Error) => ({ error: error.message }),
      );
    expect(recorded).toEqual(reference);
  });
});

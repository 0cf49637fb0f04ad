/**
 * Rules: the built-in default set keeps the seeds' verdicts (these cases were the tests of
 * the hard-coded checks it replaced), and the engine's semantics (order, reject stops,
 * enrich, route, conditions, run-time errors, validation errors with paths).
 */
import { describe, expect, it } from "vitest";
import {
  applyRules,
  compileRuleset,
  DEFAULT_RULESET,
  parseRules,
  type Rule,
  type RuleInput,
  RulesetError,
} from "../../../../lambdas/domain/rules.js";

const event = (e: Partial<RuleInput> & { type: string }): RuleInput => ({
  id: "e1",
  data: {},
  receivedAt: "2026-12-06T10:00:00.000Z",
  ...e,
});

const defaults = compileRuleset(DEFAULT_RULESET);
const run = (e: RuleInput) => applyRules(defaults, e);
const reasonOf = async (e: RuleInput) => (await run(e)).rejected?.message;

describe("the default rule set (the seeds' checks, as rules)", () => {
  describe("purchase: data.amount is a number > 0", () => {
    it.each([0.01, 1, 1000, 1e9])("accepts amount %s", async (amount) => {
      expect(await reasonOf(event({ type: "purchase", data: { amount } }))).toBeUndefined();
    });

    it.each([
      ["zero", 0],
      ["negative", -5],
    ])("rejects a %s amount", async (_, amount) => {
      expect(await reasonOf(event({ type: "purchase", data: { amount } }))).toBe(
        "purchase: data.amount must be greater than 0",
      );
    });

    it.each([
      ["missing", {}],
      ["a string", { amount: "10" }],
      ["null", { amount: null }],
      ["an array", { amount: [5] }],
      ["an object", { amount: { value: 5 } }],
    ])("rejects an amount that is %s", async (_, data) => {
      expect(await reasonOf(event({ type: "purchase", data }))).toBe(
        "purchase: data.amount must be a number",
      );
    });

    it.each([
      [1000.01, "high_value"],
      [1000, "standard"],
      [5, "standard"],
    ])("categorises a purchase of %s as %s", async (amount, category) => {
      const outcome = await run(event({ type: "purchase", data: { amount } }));
      expect(outcome.enrichment).toEqual({ category });
      expect(outcome.matched).toEqual(["purchase-category"]);
    });
  });

  describe("user_signup: subject is the user id", () => {
    it("accepts a subject", async () => {
      expect(await reasonOf(event({ type: "user_signup", subject: "u-1" }))).toBeUndefined();
    });
    it.each([undefined, ""])("rejects subject %j", async (subject) => {
      expect(await reasonOf(event({ type: "user_signup", subject }))).toBe(
        "user_signup: subject (the user id) is required",
      );
    });
  });

  describe("page_view: data.url is a string", () => {
    it("accepts a url", async () => {
      expect(await reasonOf(event({ type: "page_view", data: { url: "/home" } }))).toBeUndefined();
    });
    it.each([{}, { url: 42 }, { url: ["/a"] }, { url: null }])("rejects data %j", async (data) => {
      expect(await reasonOf(event({ type: "page_view", data }))).toBe(
        "page_view: data.url must be a string",
      );
    });
  });

  it("other types pass untouched; no type is special in code", async () => {
    for (const type of ["custom.thing", "constructor", "toString", "Purchase"]) {
      const outcome = await run(event({ type, data: { a: [1] } }));
      expect(outcome).toEqual({ version: 0, matched: [], enrichment: {}, routes: [], errors: [] });
    }
  });

  it("turned off (no rules), purchases pass and get no category", async () => {
    const off = compileRuleset({ version: 3, source: "tenant", rules: [] });
    const outcome = await applyRules(off, event({ type: "purchase", data: { amount: -1 } }));
    expect(outcome).toEqual({ version: 3, matched: [], enrichment: {}, routes: [], errors: [] });
  });

  it("a rule with enabled: false is skipped", async () => {
    const rules = DEFAULT_RULESET.rules.map((r) =>
      r.name === "purchase-amount-positive" ? { ...r, enabled: false } : r,
    );
    const compiled = compileRuleset({ version: 1, source: "tenant", rules });
    const outcome = await applyRules(compiled, event({ type: "purchase", data: { amount: -1 } }));
    expect(outcome.rejected).toBeUndefined();
    expect(outcome.enrichment).toEqual({ category: "standard" });
  });
});

const DST_A = "dst_aaaaaaaaaaaaaaaaaaaaaaaaaa";
const DST_B = "dst_bbbbbbbbbbbbbbbbbbbbbbbbbb";

const compile = (rules: Rule[]) => compileRuleset({ version: 7, source: "tenant", rules });

describe("the engine", () => {
  it("runs rules in order; later rules see earlier enrichment; routes carry transforms", async () => {
    const compiled = compile([
      {
        name: "tier",
        match: { type: ["order"] },
        actions: [{ type: "enrich", set: { tier: "data.total >= 100 ? 'gold' : 'basic'" } }],
      },
      {
        name: "gold-to-crm",
        match: { enrichment: { tier: ["gold"] } },
        actions: [
          {
            type: "route",
            destinations: [DST_A, DST_B],
            transform: "{ 'order': id, 'total': data.total, 'tier': enrichment.tier }",
          },
        ],
      },
      {
        name: "everything-to-a",
        match: {},
        actions: [{ type: "route", destinations: [DST_A] }],
      },
    ]);
    const outcome = await applyRules(compiled, event({ type: "order", data: { total: 120 } }));
    expect(outcome.matched).toEqual(["tier", "gold-to-crm", "everything-to-a"]);
    expect(outcome.enrichment).toEqual({ tier: "gold" });
    expect(outcome.routes).toEqual([
      {
        rule: "gold-to-crm",
        destinationId: DST_A,
        payload: { order: "e1", total: 120, tier: "gold" },
      },
      {
        rule: "gold-to-crm",
        destinationId: DST_B,
        payload: { order: "e1", total: 120, tier: "gold" },
      },
      { rule: "everything-to-a", destinationId: DST_A },
    ]);
    expect(outcome.version).toBe(7);
  });

  it("a reject stops every later action and rule", async () => {
    const compiled = compile([
      {
        name: "no-test",
        match: { source: [{ prefix: "test-" }] },
        actions: [
          { type: "reject", message: "test sources are not accepted" },
          { type: "enrich", set: { never: "1" } },
        ],
      },
      { name: "later", match: {}, actions: [{ type: "route", destinations: [DST_A] }] },
    ]);
    const outcome = await applyRules(compiled, event({ type: "x", source: "test-suite" }));
    expect(outcome.rejected).toEqual({ rule: "no-test", message: "test sources are not accepted" });
    expect(outcome.matched).toEqual(["no-test"]);
    expect(outcome.enrichment).toEqual({});
    expect(outcome.routes).toEqual([]);
  });

  it("a condition narrows a match (compares two fields, which a pattern cannot)", async () => {
    const compiled = compile([
      {
        name: "over-limit",
        match: { type: ["withdrawal"] },
        condition: "data.amount > data.limit",
        actions: [{ type: "reject", message: "over the limit" }],
      },
    ]);
    const over = await applyRules(
      compiled,
      event({ type: "withdrawal", data: { amount: 5, limit: 3 } }),
    );
    const under = await applyRules(
      compiled,
      event({ type: "withdrawal", data: { amount: 2, limit: 3 } }),
    );
    expect(over.rejected?.message).toBe("over the limit");
    expect(under.rejected).toBeUndefined();
    expect(under.matched).toEqual([]);
  });

  it("an expression that fails at run time is listed and the event goes on", async () => {
    const compiled = compile([
      {
        name: "bad",
        match: {},
        actions: [
          { type: "enrich", set: { sum: "data.a + data.b", ok: "'fine'" } },
          {
            type: "route",
            destinations: [DST_A],
            transform: "($loop := function(){ $loop() }; $loop())",
          },
        ],
      },
    ]);
    const outcome = await applyRules(compiled, event({ type: "x", data: { a: 1, b: "two" } }));
    expect(outcome.enrichment).toEqual({ ok: "fine" });
    expect(outcome.routes).toEqual([]);
    expect(outcome.errors.map((e) => [e.rule, e.at])).toEqual([
      ["bad", "actions[0].set.sum"],
      ["bad", "actions[1].transform"],
    ]);
    expect(outcome.errors[0]?.message).toMatch(/^T2002/);
    expect(outcome.errors[1]?.message).toMatch(/^(D1011|D1012|EF04)/);
  });
});

describe("the per-event budget", () => {
  it("skips the expressions left once an event's rules took their budget", async () => {
    const slow = (n: number): Rule => ({
      name: `slow-${n}`,
      match: {},
      actions: [{ type: "enrich", set: { [`f${n}`]: "($f := function(){ $f() }; $f())" } }],
    });
    // Each slow expression runs to its step bound (milliseconds); a 1 ms budget (the
    // deployed one is RULE_LIMITS.maxEventEvaluationMs) is spent after the first.
    const compiled = compile(Array.from({ length: 6 }, (_, i) => slow(i)));
    const outcome = await applyRules(compiled, event({ type: "x" }), 1);
    expect(outcome.errors).toHaveLength(6);
    expect(outcome.errors[0]?.message).toMatch(/^(EF04|D1011|D1012)/);
    expect(outcome.errors.at(-1)?.message).toBe("skipped: this event's rules took more than 1 ms");
  });
});

const detailsOf = (raw: unknown) => {
  try {
    parseRules(raw);
  } catch (error) {
    if (error instanceof RulesetError) return error.details;
    throw error;
  }
  return [];
};

describe("parseRules: clear errors at creation", () => {
  const rule = (r: Partial<Rule>): Rule => ({
    name: "r",
    match: { type: ["x"] },
    actions: [{ type: "reject", message: "no" }],
    ...r,
  });

  it("accepts the default set as input", () => {
    expect(parseRules({ rules: DEFAULT_RULESET.rules }).rules).toHaveLength(5);
  });

  it("names a bad pattern by its path inside the rule", () => {
    expect(
      detailsOf({
        rules: [
          rule({}),
          rule({ name: "b", match: { data: { amount: [{ numeric: [">>", 1] }] } } }),
        ],
      }),
    ).toEqual([
      { path: "rules[1].match.data.amount[0].numeric[0]", message: "must be one of < <= > >= =" },
    ]);
  });

  it("gives a JSONata syntax error's code and position", () => {
    const details = detailsOf({
      rules: [rule({ actions: [{ type: "enrich", set: { total: "data.amount * (1 + " } }] })],
    });
    expect(details).toHaveLength(1);
    expect(details[0]?.path).toBe("rules[0].actions[0].set.total");
    expect(details[0]?.message).toMatch(/^S0\d{3} at character \d+: /);
  });

  it("refuses a regular expression RE2 cannot run, at creation", () => {
    const details = detailsOf({ rules: [rule({ condition: "$contains(data.s, /(a)\\1/)" })] });
    expect(details[0]?.path).toBe("rules[0].condition");
    expect(details[0]?.message).toMatch(/^EF03/);
  });

  it("refuses duplicate names, unknown fields, bad destination ids and empty actions", () => {
    expect(detailsOf({ rules: [rule({}), rule({})] })).toEqual([
      { path: "rules[1].name", message: '"r" is used twice' },
    ]);
    expect(detailsOf({ rules: [{ ...rule({}), extra: 1 }] })[0]).toEqual({
      path: "rules[0]",
      message: "unknown field(s): extra",
    });
    expect(
      detailsOf({ rules: [rule({ actions: [{ type: "route", destinations: ["https://x"] }] })] })[0]
        ?.path,
    ).toBe("rules[0].actions[0].destinations[0]");
    expect(detailsOf({ rules: [rule({ actions: [] })] })[0]?.path).toBe("rules[0].actions");
  });
});

/**
 * JSONata with bounds: every way a tenant's expression could run away (time, depth,
 * sequence size, string size, result size, a backtracking regex, $eval) ends in an
 * ExpressionError with a code, and syntax errors carry their position.
 */
import { describe, expect, it } from "vitest";
import {
  compileExpression,
  describeExpressionError,
  EXPRESSION_LIMITS,
  ExpressionError,
} from "../../../../lambdas/domain/expressions.js";

const failure = async (source: string, input: unknown = {}) => {
  try {
    await compileExpression(source).evaluate(input);
  } catch (error) {
    if (error instanceof ExpressionError) return error;
    throw error;
  }
  throw new Error(`${source} did not fail`);
};

describe("JSONata expressions with bounds", () => {
  it("evaluates to plain JSON", async () => {
    const e = compileExpression("{ 'total': $sum(items.price), 'names': items.name }");
    expect(
      await e.evaluate({
        items: [
          { name: "a", price: 2 },
          { name: "b", price: 3 },
        ],
      }),
    ).toEqual({
      total: 5,
      names: ["a", "b"],
    });
    expect(await compileExpression("missing.field").evaluate({})).toBeUndefined();
  });

  it("a syntax error names its code and character position", () => {
    try {
      compileExpression("data.amount * (1 + ");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ExpressionError);
      const e = error as ExpressionError;
      expect(e.code).toMatch(/^S0/);
      expect(e.position).toBeGreaterThan(0);
      expect(describeExpressionError(e)).toMatch(/^S0\d{3} at character \d+: /);
    }
  });

  it.each([
    ["an infinite loop (time)", "($f := function(){ $f() }; $f())", /^(D1011|D1012|EF04)$/],
    [
      "deep recursion (depth)",
      "($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))",
      /^(D1011|D1012|EF04)$/,
    ],
    ["a huge range (sequence)", "$count([1..1000000])", /^D2015$/],
    ["a huge string ($pad)", "$pad('x', 100000000)", /^EF01$/],
    [
      "a string grown by joining (string bound)",
      "$join([1..9000].$string($), '-------------')",
      /^(EF01|D2015|D1012|EF04)$/,
    ],
    ["$eval", "$eval('1 + 1')", /^EF02$/],
  ])("stops %s", async (_, source, code) => {
    const error = await failure(source);
    expect(error.code ?? "").toMatch(code);
  });

  it("refuses a result above the bound", async () => {
    const error = await failure("$pad('', 60000, 'x') & $pad('', 60000, 'y')");
    expect(error.code).toBe("EF01");
  });

  it("runs regular expressions on RE2: a catastrophic pattern is linear", async () => {
    const input = { s: `${"a".repeat(50_000)}!` };
    expect(await compileExpression("$contains(s, /^(a+)+$/)").evaluate(input)).toBe(false);
    expect(await compileExpression("$replace('a1b22c', /[0-9]+/, '#')").evaluate({})).toBe("a#b#c");
    expect(
      await compileExpression("$match('ab12', /([a-z]+)([0-9]+)/).groups").evaluate({}),
    ).toEqual(["ab", "12"]);
  });

  it("refuses, when compiling, a regex RE2 cannot run (backreference)", () => {
    expect(() => compileExpression("$contains(s, /(a)\\1/)")).toThrow(/EF03|not supported/);
    try {
      compileExpression("$contains(s, /(a)\\1/)");
    } catch (error) {
      expect((error as ExpressionError).code).toBe("EF03");
    }
  });

  it("refuses an expression longer than the limit", () => {
    expect(() => compileExpression("1+".repeat(EXPRESSION_LIMITS.maxChars))).toThrow(
      ExpressionError,
    );
  });
});

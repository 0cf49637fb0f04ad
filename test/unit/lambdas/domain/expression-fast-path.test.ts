/**
 * The fast path for simple JSONata shapes (lambdas/domain/expression-fast-path.ts) gives
 * what JSONata gives: on generated expressions of the handled grammar (and a few outside
 * it) over generated events (numbers, strings, booleans, null, nested objects, arrays,
 * missing fields, strings over the step bound), the expression compiled with the fast path
 * and the same expression evaluated by JSONata alone agree on every result and on every
 * error (code and message). And the fast path is really taken for the rules' usual shapes.
 */
import fc from "fast-check";
import jsonata from "jsonata";
import { describe, expect, it } from "vitest";
import { compileFastPath, DECLINED } from "../../../../lambdas/domain/expression-fast-path.js";
import {
  compileExpression,
  EXPRESSION_LIMITS,
  ExpressionError,
} from "../../../../lambdas/domain/expressions.js";
import { DEFAULT_RULES } from "../../../../lambdas/domain/rules.js";

const PATHS = [
  "type",
  "subject",
  "missing",
  "data",
  "data.amount",
  "data.currency",
  "data.flag",
  "data.nested.x",
  "data.nested",
  "data.list",
  "data.big",
  "data.amount.x",
  "enrichment.category",
  "`odd name`",
];

const word = fc.stringMatching(/^[a-zA-Z0-9 _-]{0,6}$/);
const literal = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((n) => String(Math.abs(n))),
  fc.constantFrom("0", "true", "false", "null"),
  word.map((w) => JSON.stringify(w)),
);
const BINARY = ["=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "&", "and", "or"];

const { expression } = fc.letrec<{ expression: string; atom: string }>((tie) => ({
  atom: fc.oneof(fc.constantFrom(...PATHS), literal),
  expression: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    tie("atom"),
    fc
      .tuple(tie("expression"), fc.constantFrom(...BINARY), tie("expression"))
      .map(([l, op, r]) => `(${l} ${op} ${r})`),
    fc
      .tuple(tie("expression"), tie("expression"), fc.option(tie("expression")))
      .map(([c, t, e]) => (e === null ? `(${c} ? ${t})` : `(${c} ? ${t} : ${e})`)),
    tie("expression").map((e) => `-(${e})`),
    fc
      .tuple(fc.constantFrom("$not", "$exists", "$type"), tie("expression"))
      .map(([f, e]) => `${f}(${e})`),
    fc
      .uniqueArray(fc.tuple(fc.constantFrom("a", "b", "c", "d"), tie("expression")), {
        minLength: 0,
        maxLength: 3,
        selector: ([k]) => k,
      })
      .map((pairs) => `{${pairs.map(([k, v]) => `"${k}": ${v}`).join(", ")}}`),
    // Outside the handled grammar: always JSONata's.
    fc.constantFrom("$string(data.amount)", "data.list[0]", "$count(data.list)", "[1, 2]"),
  ),
}));

const anyValue = fc.oneof(
  fc.integer({ min: -2000, max: 2000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  word,
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.integer(), word), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("x", "y"), fc.oneof(fc.integer(), word)),
);

const BIG = "x".repeat(EXPRESSION_LIMITS.maxStringChars + 1);

const event = fc.record(
  {
    type: fc.constantFrom("purchase", "page_view", ""),
    subject: word,
    data: fc.record(
      {
        amount: anyValue,
        currency: anyValue,
        flag: anyValue,
        nested: anyValue,
        list: anyValue,
        big: fc.constantFrom(BIG, "short"),
      },
      { requiredKeys: [] },
    ),
    enrichment: fc.record({ category: anyValue }, { requiredKeys: [] }),
    "odd name": anyValue,
  },
  { requiredKeys: ["type"] },
);

type Outcome = { ok: true; value: unknown } | { ok: false; code?: string; message: string };

async function outcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    return { ok: false, ...(error.code ? { code: error.code } : {}), message: error.message };
  }
}

describe("JSONata fast path", () => {
  it("agrees with JSONata on every result and error", { timeout: 120_000 }, async () => {
    let fastShapes = 0;
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(
        expression,
        fc.array(event, { minLength: 1, maxLength: 4 }),
        async (source, inputs) => {
          let reference: ReturnType<typeof compileExpression>;
          try {
            reference = compileExpression(source, { fastPath: false });
          } catch {
            return; // not a valid expression (both refuse it alike: same parser)
          }
          const fast = compileExpression(source);
          const closure = compileFastPath(jsonata(source).ast(), EXPRESSION_LIMITS);
          if (closure) fastShapes++;
          for (const input of inputs) {
            if (closure && closure(input) !== DECLINED) answered++;
            expect(await outcome(() => fast.evaluate(input))).toEqual(
              await outcome(() => reference.evaluate(input)),
            );
          }
        },
      ),
      { numRuns: Number(process.env.FAST_PATH_RUNS ?? 1500) },
    );
    // The generator mostly produces handled shapes, and many evaluations are answered by
    // the closures rather than handed back to JSONata: the comparison is not vacuous.
    expect(fastShapes).toBeGreaterThan(500);
    expect(answered).toBeGreaterThan(1000);
  });

  it("takes the fast path for the rules' usual shapes, and answers without JSONata", () => {
    const input = {
      type: "purchase",
      subject: "user-1",
      data: { amount: 1250, currency: "EUR" },
    };
    const cases: Array<[string, unknown]> = [
      ["data.amount > 1000 ? 'high_value' : 'standard'", "high_value"],
      [
        "{ 'order': subject, 'amount': data.amount, 'currency': data.currency }",
        {
          order: "user-1",
          amount: 1250,
          currency: "EUR",
        },
      ],
      ["type & ' ' & subject", "purchase user-1"],
      ['$not($type(data.amount) = "number")', false],
      ["data.currency = 'EUR' and data.amount >= 100 or subject = 'x'", true],
      ["data.amount * 100", 125000],
      ["'eu'", "eu"],
    ];
    for (const [source, expected] of cases) {
      const fast = compileFastPath(jsonata(source).ast(), EXPRESSION_LIMITS);
      expect(fast, source).toBeDefined();
      expect(fast?.(input), source).toEqual(expected);
    }
    // The built-in defaults' conditions and expressions are all handled shapes.
    for (const rule of DEFAULT_RULES) {
      for (const source of [
        rule.condition,
        ...rule.actions.flatMap((a) =>
          a.type === "enrich" ? Object.values(a.set) : a.type === "route" ? [a.transform] : [],
        ),
      ]) {
        if (source !== undefined) {
          expect(compileFastPath(jsonata(source).ast(), EXPRESSION_LIMITS), source).toBeDefined();
        }
      }
    }
  });

  it("leaves other shapes, and values it does not handle, to JSONata", () => {
    for (const source of ["$sum(items.price)", "items[0]", "$x := 1", "data.*", "/a/"]) {
      expect(compileFastPath(jsonata(source).ast(), EXPRESSION_LIMITS), source).toBeUndefined();
    }
    const path = compileFastPath(jsonata("data.list").ast(), EXPRESSION_LIMITS);
    expect(path?.({ data: { list: [1, 2] } })).toBe(DECLINED);
    const concat = compileFastPath(jsonata("data.amount & 'x'").ast(), EXPRESSION_LIMITS);
    expect(concat?.({ data: { amount: 1 } })).toBe(DECLINED);
    const compare = compileFastPath(jsonata("data.amount > 1").ast(), EXPRESSION_LIMITS);
    expect(compare?.({ data: { amount: "2" } })).toBe(DECLINED);
  });
});

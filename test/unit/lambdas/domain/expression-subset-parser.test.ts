/**
 * The subset parser (lambdas/domain/expression-subset-parser.ts) answers JSONata's own
 * syntax tree (positions aside) or nothing: on generated expressions of the fast path's
 * shapes, written without parentheses (precedence), with spacing and quoting varied, and on
 * random sequences of JSONata tokens (mostly invalid or outside the subset), whenever it
 * answers a tree JSONata parses the source to the same tree, and the fast path compiles both
 * alike. And it does answer for the shapes rules use, the default rules' included.
 */
import fc from "fast-check";
import jsonata from "jsonata";
import { describe, expect, it } from "vitest";
import { compileFastPath } from "../../../../lambdas/domain/expression-fast-path.js";
import { parseSubset } from "../../../../lambdas/domain/expression-subset-parser.js";
import { DEFAULT_RULES } from "../../../../lambdas/domain/rules.js";

/** JSONata's tree without positions (the fast path does not read them) or undefined keys. */
const strip = (tree: unknown): unknown =>
  JSON.parse(JSON.stringify(tree, (k, v) => (k === "position" ? undefined : v)));

function jsonataTree(source: string): unknown {
  try {
    return strip(jsonata(source).ast());
  } catch {
    return "jsonata refused it";
  }
}

/** The property: no tree, or JSONata's. Counts the answers to check coverage. */
function check(source: string, counts: { answered: number }): void {
  const ours = parseSubset(source);
  if (ours === undefined) return;
  counts.answered++;
  expect(strip(ours), source).toEqual(jsonataTree(source));
}

const space = fc.constantFrom("", " ", "  ", "\n", "\t");
const name = fc.constantFrom("data", "amount", "type", "x", "`odd name`", "a1", "_b", "ünï");
const literal = fc.oneof(
  fc.integer({ min: 0, max: 5000 }).map(String),
  fc.constantFrom("0.5", "1e3", "2.50", "1E-2", "true", "false", "null"),
  fc.stringMatching(/^[a-z _-]{0,5}$/).map((w) => JSON.stringify(w)),
  fc.stringMatching(/^[a-z _-]{0,5}$/).map((w) => `'${w}'`),
);
const path = fc
  .array(fc.oneof(name, fc.constant('"quoted"')), { minLength: 1, maxLength: 3 })
  .map((steps) => steps.join("."));
const BINARY = ["=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "&", "and", "or"];

const { expression } = fc.letrec<{ expression: string; atom: string }>((tie) => ({
  atom: fc.oneof(path, literal),
  expression: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    tie("atom"),
    fc
      .tuple(tie("expression"), space, fc.constantFrom(...BINARY), space, tie("expression"))
      .map(
        ([l, s1, op, s2, r]) =>
          `${l}${op.length > 2 ? " " : s1}${op}${op.length > 2 ? " " : s2}${r}`,
      ),
    fc
      .tuple(tie("expression"), tie("expression"), fc.option(tie("expression")))
      .map(([c, t, e]) => (e === null ? `${c} ? ${t}` : `${c} ? ${t} : ${e}`)),
    tie("expression").map((e) => `(${e})`),
    tie("expression").map((e) => `-${e}`),
    fc
      .tuple(fc.constantFrom("$not", "$exists", "$type", "$string"), tie("expression"))
      .map(([f, e]) => `${f}(${e})`),
    fc
      .array(fc.tuple(fc.constantFrom('"a"', "'b'", "c"), tie("expression")), { maxLength: 3 })
      .map((pairs) => `{${pairs.map(([k, v]) => `${k}: ${v}`).join(", ")}}`),
  ),
}));

const TOKENS = [
  ...BINARY,
  "data",
  "amount",
  "`n m`",
  "1",
  "0.5",
  "-",
  "'s'",
  '"t"',
  "true",
  "null",
  "$not",
  "$x",
  "$",
  "(",
  ")",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  ";",
  "?",
  "?:",
  "??",
  "..",
  ":=",
  "~>",
  "in",
  "/",
  "/a/",
  ".",
  "*",
  "**",
  "|",
  "@",
  "#",
  "^",
  "!",
  "function",
  "1e400",
  '"\\u0041"',
  "/* c */",
];
const tokenSoup = fc
  .array(fc.tuple(fc.constantFrom(...TOKENS), space), { minLength: 1, maxLength: 10 })
  .map((parts) => parts.map(([t, s]) => t + s).join(""));

describe("the subset parser gives JSONata's tree or none", () => {
  it("on generated expressions of the fast path's shapes", { timeout: 120_000 }, () => {
    const counts = { answered: 0 };
    fc.assert(
      fc.property(expression, (source) => check(source, counts)),
      { numRuns: 3000 },
    );
    // Most of them are answered (the rest use what the parser leaves to JSONata).
    expect(counts.answered).toBeGreaterThan(1500);
  });

  it("on random token sequences", { timeout: 120_000 }, () => {
    const counts = { answered: 0 };
    fc.assert(
      fc.property(tokenSoup, (source) => check(source, counts)),
      { numRuns: 5000 },
    );
    expect(counts.answered).toBeGreaterThan(50);
  });

  it("answers for the default rules' expressions and rules' usual shapes; the fast path runs them", () => {
    const sources = [
      ...DEFAULT_RULES.flatMap((r) => [
        ...(r.condition ? [r.condition] : []),
        ...r.actions.flatMap((a) => (a.type === "enrich" ? Object.values(a.set) : [])),
      ]),
      "data.amount * 1.2",
      "data.currency = 'EUR' and data.amount >= 100",
      '{"order": data.orderId, "total": data.amount, "tier": data.amount > 1000 ? "gold" : "std"}',
      "$exists(subject) ? subject : 'anonymous'",
      "-data.amount",
      "source & '/' & type",
    ];
    for (const source of sources) {
      const tree = parseSubset(source);
      expect(strip(tree), source).toEqual(jsonataTree(source));
      expect(compileFastPath(tree, { maxStringChars: 65536 }), source).toBeTypeOf("function");
    }
  });

  it("leaves regexes, arrays, predicates, variables, comments and escapes to JSONata", () => {
    for (const source of [
      "$contains(s, /a+/)",
      "data.amount / 2",
      "[1, 2]",
      "items[0]",
      "items[price > 1]",
      "$x",
      "$sum(items.price)",
      "1 /* one */",
      '"\\u0041"',
      "a ?: b",
      "a ?? b",
      "$x := 1",
      "data ~> $string",
      "1..3",
    ]) {
      const tree = parseSubset(source);
      if (tree === undefined) continue;
      // Answered (division; calls of any $function): then exactly JSONata's tree.
      expect(strip(tree), source).toEqual(jsonataTree(source));
    }
    expect(parseSubset("$contains(s, /a+/)")).toBeUndefined();
    expect(parseSubset("items[0]")).toBeUndefined();
    expect(parseSubset("1 /* one */")).toBeUndefined();
  });
});

/**
 * Compiling registered schemas (lambdas/domain/schema-validator.ts): untrusted schemas are
 * refused before they can cost anything (remote $ref, size, depth, formats, quadratic
 * uniqueItems, patterns RE2 cannot run), and validation errors name each field by JSON
 * pointer.
 */
import { describe, expect, it } from "vitest";
import {
  compileSchemaDocument,
  prefixErrors,
  SchemaCompileError,
} from "../../../../lambdas/domain/schema-validator.js";
import { SCHEMA_LIMITS, type SchemaDocument } from "../../../../lambdas/domain/schemas.js";

const problemsOf = (doc: SchemaDocument): string[] => {
  try {
    compileSchemaDocument(doc);
    return [];
  } catch (error) {
    if (!(error instanceof SchemaCompileError)) throw error;
    return error.problems.map((p) => `${p.path}: ${p.message}`);
  }
};

describe("untrusted schemas are refused with the reason", () => {
  it("a $ref outside the document (nothing is ever fetched)", () => {
    expect(problemsOf({ data: { $ref: "https://example.com/s.json" } })).toEqual([
      "/schema/$ref: may only refer inside the schema (`#...`): EventFlow never fetches a schema",
    ]);
    expect(problemsOf({ data: { properties: { a: { $ref: "other.json#/x" } } } })[0]).toMatch(
      /^\/schema\/properties\/a\/\$ref/,
    );
    // A reference inside the document is fine.
    expect(
      problemsOf({
        data: { properties: { a: { $ref: "#/$defs/A" } }, $defs: { A: { type: "string" } } },
      }),
    ).toEqual([]);
  });

  it("a pattern RE2 cannot run (lookaround, backreference)", () => {
    expect(problemsOf({ data: { type: "string", pattern: "^(?=a)" } })[0]).toMatch(
      /not RE2 syntax/,
    );
    expect(problemsOf({ data: { type: "string", pattern: "(a)\\1" } })[0]).toMatch(
      /not RE2 syntax/,
    );
  });

  it("size, depth, formats, uniqueItems without a small maxItems, another dialect", () => {
    const big = { type: "string", description: "x".repeat(SCHEMA_LIMITS.maxSchemaBytes) };
    expect(problemsOf({ data: big })[0]).toMatch(/bytes serialized; the limit is 65536/);
    let deep: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 40; i++) deep = { type: "object", properties: { a: deep } };
    expect(problemsOf({ data: deep })[0]).toMatch(/nested deeper than 32 levels/);
    expect(problemsOf({ data: { type: "string", format: "regex" } })[0]).toMatch(
      /"regex" is not a supported format/,
    );
    expect(problemsOf({ data: { type: "array", uniqueItems: true } })[0]).toMatch(
      /needs maxItems of at most 256/,
    );
    expect(problemsOf({ data: { type: "array", uniqueItems: true, maxItems: 10 } })).toEqual([]);
    expect(
      problemsOf({
        data: { $schema: "http://json-schema.org/draft-07/schema#", type: "string" },
      })[0],
    ).toMatch(/must be https:\/\/json-schema.org\/draft\/2020-12\/schema/);
    expect(problemsOf({ data: { type: "strin" } })[0]).toMatch(/not valid JSON Schema 2020-12/);
    expect(
      problemsOf({ data: { properties: { __proto__x: {} }, ["constructor" as string]: 1 } })[0],
    ).toMatch(/reserved key name/);
  });
});

describe("validation", () => {
  const validate = compileSchemaDocument({
    data: {
      type: "object",
      required: ["amount", "currency"],
      properties: {
        amount: { type: "number", exclusiveMinimum: 0 },
        currency: { enum: ["EUR", "USD"] },
        code: { type: "string", pattern: "^[A-Z]{3}$" },
        ref: { type: "string", pattern: "^r-[0-9]+$" },
        email: { type: "string", format: "email" },
        "a/b": { type: "integer" },
      },
      additionalProperties: false,
    },
    subject: { type: "string", pattern: "^user-" },
  });

  it("each failing field by path and JSON pointer, with the keyword", () => {
    const errors = validate({
      data: { amount: 0, code: "abcd", ref: "r-1", email: "nope", "a/b": 1.5, extra: true },
      subject: "42",
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        {
          path: "data.currency",
          pointer: "/data/currency",
          keyword: "required",
          message: "is required",
        },
        {
          path: "data.amount",
          pointer: "/data/amount",
          keyword: "exclusiveMinimum",
          message: "must be > 0",
        },
        {
          path: "data.code",
          pointer: "/data/code",
          keyword: "pattern",
          message: 'must match pattern "^[A-Z]{3}$"',
        },
        {
          path: "data.email",
          pointer: "/data/email",
          keyword: "format",
          message: 'must match format "email"',
        },
        { path: 'data["a/b"]', pointer: "/data/a~1b", keyword: "type", message: "must be integer" },
        {
          path: "data",
          pointer: "/data",
          keyword: "additionalProperties",
          message: 'must NOT have additional properties: "extra"',
        },
        {
          path: "subject",
          pointer: "/subject",
          keyword: "pattern",
          message: 'must match pattern "^user-"',
        },
      ]),
    );
    // Two patterns in one schema are two patterns (ajv shares compiled patterns by their
    // text: the RE2 engine's must be the pattern's own, or the first would serve all).
    expect(errors.some((e) => e.path === "data.ref")).toBe(false);
  });

  it("an enum violation lists the allowed values", () => {
    const [error] = validate({ data: { amount: 1, currency: "GBP" }, subject: "user-1" });
    expect(error?.message).toBe('must be equal to one of the allowed values: ["EUR","USD"]');
  });

  it("a valid event has no errors; a subject schema makes the subject required", () => {
    expect(validate({ data: { amount: 1, currency: "EUR" }, subject: "user-1" })).toEqual([]);
    expect(validate({ data: { amount: 1, currency: "EUR" } })).toEqual([
      {
        path: "subject",
        pointer: "/subject",
        keyword: "required",
        message: "is required by the type's schema",
      },
    ]);
  });

  it("a pattern that backtracks exponentially in JavaScript runs in linear time on RE2", () => {
    const evil = compileSchemaDocument({
      data: { properties: { s: { type: "string", pattern: "^(a+)+$" } } },
    });
    const started = performance.now();
    const errors = evil({ data: { s: `${"a".repeat(50_000)}!` } });
    // With a backtracking engine this never returns; the bound here is generous on purpose.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(errors.map((e) => e.keyword)).toEqual(["pattern"]);
  });

  it("errors of a batch's event are prefixed and capped at 10 per event", () => {
    const many = compileSchemaDocument({
      data: {
        type: "object",
        properties: Object.fromEntries(
          Array.from({ length: 15 }, (_, i) => [`p${i}`, { type: "string" }]),
        ),
      },
    });
    const errors = many({
      data: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`p${i}`, i])),
    });
    const listed = prefixErrors(errors, "events[3]");
    expect(listed).toHaveLength(11);
    expect(listed[0]).toMatchObject({ path: "events[3].data.p0", pointer: "/data/p0" });
    expect(listed[10]?.message).toMatch(/has more errors/);
  });
});

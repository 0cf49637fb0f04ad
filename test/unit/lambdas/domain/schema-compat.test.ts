/**
 * JSON Schema compatibility, table-driven: each row is a change from Confluent's JSON
 * Schema rules (the json-schema-provider's diff package, STRICT policy, and the
 * "JSON Schema" section of Confluent's Schema Evolution and Compatibility docs), with the
 * Difference types it must produce and whether BACKWARD accepts it (`update` reads what
 * `original` accepted). The same rows, swapped, are FORWARD; both are FULL.
 */
import { describe, expect, it } from "vitest";
import {
  checkCompatibility,
  compareSchemas,
  isCompatibleChange,
} from "../../../../lambdas/domain/schema-compat.js";
import type { CompatibilityMode, JsonSchema } from "../../../../lambdas/domain/schemas.js";

interface Case {
  name: string;
  original: JsonSchema;
  update: JsonSchema;
  /** The Difference types found (order free). */
  differences: string[];
  /** BACKWARD verdict: does `update` accept everything `original` accepted? */
  backward: boolean;
}

const obj = (properties: Record<string, JsonSchema>, extra: Record<string, unknown> = {}) => ({
  type: "object",
  properties,
  ...extra,
});
const closed = { additionalProperties: false };
const str = { type: "string" };
const num = { type: "number" };

// biome-ignore format: one case per line, its expected differences and verdict beside it
const CASES: Case[] = [
  // Types
  { name: "identical schemas", original: str, update: str, differences: [], backward: true },
  { name: "type changed string -> number", original: str, update: num, differences: ["TYPE_CHANGED"], backward: false },
  { name: "integer widened to number", original: { type: "integer" }, update: num, differences: ["TYPE_EXTENDED"], backward: true },
  { name: "number narrowed to integer", original: num, update: { type: "integer" }, differences: ["TYPE_NARROWED"], backward: false },
  { name: "type widened to a union (string -> [string, null])", original: str, update: { type: ["string", "null"] }, differences: ["SUM_TYPE_EXTENDED"], backward: true },
  { name: "union narrowed to one type ([string, null] -> string)", original: { type: ["string", "null"] }, update: str, differences: ["TYPE_CHANGED"], backward: false },
  { name: "anyOf gains a branch", original: { anyOf: [str, num] }, update: { anyOf: [str, num, { type: "boolean" }] }, differences: ["SUM_TYPE_EXTENDED"], backward: true },
  { name: "anyOf loses a branch", original: { anyOf: [str, num] }, update: { anyOf: [str] }, differences: ["SUM_TYPE_NARROWED"], backward: false },
  { name: "oneOf -> anyOf (combined type extended)", original: { oneOf: [str, num] }, update: { anyOf: [str, num] }, differences: ["COMBINED_TYPE_EXTENDED"], backward: true },
  { name: "anyOf -> allOf (combined type changed)", original: { anyOf: [str, num] }, update: { allOf: [str, num] }, differences: ["COMBINED_TYPE_CHANGED"], backward: false },
  { name: "allOf gains a conjunct (product extended)", original: { allOf: [str] }, update: { allOf: [str, { maxLength: 3 }] }, differences: ["PRODUCT_TYPE_EXTENDED"], backward: false },
  { name: "anything -> true schema", original: str, update: true, differences: [], backward: true },
  { name: "false schema -> anything", original: false, update: str, differences: [], backward: true },
  { name: "annotations only (title, description, default)", original: { ...str, title: "a", description: "x" }, update: { ...str, title: "b", description: "y", default: "z" }, differences: ["TITLE_CHANGED", "DESCRIPTION_CHANGED", "DEFAULT_CHANGED"], backward: true },
  // Strings
  { name: "maxLength added", original: str, update: { ...str, maxLength: 10 }, differences: ["MAX_LENGTH_ADDED"], backward: false },
  { name: "maxLength increased", original: { ...str, maxLength: 10 }, update: { ...str, maxLength: 20 }, differences: ["MAX_LENGTH_INCREASED"], backward: true },
  { name: "maxLength decreased", original: { ...str, maxLength: 20 }, update: { ...str, maxLength: 10 }, differences: ["MAX_LENGTH_DECREASED"], backward: false },
  { name: "maxLength removed", original: { ...str, maxLength: 20 }, update: str, differences: ["MAX_LENGTH_REMOVED"], backward: true },
  { name: "minLength added", original: str, update: { ...str, minLength: 1 }, differences: ["MIN_LENGTH_ADDED"], backward: false },
  { name: "minLength decreased", original: { ...str, minLength: 5 }, update: { ...str, minLength: 1 }, differences: ["MIN_LENGTH_DECREASED"], backward: true },
  { name: "minLength increased", original: { ...str, minLength: 1 }, update: { ...str, minLength: 5 }, differences: ["MIN_LENGTH_INCREASED"], backward: false },
  { name: "pattern added", original: str, update: { ...str, pattern: "^[A-Z]+$" }, differences: ["PATTERN_ADDED"], backward: false },
  { name: "pattern changed", original: { ...str, pattern: "^[A-Z]+$" }, update: { ...str, pattern: "^[a-z]+$" }, differences: ["PATTERN_CHANGED"], backward: false },
  { name: "pattern removed", original: { ...str, pattern: "^[A-Z]+$" }, update: str, differences: ["PATTERN_REMOVED"], backward: true },
  // Numbers
  { name: "maximum added", original: num, update: { ...num, maximum: 100 }, differences: ["MAXIMUM_ADDED"], backward: false },
  { name: "maximum increased", original: { ...num, maximum: 100 }, update: { ...num, maximum: 200 }, differences: ["MAXIMUM_INCREASED"], backward: true },
  { name: "maximum decreased", original: { ...num, maximum: 100 }, update: { ...num, maximum: 50 }, differences: ["MAXIMUM_DECREASED"], backward: false },
  { name: "minimum decreased", original: { ...num, minimum: 10 }, update: { ...num, minimum: 0 }, differences: ["MINIMUM_DECREASED"], backward: true },
  { name: "minimum increased", original: { ...num, minimum: 0 }, update: { ...num, minimum: 10 }, differences: ["MINIMUM_INCREASED"], backward: false },
  { name: "minimum removed", original: { ...num, minimum: 0 }, update: num, differences: ["MINIMUM_REMOVED"], backward: true },
  { name: "exclusiveMaximum increased", original: { ...num, exclusiveMaximum: 10 }, update: { ...num, exclusiveMaximum: 11 }, differences: ["EXCLUSIVE_MAXIMUM_INCREASED"], backward: true },
  { name: "exclusiveMinimum added", original: num, update: { ...num, exclusiveMinimum: 0 }, differences: ["EXCLUSIVE_MINIMUM_ADDED"], backward: false },
  { name: "multipleOf reduced (10 -> 5)", original: { ...num, multipleOf: 10 }, update: { ...num, multipleOf: 5 }, differences: ["MULTIPLE_OF_REDUCED"], backward: true },
  { name: "multipleOf expanded (5 -> 10)", original: { ...num, multipleOf: 5 }, update: { ...num, multipleOf: 10 }, differences: ["MULTIPLE_OF_EXPANDED"], backward: false },
  { name: "multipleOf changed (3 -> 5)", original: { ...num, multipleOf: 3 }, update: { ...num, multipleOf: 5 }, differences: ["MULTIPLE_OF_CHANGED"], backward: false },
  { name: "multipleOf added", original: num, update: { ...num, multipleOf: 2 }, differences: ["MULTIPLE_OF_ADDED"], backward: false },
  // Enums and const
  { name: "enum extended", original: { enum: ["a", "b"] }, update: { enum: ["a", "b", "c"] }, differences: ["ENUM_ARRAY_EXTENDED"], backward: true },
  { name: "enum narrowed", original: { enum: ["a", "b", "c"] }, update: { enum: ["a", "b"] }, differences: ["ENUM_ARRAY_NARROWED"], backward: false },
  { name: "enum changed", original: { enum: ["a", "b"] }, update: { enum: ["a", "c"] }, differences: ["ENUM_ARRAY_CHANGED"], backward: false },
  { name: "enum reordered only", original: { enum: ["a", "b"] }, update: { enum: ["b", "a"] }, differences: [], backward: true },
  { name: "const changed", original: { const: "v1" }, update: { const: "v2" }, differences: ["ENUM_ARRAY_CHANGED"], backward: false },
  // Objects: open content model (additionalProperties absent or true)
  { name: "open model: optional property added", original: obj({ a: str }), update: obj({ a: str, b: num }), differences: ["OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"], backward: false },
  { name: "open model: required property added", original: obj({ a: str }), update: obj({ a: str, b: num }, { required: ["b"] }), differences: ["REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"], backward: false },
  { name: "open model: property with empty schema added", original: obj({ a: str }), update: obj({ a: str, b: {} }), differences: ["PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"], backward: true },
  { name: "open model: property removed", original: obj({ a: str, b: num }), update: obj({ a: str }), differences: ["PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"], backward: true },
  // Objects: closed content model (additionalProperties false)
  { name: "closed model: optional property added", original: obj({ a: str }, closed), update: obj({ a: str, b: num }, closed), differences: ["OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"], backward: true },
  { name: "closed model: required property added", original: obj({ a: str }, closed), update: obj({ a: str, b: num }, { ...closed, required: ["b"] }), differences: ["REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"], backward: false },
  { name: "closed model: required property with default added", original: obj({ a: str }, closed), update: obj({ a: str, b: { ...num, default: 0 } }, { ...closed, required: ["b"] }), differences: ["REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"], backward: true },
  { name: "closed model: property removed", original: obj({ a: str, b: num }, closed), update: obj({ a: str }, closed), differences: ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"], backward: false },
  { name: "closed model: property with false schema removed", original: obj({ a: str, b: false }, closed), update: obj({ a: str }, closed), differences: ["PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"], backward: true },
  // Objects: partially open content model (patternProperties / additionalProperties schema)
  { name: "partially open: added property covered by patternProperties", original: obj({ a: str }, { patternProperties: { "^x_": str } }), update: obj({ a: str, x_b: str }, { patternProperties: { "^x_": str } }), differences: ["PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",], backward: true },
  { name: "partially open: added property not covered (wrong type)", original: obj({ a: str }, { additionalProperties: str }), update: obj({ a: str, b: num }, { additionalProperties: str }), differences: ["TYPE_CHANGED", "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",], backward: false },
  { name: "partially open: removed property covered by additionalProperties", original: obj({ a: str, b: str }, { additionalProperties: str }), update: obj({ a: str }, { additionalProperties: str }), differences: ["PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"], backward: true },
  // Objects: required, additionalProperties, counts, nested changes
  { name: "existing property becomes required", original: obj({ a: str }), update: obj({ a: str }, { required: ["a"] }), differences: ["REQUIRED_ATTRIBUTE_ADDED"], backward: false },
  { name: "existing property becomes required, with a default", original: obj({ a: str }), update: obj({ a: { ...str, default: "x" } }, { required: ["a"] }), differences: ["REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", "DEFAULT_CHANGED"], backward: true },
  { name: "required property becomes optional", original: obj({ a: str }, { required: ["a"] }), update: obj({ a: str }), differences: ["REQUIRED_ATTRIBUTE_REMOVED"], backward: true },
  { name: "additionalProperties closed (false added)", original: obj({ a: str }), update: obj({ a: str }, closed), differences: ["ADDITIONAL_PROPERTIES_REMOVED"], backward: false },
  { name: "additionalProperties opened (false removed)", original: obj({ a: str }, closed), update: obj({ a: str }), differences: ["ADDITIONAL_PROPERTIES_ADDED"], backward: true },
  { name: "additionalProperties given a schema (narrowed)", original: obj({ a: str }), update: obj({ a: str }, { additionalProperties: str }), differences: ["ADDITIONAL_PROPERTIES_NARROWED"], backward: false },
  { name: "additionalProperties schema dropped (extended)", original: obj({ a: str }, { additionalProperties: str }), update: obj({ a: str }), differences: ["ADDITIONAL_PROPERTIES_EXTENDED"], backward: true },
  { name: "maxProperties decreased", original: { type: "object", maxProperties: 5 }, update: { type: "object", maxProperties: 3 }, differences: ["MAX_PROPERTIES_DECREASED"], backward: false },
  { name: "minProperties removed", original: { type: "object", minProperties: 1 }, update: { type: "object" }, differences: ["MIN_PROPERTIES_REMOVED"], backward: true },
  { name: "dependentRequired array narrowed", original: { type: "object", dependentRequired: { a: ["b", "c"] } }, update: { type: "object", dependentRequired: { a: ["b"] } }, differences: ["DEPENDENCY_ARRAY_NARROWED"], backward: true },
  { name: "dependentRequired added", original: { type: "object" }, update: { type: "object", dependentRequired: { a: ["b"] } }, differences: ["DEPENDENCY_ARRAY_ADDED"], backward: false },
  { name: "nested property narrowed (maximum decreased two levels down)", original: obj({ order: obj({ amount: { ...num, maximum: 100 } }) }), update: obj({ order: obj({ amount: { ...num, maximum: 10 } }) }), differences: ["MAXIMUM_DECREASED"], backward: false },
  { name: "property type changed through a local $ref", original: { type: "object", properties: { a: { $ref: "#/$defs/A" } }, $defs: { A: str } }, update: { type: "object", properties: { a: { $ref: "#/$defs/A" } }, $defs: { A: num } }, differences: ["TYPE_CHANGED"], backward: false },
  // Arrays
  { name: "items type changed", original: { type: "array", items: str }, update: { type: "array", items: num }, differences: ["TYPE_CHANGED"], backward: false },
  { name: "items widened to a union", original: { type: "array", items: str }, update: { type: "array", items: { type: ["string", "number"] } }, differences: ["SUM_TYPE_EXTENDED"], backward: true },
  { name: "maxItems added", original: { type: "array" }, update: { type: "array", maxItems: 3 }, differences: ["MAX_ITEMS_ADDED"], backward: false },
  { name: "minItems decreased", original: { type: "array", minItems: 2 }, update: { type: "array", minItems: 1 }, differences: ["MIN_ITEMS_DECREASED"], backward: true },
  { name: "uniqueItems added", original: { type: "array", maxItems: 5 }, update: { type: "array", maxItems: 5, uniqueItems: true }, differences: ["UNIQUE_ITEMS_ADDED"], backward: false },
  { name: "uniqueItems removed", original: { type: "array", maxItems: 5, uniqueItems: true }, update: { type: "array", maxItems: 5 }, differences: ["UNIQUE_ITEMS_REMOVED"], backward: true },
  { name: "tuple item added to a closed tuple", original: { type: "array", prefixItems: [str], items: false }, update: { type: "array", prefixItems: [str, num], items: false }, differences: ["ITEM_ADDED_TO_CLOSED_CONTENT_MODEL"], backward: true },
  { name: "tuple item added to an open tuple", original: { type: "array", prefixItems: [str] }, update: { type: "array", prefixItems: [str, num] }, differences: ["ITEM_ADDED_TO_OPEN_CONTENT_MODEL"], backward: false },
  // not
  { name: "not: the excluded set narrows (accepts more)", original: { not: { type: ["string", "number"] } }, update: { not: str }, differences: ["NOT_TYPE_NARROWED"], backward: true },
  { name: "not: the excluded set widens (accepts less)", original: { not: str }, update: { not: { type: ["string", "number"] } }, differences: ["NOT_TYPE_EXTENDED"], backward: false },
];

describe("compareSchemas: Confluent's JSON Schema rules, case by case", () => {
  it.each(CASES)("$name -> backward $backward", ({ original, update, differences, backward }) => {
    const found = compareSchemas(original, update);
    expect(found.map((d) => d.type).sort()).toEqual([...differences].sort());
    expect(found.every(isCompatibleChange)).toBe(backward);
  });
});

describe("checkCompatibility: the seven modes", () => {
  const v1 = obj({ a: str }, closed);
  const v2 = obj({ a: str, b: num }, closed); // adds an optional property: BACKWARD only
  const v3 = obj({ a: str, b: num, c: str }, closed);
  const history = [
    { version: 1, schema: v1 },
    { version: 2, schema: v2 },
  ];
  const verdict = (mode: CompatibilityMode, proposed: JsonSchema, versions = history) =>
    checkCompatibility(mode, proposed, versions).map(
      (i) => `${i.direction}@${i.version}:${i.difference.type}`,
    );

  it("NONE accepts anything", () => {
    expect(verdict("NONE", num)).toEqual([]);
  });
  it("BACKWARD: adding an optional property to a closed model passes; FORWARD refuses it", () => {
    expect(verdict("BACKWARD", v3)).toEqual([]);
    expect(verdict("FORWARD", v3)).toEqual([
      "FORWARD@2:PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    ]);
    expect(verdict("FULL", v3)).toEqual(["FORWARD@2:PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"]);
  });
  it("_TRANSITIVE checks every version, the plain modes only the latest", () => {
    // Back to v1's shape minus a: against v2 only one break, against v1 and v2 two.
    const proposed = obj({ b: num }, closed);
    expect(verdict("BACKWARD", proposed)).toEqual([
      "BACKWARD@2:PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    ]);
    expect(verdict("BACKWARD_TRANSITIVE", proposed)).toEqual([
      "BACKWARD@1:PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
      "BACKWARD@2:PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    ]);
  });
  it("FORWARD_TRANSITIVE and FULL_TRANSITIVE name each version that breaks", () => {
    const loose = obj({ a: str }, { additionalProperties: false, maxProperties: 9 });
    const history2 = [
      { version: 1, schema: obj({ a: str }) },
      { version: 2, schema: obj({ a: { ...str, maxLength: 5 } }) },
    ];
    expect(verdict("FORWARD_TRANSITIVE", obj({ a: str }), history2)).toEqual([
      // Version 2 (maxLength 5) cannot read every string the proposal allows.
      "FORWARD@2:MAX_LENGTH_ADDED",
    ]);
    expect(verdict("FULL_TRANSITIVE", loose, history2).length).toBeGreaterThan(1);
  });
  it("FULL: a change compatible both ways passes (a description)", () => {
    expect(verdict("FULL", { ...v2, description: "orders" })).toEqual([]);
    // Transitively, version 1 (closed, without b) cannot read events that carry b.
    expect(verdict("FULL_TRANSITIVE", { ...v2, description: "orders" })).toEqual([
      "FORWARD@1:PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    ]);
  });
});

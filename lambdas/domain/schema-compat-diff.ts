/**
 * The vocabulary of schema compatibility (lambdas/domain/schema-compat.ts): Confluent's
 * Difference types and which are compatible, the comparison context, and the comparisons
 * of leaf schemas (strings, numbers, enums, bounds), as Confluent's StringSchemaDiff,
 * NumberSchemaDiff and EnumSchemaDiff.
 */
import { canonicalJson } from "./digest.js";
import type { JsonSchema } from "./schemas.js";

/** Confluent's compatible changes (SchemaDiff.COMPATIBLE_CHANGES_STRICT), those we emit. */
export const COMPATIBLE_CHANGES: ReadonlySet<string> = new Set([
  "ID_CHANGED",
  "DESCRIPTION_CHANGED",
  "TITLE_CHANGED",
  "DEFAULT_CHANGED",
  "SCHEMA_REMOVED",
  "TYPE_EXTENDED",
  "MAX_LENGTH_INCREASED",
  "MAX_LENGTH_REMOVED",
  "MIN_LENGTH_DECREASED",
  "MIN_LENGTH_REMOVED",
  "PATTERN_REMOVED",
  "MAXIMUM_INCREASED",
  "MAXIMUM_REMOVED",
  "MINIMUM_DECREASED",
  "MINIMUM_REMOVED",
  "EXCLUSIVE_MAXIMUM_INCREASED",
  "EXCLUSIVE_MAXIMUM_REMOVED",
  "EXCLUSIVE_MINIMUM_DECREASED",
  "EXCLUSIVE_MINIMUM_REMOVED",
  "MULTIPLE_OF_REDUCED",
  "MULTIPLE_OF_REMOVED",
  "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
  "REQUIRED_ATTRIBUTE_REMOVED",
  "DEPENDENCY_ARRAY_NARROWED",
  "DEPENDENCY_ARRAY_REMOVED",
  "MAX_PROPERTIES_INCREASED",
  "MAX_PROPERTIES_REMOVED",
  "MIN_PROPERTIES_DECREASED",
  "MIN_PROPERTIES_REMOVED",
  "ADDITIONAL_PROPERTIES_ADDED",
  "ADDITIONAL_PROPERTIES_EXTENDED",
  "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
  "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
  "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
  "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
  "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
  "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
  "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
  "MAX_ITEMS_INCREASED",
  "MAX_ITEMS_REMOVED",
  "MIN_ITEMS_DECREASED",
  "MIN_ITEMS_REMOVED",
  "UNIQUE_ITEMS_REMOVED",
  "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
  "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
  "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
  "ENUM_ARRAY_EXTENDED",
  "COMBINED_TYPE_EXTENDED",
  "PRODUCT_TYPE_NARROWED",
  "SUM_TYPE_EXTENDED",
  "NOT_TYPE_NARROWED",
]);

export interface Difference {
  /** Confluent's Difference.Type name. */
  type: string;
  /** JSON pointer into the schema, `#/properties/amount/maximum`. */
  path: string;
}

export const isCompatibleChange = (d: Difference) => COMPATIBLE_CHANGES.has(d.type);

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v);
export const has = (s: Obj, keys: readonly string[]) => keys.some((k) => s[k] !== undefined);
export const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

export interface Ctx {
  root: { original: JsonSchema; update: JsonSchema };
  out: Difference[];
  /** Pairs being compared (cycles through `$ref` end as compatible, as in Confluent). */
  stack: Set<string>;
  budget: { steps: number };
  /** Compares two subschemas in this context (schema-compat.ts `compare`). */
  compare: (ctx: Ctx, o: unknown, u: unknown, path: string) => void;
}

export function sub(ctx: Ctx): Ctx {
  return { ...ctx, out: [] };
}

export const compatible = (ds: Difference[]) => ds.every(isCompatibleChange);

export function add(ctx: Ctx, type: string, path: string): void {
  ctx.out.push({ type, path });
}

/** Compares two subschemas where a comparison nests (objects, arrays, combinations). */
export const recurse = (ctx: Ctx, o: unknown, u: unknown, path: string): void =>
  ctx.compare(ctx, o, u, path);

export const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/**
 * A bound that must not shrink what is accepted: `upper` bounds (maximum, maxLength...)
 * may rise or go, `lower` bounds may fall or go; adding one is a narrowing.
 */
export function compareBound(
  ctx: Ctx,
  original: Obj,
  update: Obj,
  keyword: string,
  name: string,
  direction: "upper" | "lower",
  path: string,
): void {
  const a = num(original[keyword]);
  const b = num(update[keyword]);
  if (a === b) return;
  const at = `${path}/${keyword}`;
  if (a === undefined) {
    add(ctx, `${name}_ADDED`, at);
    return;
  }
  if (b === undefined) {
    add(ctx, `${name}_REMOVED`, at);
    return;
  }
  const grew = b > a;
  if (direction === "upper") add(ctx, grew ? `${name}_INCREASED` : `${name}_DECREASED`, at);
  else add(ctx, grew ? `${name}_INCREASED` : `${name}_DECREASED`, at);
}

export function compareString(ctx: Ctx, o: Obj, u: Obj, path: string): void {
  compareBound(ctx, o, u, "maxLength", "MAX_LENGTH", "upper", path);
  compareBound(ctx, o, u, "minLength", "MIN_LENGTH", "lower", path);
  const a = o.pattern;
  const b = u.pattern;
  if (a === undefined && b !== undefined) add(ctx, "PATTERN_ADDED", `${path}/pattern`);
  else if (a !== undefined && b === undefined) add(ctx, "PATTERN_REMOVED", `${path}/pattern`);
  else if (a !== b) add(ctx, "PATTERN_CHANGED", `${path}/pattern`);
  // Formats: Confluent's everit model keeps them as a separate format validator; a format
  // added narrows what is accepted, removed widens, changed is a change.
  const fa = o.format;
  const fb = u.format;
  if (fa === undefined && fb !== undefined) add(ctx, "FORMAT_ADDED", `${path}/format`);
  else if (fa !== undefined && fb === undefined) add(ctx, "FORMAT_REMOVED", `${path}/format`);
  else if (fa !== fb) add(ctx, "FORMAT_CHANGED", `${path}/format`);
}

export function compareNumber(ctx: Ctx, o: Obj, u: Obj, path: string): void {
  compareBound(ctx, o, u, "maximum", "MAXIMUM", "upper", path);
  compareBound(ctx, o, u, "minimum", "MINIMUM", "lower", path);
  compareBound(ctx, o, u, "exclusiveMaximum", "EXCLUSIVE_MAXIMUM", "upper", path);
  compareBound(ctx, o, u, "exclusiveMinimum", "EXCLUSIVE_MINIMUM", "lower", path);
  const a = num(o.multipleOf);
  const b = num(u.multipleOf);
  if (a !== b) {
    const at = `${path}/multipleOf`;
    if (a === undefined) add(ctx, "MULTIPLE_OF_ADDED", at);
    else if (b === undefined) add(ctx, "MULTIPLE_OF_REMOVED", at);
    else if (a !== 0 && isMultiple(b, a)) add(ctx, "MULTIPLE_OF_EXPANDED", at);
    else if (b !== 0 && isMultiple(a, b)) add(ctx, "MULTIPLE_OF_REDUCED", at);
    else add(ctx, "MULTIPLE_OF_CHANGED", at);
  }
  const ai = integerOnly(o);
  const bi = integerOnly(u);
  if (ai && !bi) add(ctx, "TYPE_EXTENDED", `${path}/type`);
  else if (!ai && bi) add(ctx, "TYPE_NARROWED", `${path}/type`);
}

const integerOnly = (s: Obj) =>
  s.type === "integer" || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === "integer");

function isMultiple(value: number, of: number): boolean {
  const q = value / of;
  return Math.abs(q - Math.round(q)) < 1e-9;
}

export function compareEnum(ctx: Ctx, a: unknown, b: unknown, path: string): void {
  const before = new Set((Array.isArray(a) ? a : [a]).map((v) => canonicalJson(v)));
  const after = new Set((Array.isArray(b) ? b : [b]).map((v) => canonicalJson(v)));
  const covers = (x: Set<string>, y: Set<string>) => [...y].every((v) => x.has(v));
  if (before.size === after.size && covers(before, after)) return;
  if (covers(after, before)) add(ctx, "ENUM_ARRAY_EXTENDED", path);
  else if (covers(before, after)) add(ctx, "ENUM_ARRAY_NARROWED", path);
  else add(ctx, "ENUM_ARRAY_CHANGED", path);
}

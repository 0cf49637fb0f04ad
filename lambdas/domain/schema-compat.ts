/**
 * JSON Schema compatibility, with the meanings of Confluent Schema Registry (its JSON
 * Schema provider, io.confluent.kafka.schemaregistry.json.diff, STRICT policy, the
 * default): `compareSchemas(original, update)` lists the differences between two schemas
 * as Confluent's Difference types; a change is compatible when every difference is in
 * COMPATIBLE_CHANGES, i.e. when `update` accepts everything `original` accepted (it can
 * read what was written under `original`).
 *
 * Modes: BACKWARD checks compare(previous, new) (the new schema reads old events);
 * FORWARD compare(new, previous) (old readers read new events); FULL both. The
 * non-transitive modes check the latest version, the _TRANSITIVE ones every version.
 *
 * What is covered: type changes and unions (`type` arrays, anyOf/oneOf/allOf), objects
 * (properties against open / closed / partially open content models, required,
 * additionalProperties, min/maxProperties, dependentRequired), arrays (items, prefixItems,
 * min/maxItems, uniqueItems), strings (min/maxLength, pattern), numbers (bounds,
 * exclusive bounds, multipleOf, integer vs number), enum and const, `not`, local `$ref`.
 * Simplifications (stated, and tested as such): a schema with `enum` is compared as an
 * enum only; a schema with anyOf/oneOf/allOf as that combination only (siblings
 * ignored); unevaluated* keywords are not compared.
 */
import { canonicalJson } from "./digest.js";
import type { FieldError } from "./json.js";
import { type CompatibilityMode, type JsonSchema, pointerSegment } from "./schemas.js";

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

type Obj = Record<string, unknown>;
type Kind =
  | "false"
  | "empty"
  | "combined"
  | "enum"
  | "const"
  | "not"
  | "object"
  | "array"
  | "string"
  | "number"
  | "boolean"
  | "null";

const OBJECT_KEYWORDS = [
  "properties",
  "required",
  "additionalProperties",
  "patternProperties",
  "minProperties",
  "maxProperties",
  "dependentRequired",
];
const ARRAY_KEYWORDS = ["items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains"];
const STRING_KEYWORDS = ["minLength", "maxLength", "pattern", "format"];
const NUMBER_KEYWORDS = [
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
];
const COMBINERS = ["anyOf", "oneOf", "allOf"] as const;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const has = (s: Obj, keys: readonly string[]) => keys.some((k) => s[k] !== undefined);
const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

interface Ctx {
  root: { original: JsonSchema; update: JsonSchema };
  out: Difference[];
  /** Pairs being compared (cycles through `$ref` end as compatible, as in Confluent). */
  stack: Set<string>;
  budget: { steps: number };
}

/** Upper bound of pairwise comparisons; a schema pair beyond it is refused, not trusted. */
const MAX_STEPS = 20_000;

export class CompatibilityTooComplexError extends Error {
  override name = "CompatibilityTooComplexError";
}

/** Differences from `original` to `update` (both JSON Schema 2020-12 documents). */
export function compareSchemas(original: JsonSchema, update: JsonSchema): Difference[] {
  const ctx: Ctx = {
    root: { original, update },
    out: [],
    stack: new Set(),
    budget: { steps: 0 },
  };
  compare(ctx, original, update, "#");
  return ctx.out;
}

function resolve(node: unknown, root: JsonSchema, seen = 0): JsonSchema | undefined {
  if (node === undefined) return undefined;
  if (typeof node === "boolean") return node;
  if (!isObj(node)) return true;
  const ref = node.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#") || seen > 32) return node;
  let target: unknown = root;
  for (const raw of ref.slice(1).split("/").slice(1)) {
    const segment = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    target = isObj(target)
      ? target[segment]
      : Array.isArray(target)
        ? target[Number(segment)]
        : undefined;
  }
  // Sibling keywords of a $ref apply too (2020-12); the referenced schema dominates here.
  return resolve(target, root, seen + 1);
}

function kindOf(s: JsonSchema): Kind {
  if (s === false) return "false";
  if (s === true) return "empty";
  if (s.enum !== undefined) return "enum";
  if (s.const !== undefined) return "const";
  if (COMBINERS.some((c) => Array.isArray(s[c]))) return "combined";
  const type = s.type;
  if (Array.isArray(type)) {
    if (type.length === 1) return typeKind(type[0]);
    return "combined";
  }
  if (typeof type === "string") return typeKind(type);
  if (s.not !== undefined) return "not";
  if (has(s, OBJECT_KEYWORDS)) return "object";
  if (has(s, ARRAY_KEYWORDS)) return "array";
  if (has(s, STRING_KEYWORDS)) return "string";
  if (has(s, NUMBER_KEYWORDS)) return "number";
  return "empty";
}

const typeKind = (t: unknown): Kind =>
  t === "integer"
    ? "number"
    : ((["object", "array", "string", "number", "boolean", "null"] as const).find((k) => k === t) ??
      "empty");

/** A combined schema as its criterion and subschemas (`type: [a, b]` is anyOf). */
function combination(s: Obj): { criterion: "anyOf" | "oneOf" | "allOf"; subs: JsonSchema[] } {
  for (const c of COMBINERS) {
    const subs = s[c];
    if (Array.isArray(subs)) return { criterion: c, subs: subs as JsonSchema[] };
  }
  const types = (s.type as unknown[]) ?? [];
  return { criterion: "anyOf", subs: types.map((t) => ({ ...s, type: t })) };
}

function sub(ctx: Ctx): Ctx {
  return { ...ctx, out: [] };
}

const compatible = (ds: Difference[]) => ds.every(isCompatibleChange);

function add(ctx: Ctx, type: string, path: string): void {
  ctx.out.push({ type, path });
}

function compare(ctx: Ctx, o: unknown, u: unknown, path: string): void {
  if (++ctx.budget.steps > MAX_STEPS) {
    throw new CompatibilityTooComplexError("the schemas are too complex to compare");
  }
  const original = resolve(o, ctx.root.original);
  const update = resolve(u, ctx.root.update);
  if (original === undefined && update === undefined) return;
  if (original === undefined) {
    add(ctx, "SCHEMA_ADDED", path);
    return;
  }
  if (update === undefined) {
    add(ctx, "SCHEMA_REMOVED", path);
    return;
  }
  const key = `${canonicalJson(original)}\u0000${canonicalJson(update)}`;
  if (ctx.stack.has(key)) return;
  ctx.stack.add(key);
  try {
    compareTypes(ctx, original, update, path);
  } finally {
    ctx.stack.delete(key);
  }
}

function compareTypes(ctx: Ctx, original: JsonSchema, update: JsonSchema, path: string): void {
  const ok = kindOf(original);
  const uk = kindOf(update);
  if (ok !== "combined" && uk === "combined" && isObj(update)) {
    const { criterion, subs } = combination(update);
    if (subs.length === 1) {
      const s = sub(ctx);
      compare(s, original, subs[0], path);
      if (compatible(s.out)) {
        ctx.out.push(...s.out);
        return;
      }
    } else if (criterion !== "allOf") {
      for (const candidate of subs) {
        const s = sub(ctx);
        compare(s, original, candidate, path);
        if (compatible(s.out)) {
          ctx.out.push(...s.out);
          add(ctx, "SUM_TYPE_EXTENDED", path);
          return;
        }
      }
    }
  } else if (ok === "combined" && uk !== "combined" && isObj(original)) {
    const { criterion, subs } = combination(original);
    if (subs.length === 1) {
      const s = sub(ctx);
      compare(s, subs[0], update, path);
      if (compatible(s.out)) {
        ctx.out.push(...s.out);
        return;
      }
    } else if (criterion === "allOf") {
      for (const candidate of subs) {
        const s = sub(ctx);
        compare(s, candidate, update, path);
        if (compatible(s.out)) {
          ctx.out.push(...s.out);
          add(ctx, "PRODUCT_TYPE_NARROWED", path);
          return;
        }
      }
    }
  }
  if (ok !== uk) {
    // Anything may become `true`/{} (accepts all); `false` (accepted nothing) may become anything.
    if (ok === "false" || uk === "empty") return;
    add(ctx, "TYPE_CHANGED", path);
    return;
  }
  if (!isObj(original) || !isObj(update)) return;
  for (const [keyword, type] of [
    ["$id", "ID_CHANGED"],
    ["title", "TITLE_CHANGED"],
    ["description", "DESCRIPTION_CHANGED"],
    ["default", "DEFAULT_CHANGED"],
  ] as const) {
    if (!same(original[keyword], update[keyword])) add(ctx, type, path);
  }
  switch (ok) {
    case "string":
      compareString(ctx, original, update, path);
      return;
    case "number":
      compareNumber(ctx, original, update, path);
      return;
    case "enum":
      compareEnum(ctx, original.enum, update.enum, `${path}/enum`);
      return;
    case "const":
      if (!same(original.const, update.const)) add(ctx, "ENUM_ARRAY_CHANGED", `${path}/const`);
      return;
    case "combined":
      compareCombined(ctx, original, update, path);
      return;
    case "not":
      compareNot(ctx, original, update, path);
      return;
    case "object":
      compareObject(ctx, original, update, path);
      return;
    case "array":
      compareArray(ctx, original, update, path);
      return;
    default:
      return;
  }
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/**
 * A bound that must not shrink what is accepted: `upper` bounds (maximum, maxLength...)
 * may rise or go, `lower` bounds may fall or go; adding one is a narrowing.
 */
function compareBound(
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

function compareString(ctx: Ctx, o: Obj, u: Obj, path: string): void {
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

function compareNumber(ctx: Ctx, o: Obj, u: Obj, path: string): void {
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

function compareEnum(ctx: Ctx, a: unknown, b: unknown, path: string): void {
  const before = new Set((Array.isArray(a) ? a : [a]).map((v) => canonicalJson(v)));
  const after = new Set((Array.isArray(b) ? b : [b]).map((v) => canonicalJson(v)));
  const covers = (x: Set<string>, y: Set<string>) => [...y].every((v) => x.has(v));
  if (before.size === after.size && covers(before, after)) return;
  if (covers(after, before)) add(ctx, "ENUM_ARRAY_EXTENDED", path);
  else if (covers(before, after)) add(ctx, "ENUM_ARRAY_NARROWED", path);
  else add(ctx, "ENUM_ARRAY_CHANGED", path);
}

function compareNot(ctx: Ctx, o: Obj, u: Obj, path: string): void {
  // `not A` widens when A narrows: compare the negated schemas the other way round.
  const s = sub(ctx);
  compare(s, u.not, o.not, `${path}/not`);
  if (s.out.length === 0) return;
  add(ctx, compatible(s.out) ? "NOT_TYPE_NARROWED" : "NOT_TYPE_EXTENDED", `${path}/not`);
}

function compareCombined(ctx: Ctx, o: Obj, u: Obj, path: string): void {
  const a = combination(o);
  const b = combination(u);
  const singleton = (c: { subs: JsonSchema[] }) => c.subs.length === 1;
  if (a.criterion !== b.criterion) {
    const extended =
      b.criterion === "anyOf" ||
      (singleton(a) && singleton(b)) ||
      (singleton(a) && b.criterion === "oneOf") ||
      (singleton(b) && a.criterion === "allOf");
    add(ctx, extended ? "COMBINED_TYPE_EXTENDED" : "COMBINED_TYPE_CHANGED", path);
    if (!extended) return;
  }
  const unique = (subs: JsonSchema[]) => {
    const seen = new Map<string, JsonSchema>();
    for (const s of subs) seen.set(canonicalJson(s), s);
    return [...seen.values()];
  };
  const left = unique(a.subs);
  const right = unique(b.subs);
  if (left.length < right.length) {
    add(ctx, b.criterion === "allOf" ? "PRODUCT_TYPE_EXTENDED" : "SUM_TYPE_EXTENDED", path);
  } else if (left.length > right.length) {
    add(ctx, a.criterion === "allOf" ? "PRODUCT_TYPE_NARROWED" : "SUM_TYPE_NARROWED", path);
  }
  // Maximum matching of compatible (original, update) pairs (augmenting paths; small sets).
  const edges: Difference[][][] = left.map((l, i) =>
    right.map((r) => {
      const s = sub(ctx);
      compare(s, l, r, `${path}/${a.criterion}/${i}`);
      return s.out;
    }),
  );
  const matchOfRight = new Array<number>(right.length).fill(-1);
  const tryMatch = (i: number, seen: boolean[]): boolean => {
    for (let j = 0; j < right.length; j++) {
      if (seen[j] || !compatible(edges[i]?.[j] ?? [])) continue;
      seen[j] = true;
      const current = matchOfRight[j] ?? -1;
      if (current === -1 || tryMatch(current, seen)) {
        matchOfRight[j] = i;
        return true;
      }
    }
    return false;
  };
  let matched = 0;
  for (let i = 0; i < left.length; i++) {
    if (tryMatch(i, new Array<boolean>(right.length).fill(false))) matched++;
  }
  matchOfRight.forEach((i, j) => {
    if (i >= 0) ctx.out.push(...(edges[i]?.[j] ?? []));
  });
  if (matched < Math.min(left.length, right.length)) {
    add(ctx, "COMBINED_TYPE_SUBSCHEMAS_CHANGED", path);
  }
}

const propsOf = (s: Obj): Obj => (isObj(s.properties) ? s.properties : {});
const requiredOf = (s: Obj): Set<string> =>
  new Set(Array.isArray(s.required) ? s.required.filter((r) => typeof r === "string") : []);
const hasDefault = (s: unknown) => isObj(s) && s.default !== undefined;

/** Confluent: open = additionalProperties absent or true, and no patternProperties. */
function isOpen(s: Obj): boolean {
  const ap = s.additionalProperties;
  if (ap === false) return false;
  if (ap !== undefined && ap !== true && !(isObj(ap) && Object.keys(ap).length === 0)) return false;
  return !isObj(s.patternProperties) || Object.keys(s.patternProperties).length === 0;
}

/** The schema that covers an unlisted property in a partially open model, if any. */
function partialSchemaFor(s: Obj, property: string): JsonSchema | undefined {
  if (isObj(s.patternProperties)) {
    for (const [pattern, schema] of Object.entries(s.patternProperties)) {
      try {
        // Registered patterns are RE2 syntax, which JavaScript reads alike for this use.
        if (new RegExp(pattern, "u").test(property)) return schema as JsonSchema;
      } catch {
        // An invalid pattern covers nothing.
      }
    }
  }
  const ap = s.additionalProperties;
  if (isObj(ap) && Object.keys(ap).length > 0) return ap;
  return undefined;
}

function compareObject(ctx: Ctx, o: Obj, u: Obj, path: string): void {
  const op = propsOf(o);
  const up = propsOf(u);
  const oreq = requiredOf(o);
  const ureq = requiredOf(u);
  for (const key of Object.keys(op)) {
    if (!(key in up)) continue;
    const at = `${path}/required/${pointerSegment(key)}`;
    if (oreq.has(key) && !ureq.has(key)) add(ctx, "REQUIRED_ATTRIBUTE_REMOVED", at);
    else if (!oreq.has(key) && ureq.has(key)) {
      add(
        ctx,
        hasDefault(up[key]) ? "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" : "REQUIRED_ATTRIBUTE_ADDED",
        at,
      );
    }
  }
  for (const key of new Set([...Object.keys(op), ...Object.keys(up)])) {
    const at = `${path}/properties/${pointerSegment(key)}`;
    const a = op[key];
    const b = up[key];
    if (b === undefined) {
      if (isOpen(u)) add(ctx, "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", at);
      else {
        const partial = partialSchemaFor(u, key);
        if (partial !== undefined) {
          const s = sub(ctx);
          compare(s, a, partial, at);
          ctx.out.push(...s.out);
          add(
            ctx,
            compatible(s.out)
              ? "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
              : "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            at,
          );
        } else {
          add(
            ctx,
            a === false
              ? "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
              : "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
            at,
          );
        }
      }
    } else if (a === undefined) {
      if (isOpen(o)) {
        if (b === true || (isObj(b) && Object.keys(b).length === 0)) {
          add(ctx, "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", at);
        } else if (ureq.has(key)) {
          add(
            ctx,
            hasDefault(b)
              ? "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"
              : "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
            at,
          );
        } else add(ctx, "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", at);
      } else {
        const partial = partialSchemaFor(o, key);
        if (partial !== undefined) {
          const s = sub(ctx);
          compare(s, partial, b, at);
          ctx.out.push(...s.out);
          add(
            ctx,
            compatible(s.out)
              ? "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
              : "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            at,
          );
        }
        if (ureq.has(key)) {
          add(
            ctx,
            hasDefault(b)
              ? "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
              : "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
            at,
          );
        } else add(ctx, "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", at);
      }
    } else compare(ctx, a, b, at);
  }
  compareDependencies(ctx, o, u, path);
  compareAdditionalProperties(ctx, o, u, `${path}/additionalProperties`);
  compareBound(ctx, o, u, "maxProperties", "MAX_PROPERTIES", "upper", path);
  compareBound(ctx, o, u, "minProperties", "MIN_PROPERTIES", "lower", path);
}

function compareDependencies(ctx: Ctx, o: Obj, u: Obj, path: string): void {
  const a = isObj(o.dependentRequired) ? o.dependentRequired : {};
  const b = isObj(u.dependentRequired) ? u.dependentRequired : {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const at = `${path}/dependentRequired/${pointerSegment(key)}`;
    const before = a[key];
    const after = b[key];
    if (after === undefined) add(ctx, "DEPENDENCY_ARRAY_REMOVED", at);
    else if (before === undefined) add(ctx, "DEPENDENCY_ARRAY_ADDED", at);
    else {
      const x = new Set(Array.isArray(before) ? before : []);
      const y = new Set(Array.isArray(after) ? after : []);
      if (x.size === y.size && [...x].every((v) => y.has(v))) continue;
      if ([...x].every((v) => y.has(v))) add(ctx, "DEPENDENCY_ARRAY_EXTENDED", at);
      else if ([...y].every((v) => x.has(v))) add(ctx, "DEPENDENCY_ARRAY_NARROWED", at);
      else add(ctx, "DEPENDENCY_ARRAY_CHANGED", at);
    }
  }
}

function compareAdditionalProperties(ctx: Ctx, o: Obj, u: Obj, path: string): void {
  const permits = (s: Obj) => s.additionalProperties !== false;
  const schemaOf = (s: Obj) =>
    isObj(s.additionalProperties) && Object.keys(s.additionalProperties).length > 0
      ? s.additionalProperties
      : undefined;
  if (permits(o) !== permits(u)) {
    add(ctx, permits(u) ? "ADDITIONAL_PROPERTIES_ADDED" : "ADDITIONAL_PROPERTIES_REMOVED", path);
  } else if (schemaOf(o) === undefined && schemaOf(u) !== undefined) {
    add(ctx, "ADDITIONAL_PROPERTIES_NARROWED", path);
  } else if (schemaOf(o) !== undefined && schemaOf(u) === undefined) {
    add(ctx, "ADDITIONAL_PROPERTIES_EXTENDED", path);
  } else if (schemaOf(o) !== undefined) {
    compare(ctx, schemaOf(o), schemaOf(u), path);
  }
}

function compareArray(ctx: Ctx, o: Obj, u: Obj, path: string): void {
  // 2020-12: `items` is the schema of every item (after prefixItems).
  const a = o.items;
  const b = u.items;
  if (a !== undefined || b !== undefined) {
    const at = `${path}/items`;
    if (a === undefined) {
      // Items were unconstrained: any constraint narrows (unless it is `true`/{}).
      if (!(b === true || (isObj(b) && Object.keys(b).length === 0)))
        add(ctx, "ITEMS_NARROWED", at);
    } else if (b === undefined) add(ctx, "ITEMS_EXTENDED_TO_ANY", at);
    else compare(ctx, a, b, at);
  }
  const pa = Array.isArray(o.prefixItems) ? o.prefixItems : [];
  const pb = Array.isArray(u.prefixItems) ? u.prefixItems : [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    compare(ctx, pa[i], pb[i], `${path}/prefixItems/${i}`);
  }
  for (let i = pb.length; i < pa.length; i++) {
    const at = `${path}/prefixItems/${i}`;
    const rest = u.items;
    if (rest === undefined || rest === true) add(ctx, "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", at);
    else if (rest === false) add(ctx, "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", at);
    else compare(ctx, pa[i], rest, at);
  }
  for (let i = pa.length; i < pb.length; i++) {
    const at = `${path}/prefixItems/${i}`;
    const rest = o.items;
    if (rest === false) add(ctx, "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", at);
    else if (rest === undefined || rest === true) {
      const b2 = pb[i];
      add(
        ctx,
        b2 === true || (isObj(b2) && Object.keys(b2).length === 0)
          ? "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
          : "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
        at,
      );
    } else compare(ctx, rest, pb[i], at);
  }
  compareBound(ctx, o, u, "maxItems", "MAX_ITEMS", "upper", path);
  compareBound(ctx, o, u, "minItems", "MIN_ITEMS", "lower", path);
  const ua = o.uniqueItems === true;
  const ub = u.uniqueItems === true;
  if (ua && !ub) add(ctx, "UNIQUE_ITEMS_REMOVED", `${path}/uniqueItems`);
  else if (!ua && ub) add(ctx, "UNIQUE_ITEMS_ADDED", `${path}/uniqueItems`);
}

/** One compatibility problem: which version, which direction, which change. */
export interface Incompatibility {
  version: number;
  direction: "BACKWARD" | "FORWARD";
  difference: Difference;
}

/**
 * Checks a proposed schema against the registered versions (oldest first) under `mode`.
 * BACKWARD: compare(previous, proposed); FORWARD: compare(proposed, previous).
 */
export function checkCompatibility(
  mode: CompatibilityMode,
  proposed: JsonSchema,
  versions: readonly { version: number; schema: JsonSchema }[],
): Incompatibility[] {
  if (mode === "NONE" || versions.length === 0) return [];
  const against = mode.endsWith("_TRANSITIVE") ? versions : versions.slice(-1);
  const backward = mode.startsWith("BACKWARD") || mode.startsWith("FULL");
  const forward = mode.startsWith("FORWARD") || mode.startsWith("FULL");
  const found: Incompatibility[] = [];
  for (const { version, schema } of against) {
    if (backward) {
      for (const d of compareSchemas(schema, proposed)) {
        if (!isCompatibleChange(d)) found.push({ version, direction: "BACKWARD", difference: d });
      }
    }
    if (forward) {
      for (const d of compareSchemas(proposed, schema)) {
        if (!isCompatibleChange(d)) found.push({ version, direction: "FORWARD", difference: d });
      }
    }
  }
  return found;
}

/** An incompatibility as an answer's detail: where in the schema, and what broke. */
export function describeIncompatibility(i: Incompatibility, target = "schema"): FieldError {
  const reader = i.direction === "BACKWARD" ? "the new schema" : `version ${i.version}`;
  const writer = i.direction === "BACKWARD" ? `version ${i.version}` : "the new schema";
  return {
    path: `/${target}${i.difference.path.slice(1)}`,
    message: `${i.difference.type}: ${reader} cannot read every event valid under ${writer} (${i.direction} check against version ${i.version})`,
  };
}

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
import {
  add,
  type Ctx,
  compareEnum,
  compareNumber,
  compareString,
  compatible,
  type Difference,
  has,
  isCompatibleChange,
  isObj,
  same,
  sub,
} from "./schema-compat-diff.js";
import {
  COMBINERS,
  combination,
  compareArray,
  compareCombined,
  compareNot,
  compareObject,
} from "./schema-compat-structures.js";
import type { CompatibilityMode, JsonSchema } from "./schemas.js";

export {
  COMPATIBLE_CHANGES,
  type Difference,
  isCompatibleChange,
} from "./schema-compat-diff.js";

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
    compare,
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

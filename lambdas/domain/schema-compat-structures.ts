/**
 * Comparisons of schemas that nest (lambdas/domain/schema-compat.ts): objects and their
 * content models, arrays, anyOf/oneOf/allOf and `not`, as Confluent's ObjectSchemaDiff,
 * ArraySchemaDiff, CombinedSchemaDiff and NotSchemaDiff. Subschemas are compared through
 * the context (`recurse`), so this module needs nothing of the one that dispatches.
 */
import { canonicalJson } from "./digest.js";
import {
  add,
  type Ctx,
  compareBound,
  compatible,
  type Difference,
  isObj,
  type Obj,
  recurse,
  sub,
} from "./schema-compat-diff.js";
import { type JsonSchema, pointerSegment } from "./schemas.js";

export const COMBINERS = ["anyOf", "oneOf", "allOf"] as const;

/** A combined schema as its criterion and subschemas (`type: [a, b]` is anyOf). */
export function combination(s: Obj): {
  criterion: "anyOf" | "oneOf" | "allOf";
  subs: JsonSchema[];
} {
  for (const c of COMBINERS) {
    const subs = s[c];
    if (Array.isArray(subs)) return { criterion: c, subs: subs as JsonSchema[] };
  }
  const types = (s.type as unknown[]) ?? [];
  return { criterion: "anyOf", subs: types.map((t) => ({ ...s, type: t })) };
}

export function compareNot(ctx: Ctx, o: Obj, u: Obj, path: string): void {
  // `not A` widens when A narrows: compare the negated schemas the other way round.
  const s = sub(ctx);
  recurse(s, u.not, o.not, `${path}/not`);
  if (s.out.length === 0) return;
  add(ctx, compatible(s.out) ? "NOT_TYPE_NARROWED" : "NOT_TYPE_EXTENDED", `${path}/not`);
}

export function compareCombined(ctx: Ctx, o: Obj, u: Obj, path: string): void {
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
      recurse(s, l, r, `${path}/${a.criterion}/${i}`);
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

export function compareObject(ctx: Ctx, o: Obj, u: Obj, path: string): void {
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
          recurse(s, a, partial, at);
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
          recurse(s, partial, b, at);
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
    } else recurse(ctx, a, b, at);
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
    recurse(ctx, schemaOf(o), schemaOf(u), path);
  }
}

export function compareArray(ctx: Ctx, o: Obj, u: Obj, path: string): void {
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
    else recurse(ctx, a, b, at);
  }
  const pa = Array.isArray(o.prefixItems) ? o.prefixItems : [];
  const pb = Array.isArray(u.prefixItems) ? u.prefixItems : [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    recurse(ctx, pa[i], pb[i], `${path}/prefixItems/${i}`);
  }
  for (let i = pb.length; i < pa.length; i++) {
    const at = `${path}/prefixItems/${i}`;
    const rest = u.items;
    if (rest === undefined || rest === true) add(ctx, "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", at);
    else if (rest === false) add(ctx, "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", at);
    else recurse(ctx, pa[i], rest, at);
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
    } else recurse(ctx, rest, pb[i], at);
  }
  compareBound(ctx, o, u, "maxItems", "MAX_ITEMS", "upper", path);
  compareBound(ctx, o, u, "minItems", "MIN_ITEMS", "lower", path);
  const ua = o.uniqueItems === true;
  const ub = u.uniqueItems === true;
  if (ua && !ub) add(ctx, "UNIQUE_ITEMS_REMOVED", `${path}/uniqueItems`);
  else if (!ua && ub) add(ctx, "UNIQUE_ITEMS_ADDED", `${path}/uniqueItems`);
}

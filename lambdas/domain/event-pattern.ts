/**
 * EventBridge event patterns (the match language of rules, subscriptions and filters):
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
 * .../eb-create-pattern-operators.html, with aws/event-ruler's README as the reference for
 * what the documentation leaves open.
 *
 * A pattern is a JSON object whose keys name event fields and whose values are either a
 * nested pattern object or a non-empty array of allowed values (OR). Fields are ANDed;
 * `"$or": [p1, p2, ...]` (at least two objects) ORs whole sub-patterns at any level. An
 * allowed value is a string, number, boolean or null (exact, numbers compared as numbers:
 * 300 matches 3.0e2, never the string "300"), or one matcher object:
 *
 *   {"prefix": "us-"}              {"prefix": {"equals-ignore-case": "us-"}}
 *   {"suffix": ".png"}             {"suffix": {"equals-ignore-case": ".png"}}
 *   {"equals-ignore-case": "EC2"}  {"wildcard": "Simple*Service"}  ("\*" a star, "\\" a backslash)
 *   {"anything-but": "x" | 5 | ["a", "b"] | [1, 2]}
 *   {"anything-but": {"prefix" | "suffix" | "equals-ignore-case" | "wildcard": "s" | ["s", ...]}}
 *   {"numeric": [">", 0, "<=", 5]}  {"numeric": ["=", 3.018e2]}
 *   {"exists": true | false}       {"cidr": "10.0.0.0/24" | "2001:db8::/32"}
 *
 * Semantics that the documentation states and this module follows:
 * - matchers other than `exists: false` and `anything-but` need the field present; prefix,
 *   suffix, equals-ignore-case, wildcard and cidr only match strings; numeric only numbers;
 * - `exists` looks at leaf values only: a field holding an object (or an empty array) does
 *   not "exist" for `exists: true`, and satisfies `exists: false`;
 * - an event array matches when any of its elements does (nested arrays are flattened); a
 *   nested pattern applied to an array of objects must match within ONE element (array
 *   consistency, as event-ruler's rulesForJSONEvent);
 * - anything-but never matches a missing field; its plain values exclude by equal JSON
 *   value (so `{"anything-but": "a"}` matches 5 and null); its prefix/suffix/
 *   equals-ignore-case/wildcard forms exclude strings of that shape and match any other
 *   present leaf value.
 *
 * Cost: compiling is linear in the pattern, which is bounded (PATTERN_LIMITS). Matching
 * visits each (pattern node, event node) pair at most once, and every string test is a
 * single pass (wildcards: literal segments found left to right, no backtracking, no
 * RegExp), so it is linear in the event for a given pattern.
 */

import {
  affixTest,
  anythingBut,
  at,
  child,
  cidrTest,
  fail,
  finite,
  foldCase,
  numericTest,
  PATTERN_LIMITS,
  str,
  type ValueMatcher,
  wildcardTest,
} from "./event-pattern-matchers.js";
import { isPlainObject } from "./json.js";

export { EventPatternError, PATTERN_LIMITS } from "./event-pattern-matchers.js";

interface LeafNode {
  kind: "leaf";
  strings: Set<string>;
  numbers: Set<number>;
  literals: { null: boolean; true: boolean; false: boolean };
  matchers: ValueMatcher[];
  existsTrue: boolean;
  existsFalse: boolean;
}

interface ObjectNode {
  kind: "object";
  fields: Array<{ key: string; node: ObjectNode | LeafNode }>;
  /** Each entry is one $or: at least one of its alternatives must match. */
  ors: ObjectNode[][];
}

const COMPILED = Symbol("compiled-event-pattern");

export interface CompiledEventPattern {
  readonly [COMPILED]: ObjectNode;
  /** The pattern as given (for display and storage). */
  readonly source: Record<string, unknown>;
}

interface Budget {
  values: number;
}

/** Validates and compiles a pattern; throws EventPatternError naming the bad part. */
export function compileEventPattern(pattern: unknown): CompiledEventPattern {
  if (!isPlainObject(pattern)) fail("", "an event pattern must be a JSON object");
  const size = Buffer.byteLength(JSON.stringify(pattern) ?? "");
  if (size > PATTERN_LIMITS.maxBytes) {
    fail("", `the pattern is ${size} bytes; the limit is ${PATTERN_LIMITS.maxBytes}`);
  }
  const budget: Budget = { values: 0 };
  const root = compileObject(pattern as Record<string, unknown>, "", 1, budget, true);
  return { [COMPILED]: root, source: pattern as Record<string, unknown> };
}

function compileObject(
  raw: Record<string, unknown>,
  path: string,
  depth: number,
  budget: Budget,
  isRoot: boolean,
): ObjectNode {
  if (depth > PATTERN_LIMITS.maxDepth) {
    fail(path, `the pattern nests deeper than ${PATTERN_LIMITS.maxDepth} levels`);
  }
  const entries = Object.entries(raw);
  if (entries.length === 0 && !isRoot) fail(path, "an empty object matches nothing useful");
  const node: ObjectNode = { kind: "object", fields: [], ors: [] };
  for (const [key, value] of entries) {
    const p = child(path, key);
    if (key === "$or") {
      node.ors.push(compileOr(value, p, depth, budget));
    } else if (Array.isArray(value)) {
      node.fields.push({ key, node: compileLeaf(value, p, budget) });
    } else if (isPlainObject(value)) {
      node.fields.push({ key, node: compileObject(value, p, depth + 1, budget, false) });
    } else {
      fail(p, "must be an array of allowed values or a nested pattern object");
    }
  }
  return node;
}

function compileOr(value: unknown, path: string, depth: number, budget: Budget): ObjectNode[] {
  if (!Array.isArray(value) || value.length < 2) {
    fail(path, "$or must be an array of at least two pattern objects");
  }
  const list = value as unknown[];
  if (list.length > PATTERN_LIMITS.maxOrAlternatives) {
    fail(
      path,
      `$or has ${list.length} alternatives; the limit is ${PATTERN_LIMITS.maxOrAlternatives}`,
    );
  }
  return list.map((alt, i) => {
    if (!isPlainObject(alt) || Object.keys(alt).length === 0) {
      fail(at(path, i), "each $or alternative must be a non-empty pattern object");
    }
    return compileObject(alt as Record<string, unknown>, at(path, i), depth + 1, budget, false);
  });
}

function compileLeaf(values: unknown[], path: string, budget: Budget): LeafNode {
  if (values.length === 0) fail(path, "an empty list of allowed values matches nothing");
  const leaf: LeafNode = {
    kind: "leaf",
    strings: new Set(),
    numbers: new Set(),
    literals: { null: false, true: false, false: false },
    matchers: [],
    existsTrue: false,
    existsFalse: false,
  };
  values.forEach((value, i) => {
    const p = at(path, i);
    budget.values += 1;
    if (budget.values > PATTERN_LIMITS.maxValues) {
      fail(p, `the pattern has more than ${PATTERN_LIMITS.maxValues} values`);
    }
    if (typeof value === "string") leaf.strings.add(value);
    else if (typeof value === "number") leaf.numbers.add(finite(value, p));
    else if (value === null) leaf.literals.null = true;
    else if (value === true) leaf.literals.true = true;
    else if (value === false) leaf.literals.false = true;
    else if (isPlainObject(value)) compileMatcher(value, p, leaf);
    else fail(p, "must be a string, number, boolean, null or a matcher object");
  });
  return leaf;
}

function compileMatcher(raw: Record<string, unknown>, path: string, leaf: LeafNode): void {
  const keys = Object.keys(raw);
  if (keys.length !== 1) {
    fail(
      path,
      `a matcher object has exactly one key (prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard, cidr); got ${keys.length}`,
    );
  }
  const key = keys[0] as string;
  const value = raw[key];
  const p = child(path, key);
  switch (key) {
    case "exists":
      if (typeof value !== "boolean") fail(p, "must be true or false");
      if (value) leaf.existsTrue = true;
      else leaf.existsFalse = true;
      return;
    case "prefix":
    case "suffix": {
      const test = affixTest(key, value, p);
      leaf.matchers.push({ test: (v) => typeof v === "string" && test(v) });
      return;
    }
    case "equals-ignore-case": {
      const target = foldCase(str(value, p));
      leaf.matchers.push({ test: (v) => typeof v === "string" && foldCase(v) === target });
      return;
    }
    case "wildcard": {
      const test = wildcardTest(str(value, p), p);
      leaf.matchers.push({ test: (v) => typeof v === "string" && test(v) });
      return;
    }
    case "numeric": {
      const test = numericTest(value, p);
      leaf.matchers.push({ test: (v) => typeof v === "number" && test(v) });
      return;
    }
    case "cidr": {
      const test = cidrTest(str(value, p), p);
      leaf.matchers.push({ test: (v) => typeof v === "string" && test(v) });
      return;
    }
    case "anything-but":
      leaf.matchers.push(anythingBut(value, p));
      return;
    default:
      fail(p, `unknown matcher "${key}"`);
  }
}

// ---- matching ---------------------------------------------------------------------------

/** True when `event` (as the API returns it: type, source, subject, data, ...) matches. */
export function matchesEventPattern(compiled: CompiledEventPattern, event: object): boolean {
  return matchObject(compiled[COMPILED], event);
}

function matchObject(node: ObjectNode, value: unknown): boolean {
  if (Array.isArray(value)) {
    // An empty array has no leaves: the same as a missing field.
    if (value.length === 0) return matchObject(node, undefined);
    return value.some((element) => matchObject(node, element));
  }
  const obj = isPlainObject(value) ? value : undefined;
  for (const { key, node: sub } of node.fields) {
    const v = obj && Object.hasOwn(obj, key) ? obj[key] : undefined;
    if (!(sub.kind === "leaf" ? matchLeaf(sub, v) : matchObject(sub, v))) return false;
  }
  for (const alternatives of node.ors) {
    if (!alternatives.some((alt) => matchObject(alt, obj))) return false;
  }
  return true;
}

function matchLeaf(leaf: LeafNode, value: unknown): boolean {
  if (!Array.isArray(value)) {
    if (value === undefined || isPlainObject(value)) return leaf.existsFalse;
    return leaf.existsTrue || matchValue(leaf, value);
  }
  let sawLeaf = false;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push(current[i]);
    } else if (current !== undefined && !isPlainObject(current)) {
      sawLeaf = true;
      if (leaf.existsTrue || matchValue(leaf, current)) return true;
    }
  }
  return !sawLeaf && leaf.existsFalse;
}

function matchValue(leaf: LeafNode, value: unknown): boolean {
  switch (typeof value) {
    case "string":
      if (leaf.strings.has(value)) return true;
      break;
    case "number":
      if (leaf.numbers.has(value)) return true;
      break;
    case "boolean":
      if (value ? leaf.literals.true : leaf.literals.false) return true;
      break;
    default:
      if (value === null && leaf.literals.null) return true;
  }
  for (const m of leaf.matchers) if (m.test(value)) return true;
  return false;
}

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

import { isPlainObject } from "./json.js";

export const PATTERN_LIMITS = {
  /** Serialized pattern (UTF-8 bytes); EventBridge allows 4 KB by default. */
  maxBytes: 8 * 1024,
  /** Nesting of pattern objects (including $or alternatives). */
  maxDepth: 10,
  /** Allowed values and matchers in the whole pattern. */
  maxValues: 500,
  /** Alternatives in one $or. */
  maxOrAlternatives: 20,
  /** Stars in one wildcard string. */
  maxWildcardStars: 20,
} as const;

export class EventPatternError extends Error {
  override name = "EventPatternError";
  constructor(
    /** JSON path of the offending part, e.g. `data.amount[0].numeric`; "" is the root. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(path ? `${path}: ${reason}` : reason);
  }
}

type StringTest = (s: string) => boolean;

/** One allowed value that is not an exact literal. */
interface ValueMatcher {
  test(value: unknown): boolean;
}

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

const joinKey = (path: string, key: string) =>
  path === ""
    ? key
    : /^[A-Za-z_$][\w$-]*$/.test(key)
      ? `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`;
const rootKey = (key: string) =>
  /^[A-Za-z_$][\w$-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
const child = (path: string, key: string) => (path === "" ? rootKey(key) : joinKey(path, key));
const at = (path: string, index: number) => `${path}[${index}]`;

const fail = (path: string, reason: string): never => {
  throw new EventPatternError(path, reason);
};

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

const finite = (n: number, path: string): number =>
  Number.isFinite(n) ? n : fail(path, "must be a finite number");

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

const str = (value: unknown, path: string): string =>
  typeof value === "string" ? value : fail(path, "must be a string");

/** Case folding as EventBridge documents it (Unicode case-insensitive equality). */
const foldCase = (s: string) => s.toLowerCase();

function affixTest(kind: "prefix" | "suffix", value: unknown, path: string): StringTest {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length !== 1 || keys[0] !== "equals-ignore-case") {
      fail(path, `${kind} takes a string or {"equals-ignore-case": "..."}`);
    }
    const target = foldCase(str(value["equals-ignore-case"], child(path, "equals-ignore-case")));
    return kind === "prefix"
      ? (s) => foldCase(s).startsWith(target)
      : (s) => foldCase(s).endsWith(target);
  }
  const target = str(value, path);
  return kind === "prefix" ? (s) => s.startsWith(target) : (s) => s.endsWith(target);
}

/** Parses "a*b\\*c" into literal segments split at unescaped stars. */
function wildcardSegments(pattern: string, path: string): string[] {
  const segments: string[] = [];
  let current = "";
  let stars = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next !== "*" && next !== "\\") {
        fail(path, `a backslash may only escape "*" or "\\" (at character ${i})`);
      }
      current += next;
      i++;
    } else if (c === "*") {
      if (pattern[i + 1] === "*") fail(path, `consecutive "*" are not allowed (at character ${i})`);
      stars += 1;
      if (stars > PATTERN_LIMITS.maxWildcardStars) {
        fail(path, `more than ${PATTERN_LIMITS.maxWildcardStars} "*" in one wildcard`);
      }
      segments.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  segments.push(current);
  return segments;
}

/**
 * Star-only globs need no backtracking: the first segment must be a prefix, the last a
 * suffix, and each middle segment is taken at its leftmost occurrence after the previous
 * one (taking it any later can only leave less room for the rest).
 */
function wildcardTest(pattern: string, path: string): StringTest {
  const segments = wildcardSegments(pattern, path);
  if (segments.length === 1) {
    const only = segments[0] as string;
    return (s) => s === only;
  }
  const first = segments[0] as string;
  const last = segments[segments.length - 1] as string;
  const middle = segments.slice(1, -1);
  const minLength = segments.reduce((n, s) => n + s.length, 0);
  return (s) => {
    if (s.length < minLength || !s.startsWith(first) || !s.endsWith(last)) return false;
    let from = first.length;
    const end = s.length - last.length;
    for (const segment of middle) {
      const found = s.indexOf(segment, from);
      if (found < 0 || found + segment.length > end) return false;
      from = found + segment.length;
    }
    return true;
  };
}

type Comparison = "<" | "<=" | ">" | ">=" | "=";
const COMPARISONS = new Set<string>(["<", "<=", ">", ">=", "="]);

function numericTest(value: unknown, path: string): (n: number) => boolean {
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 4)) {
    fail(path, "must be [op, number] or [op, number, op, number], op one of < <= > >= =");
  }
  const parts = value as unknown[];
  const tests: Array<(n: number) => boolean> = [];
  let lower = false;
  let upper = false;
  for (let i = 0; i < parts.length; i += 2) {
    const op = parts[i];
    const operand = parts[i + 1];
    if (typeof op !== "string" || !COMPARISONS.has(op)) {
      fail(at(path, i), "must be one of < <= > >= =");
    }
    if (typeof operand !== "number") fail(at(path, i + 1), "must be a number");
    const bound = finite(operand as number, at(path, i + 1));
    switch (op as Comparison) {
      case "=":
        if (parts.length !== 2) fail(at(path, i), '"=" cannot be combined with another bound');
        tests.push((n) => n === bound);
        break;
      case ">":
      case ">=":
        if (lower) fail(at(path, i), "two lower bounds");
        lower = true;
        tests.push(op === ">" ? (n) => n > bound : (n) => n >= bound);
        break;
      default:
        if (upper) fail(at(path, i), "two upper bounds");
        upper = true;
        tests.push(op === "<" ? (n) => n < bound : (n) => n <= bound);
    }
  }
  if (tests.length === 1) return tests[0] as (n: number) => boolean;
  const [a, b] = tests as [(n: number) => boolean, (n: number) => boolean];
  return (n) => a(n) && b(n);
}

function anythingBut(value: unknown, path: string): ValueMatcher {
  const present = (v: unknown) => v !== undefined;
  if (typeof value === "string" || typeof value === "number") {
    const excluded = typeof value === "number" ? finite(value, path) : value;
    return { test: (v) => present(v) && v !== excluded };
  }
  if (Array.isArray(value)) {
    if (value.length === 0) fail(path, "an empty anything-but list excludes nothing");
    const allStrings = value.every((v) => typeof v === "string");
    const allNumbers = value.every((v) => typeof v === "number");
    if (!allStrings && !allNumbers) {
      fail(path, "an anything-but list holds only strings or only numbers");
    }
    value.forEach((v, i) => {
      if (typeof v === "number") finite(v, at(path, i));
    });
    const excluded = new Set<unknown>(value);
    return { test: (v) => present(v) && !excluded.has(v) };
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    const key = keys[0];
    if (
      keys.length !== 1 ||
      (key !== "prefix" && key !== "suffix" && key !== "equals-ignore-case" && key !== "wildcard")
    ) {
      fail(
        path,
        "anything-but takes a value, a list, or one of prefix, suffix, equals-ignore-case, wildcard",
      );
    }
    const k = key as "prefix" | "suffix" | "equals-ignore-case" | "wildcard";
    const p = child(path, k);
    const raw = value[k];
    const targets = Array.isArray(raw) ? raw : [raw];
    if (targets.length === 0) fail(p, "an empty list excludes nothing");
    const tests: StringTest[] = targets.map((t, i) => {
      const tp = Array.isArray(raw) ? at(p, i) : p;
      const s = str(t, tp);
      if (k === "prefix") return (x) => x.startsWith(s);
      if (k === "suffix") return (x) => x.endsWith(s);
      if (k === "wildcard") return wildcardTest(s, tp);
      const folded = foldCase(s);
      return (x) => foldCase(x) === folded;
    });
    return {
      test: (v) => present(v) && !(typeof v === "string" && tests.some((t) => t(v))),
    };
  }
  return fail(path, "anything-but takes a string, a number, a list, or a matcher object");
}

// ---- CIDR (IPv4 and IPv6), without RegExp --------------------------------------------

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3) return undefined;
    for (const c of part) if (c < "0" || c > "9") return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    n = (n << 8n) | BigInt(v);
  }
  return n;
}

function parseIpv6(s: string): bigint | undefined {
  if (s.length > 45) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    const pieces = h.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (piece.length === 0 || piece.length > 4) return undefined;
      for (const c of piece.toLowerCase()) {
        if (!((c >= "0" && c <= "9") || (c >= "a" && c <= "f"))) return undefined;
      }
      out.push(Number.parseInt(piece, 16));
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let n = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) {
    n = (n << 16n) | BigInt(g);
  }
  return n;
}

function cidrTest(cidr: string, path: string): StringTest {
  const slash = cidr.indexOf("/");
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const v6 = address.includes(":");
  const bits = v6 ? 128 : 32;
  const base = v6 ? parseIpv6(address) : parseIpv4(address);
  if (base === undefined) fail(path, `"${cidr}" is not an IPv4 or IPv6 address or CIDR block`);
  const lengthText = slash < 0 ? String(bits) : cidr.slice(slash + 1);
  const length = Number(lengthText);
  if (!/^\d{1,3}$/.test(lengthText) || length > bits) {
    fail(path, `the prefix length of "${cidr}" must be 0-${bits}`);
  }
  const shift = BigInt(bits - length);
  const network = (base as bigint) >> shift;
  const parse = v6 ? parseIpv6 : parseIpv4;
  return (s) => {
    if (s.includes(":") !== v6) return false;
    const ip = parse(s);
    return ip !== undefined && ip >> shift === network;
  };
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

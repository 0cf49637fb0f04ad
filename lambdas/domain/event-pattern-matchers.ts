/**
 * The value matchers of event patterns (lambdas/domain/event-pattern.ts): prefix, suffix,
 * equals-ignore-case, wildcard, numeric, anything-but and cidr, each compiled from its
 * pattern value into a test, with the error naming the offending part of the pattern.
 * Every string test is a single pass (wildcards: literal segments left to right, no
 * backtracking, no RegExp).
 */
import { BlockList, isIP } from "node:net";
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

export type StringTest = (s: string) => boolean;

/** One allowed value that is not an exact literal. */
export interface ValueMatcher {
  test(value: unknown): boolean;
}

const joinKey = (path: string, key: string) =>
  path === ""
    ? key
    : /^[A-Za-z_$][\w$-]*$/.test(key)
      ? `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`;
const rootKey = (key: string) =>
  /^[A-Za-z_$][\w$-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
export const child = (path: string, key: string) =>
  path === "" ? rootKey(key) : joinKey(path, key);
export const at = (path: string, index: number) => `${path}[${index}]`;

export const fail = (path: string, reason: string): never => {
  throw new EventPatternError(path, reason);
};

export const finite = (n: number, path: string): number =>
  Number.isFinite(n) ? n : fail(path, "must be a finite number");

export const str = (value: unknown, path: string): string =>
  typeof value === "string" ? value : fail(path, "must be a string");

/** Case folding as EventBridge documents it (Unicode case-insensitive equality). */
export const foldCase = (s: string) => s.toLowerCase();

export function affixTest(kind: "prefix" | "suffix", value: unknown, path: string): StringTest {
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
export function wildcardTest(pattern: string, path: string): StringTest {
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

export function numericTest(value: unknown, path: string): (n: number) => boolean {
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

export function anythingBut(value: unknown, path: string): ValueMatcher {
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

/**
 * A CIDR block (or one address) as a test of address strings, on Node's own address
 * parser and matcher (node:net isIP and BlockList). An address of the other family never
 * matches (10.0.0.1 is not in 2001:db8::/32, nor ::ffff:10.0.0.1 in 10.0.0.0/8).
 */
export function cidrTest(cidr: string, path: string): StringTest {
  const slash = cidr.indexOf("/");
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const family = isIP(address);
  if (family === 0) fail(path, `"${cidr}" is not an IPv4 or IPv6 address or CIDR block`);
  const bits = family === 6 ? 128 : 32;
  const lengthText = slash < 0 ? String(bits) : cidr.slice(slash + 1);
  const length = Number(lengthText);
  if (!/^\d{1,3}$/.test(lengthText) || length > bits) {
    fail(path, `the prefix length of "${cidr}" must be 0-${bits}`);
  }
  const type = family === 6 ? "ipv6" : "ipv4";
  const block = new BlockList();
  block.addSubnet(address, length, type);
  return (s) => isIP(s) === family && block.check(s, type);
}

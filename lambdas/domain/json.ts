/**
 * JSON from untrusted clients: parsed without losing information silently and without
 * keys that could reach an object's prototype later.
 *
 * - Numbers: JSON.parse would round 12345678901234567891 to 12345678901234567000 and
 *   1e400 to Infinity without a word. The reviver sees each number's source text
 *   (`context.source`, Node >= 21) and marks a number whose double does not print back
 *   to the same decimal value; the walk then reports it with its path. The same rule
 *   covers integers beyond 2^53 and more than 17 (or DynamoDB's 38) significant digits.
 *   A literal longer than MAX_NUMBER_LITERAL_CHARS is marked before anything else looks
 *   at it, and the comparison is one pass over the text: a 1 MB body of digits costs
 *   what a 1 MB string costs (a backtracking `/0+$/` once made it quadratic).
 * - Reserved keys (`__proto__`, `constructor`, `prototype`): JSON.parse itself stores
 *   `__proto__` as a plain own property, but any later Object.assign or `obj[key] = v`
 *   copy would set a prototype. Rejected wherever they appear.
 * - Depth: the reviver recurses, so a pathological body (`[[[[...`) would overflow the
 *   stack; a linear pre-scan refuses bodies nested deeper than MAX_JSON_DEPTH first.
 * - Lone surrogates (`"\ud800"`): valid JSON, but not Unicode text; DynamoDB stores strings
 *   as UTF-8, which has no encoding for them, so they are refused in keys and strings.
 * - Answers stay small: at most MAX_FIELD_ERRORS errors per event (or request), each path
 *   at most MAX_PATH_CHARS long (limitErrors). A 57 KB event of lone surrogates under one
 *   30 KB key once produced a 90 MB answer: 3,000 errors, each repeating the key.
 */

export interface FieldError {
  /** Where the problem is: `type`, `events[3].data`, `data.items[2]`. */
  path: string;
  message: string;
  /** Schema violations (schema-validator.ts): RFC 6901 pointer into the event, `/data/amount`. */
  pointer?: string;
  /** Schema violations: the JSON Schema keyword that failed (`type`, `required`...). */
  keyword?: string;
}

/** Far above any valid body (an event's data may nest LIMITS.maxDataDepth levels). */
export const MAX_JSON_DEPTH = 128;

/**
 * Longest number literal looked at. Every number DynamoDB stores prints in fewer
 * characters, even in plain notation with trailing zeros: sign, 126 integer digits or
 * "0." and 129 zeros before 38 significant digits (~170). Longer ones are refused as they
 * are met, naming the field, however long they are.
 */
export const MAX_NUMBER_LITERAL_CHARS = 256;

/** Field errors listed per event (or request); more are summed up in one last entry. */
export const MAX_FIELD_ERRORS = 10;

/** Longer paths are shortened in answers, their middle replaced by "...". */
export const MAX_PATH_CHARS = 200;

/** DynamoDB stores numbers from 1e-130 to below 1e126 in magnitude. */
const MAX_MAGNITUDE = 1e126;
const MIN_MAGNITUDE = 1e-130;

export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

/** Stands in for a number that cannot be kept exactly; reported by inspect(). */
export class UnrepresentableNumber {
  constructor(
    readonly source: string,
    readonly reason: string,
  ) {}
  toJSON(): string {
    return this.source;
  }
}

export type ParseResult =
  | { ok: true; value: unknown }
  | { ok: false; reason: "syntax" | "too_deep"; message: string };

export function parseJson(text: string): ParseResult {
  if (nestingExceeds(text, MAX_JSON_DEPTH)) {
    return {
      ok: false,
      reason: "too_deep",
      message: `Body is nested deeper than ${MAX_JSON_DEPTH} levels`,
    };
  }
  try {
    return { ok: true, value: JSON.parse(text, reviveNumber) };
  } catch (error) {
    return { ok: false, reason: "syntax", message: describeSyntaxError(text, error) };
  }
}

function reviveNumber(this: unknown, _key: string, value: unknown, context?: { source?: string }) {
  if (typeof value !== "number" || context?.source === undefined) return value;
  const source = context.source;
  if (source.length > MAX_NUMBER_LITERAL_CHARS) {
    return new UnrepresentableNumber(
      source,
      `number ${truncate(source)} is ${source.length} characters long; the limit is ${MAX_NUMBER_LITERAL_CHARS} (DynamoDB keeps at most 38 significant digits); send it as a string`,
    );
  }
  if (!Number.isFinite(value) || !sameDecimal(source, String(value))) {
    const shown = Number.isFinite(value) ? ` (it would become ${value})` : "";
    return new UnrepresentableNumber(
      source,
      `number ${truncate(source)} cannot be stored exactly${shown}; send it as a string`,
    );
  }
  const magnitude = Math.abs(value);
  if (magnitude >= MAX_MAGNITUDE || (magnitude !== 0 && magnitude < MIN_MAGNITUDE)) {
    return new UnrepresentableNumber(
      source,
      `number ${truncate(source)} is outside the storable range (1e-130 to 1e126 in magnitude); send it as a string`,
    );
  }
  return value;
}

/** Compares two decimal literals by value: "1.50" equals "1.5", "1e2" equals "100". */
function sameDecimal(a: string, b: string): boolean {
  const x = normalizeDecimal(a);
  const y = normalizeDecimal(b);
  return x !== undefined && x === y;
}

/**
 * A decimal literal's value as `<sign><significant digits>e<exponent>` ("-1.50e1" and
 * "-15" both give "-15e0"); undefined when it is not a JSON number, or when its exponent
 * has more than 15 digits (no double prints one, so it equals no double's text).
 *
 * One pass over the text, no regular expression, no BigInt: linear in the literal's
 * length whatever its digits are (exported for the test that counts its steps).
 */
export function normalizeDecimal(literal: string, steps?: { count: number }): string | undefined {
  const n = literal.length;
  let i = 0;
  const tick = steps ? () => steps.count++ : () => {};
  const isDigit = (at: number) => {
    tick();
    const c = literal.charCodeAt(at);
    return c >= 0x30 && c <= 0x39;
  };
  const negative = literal.charCodeAt(0) === 0x2d;
  if (negative) i++;
  const intStart = i;
  while (i < n && isDigit(i)) i++;
  const intEnd = i;
  if (intEnd === intStart) return undefined;
  let fracStart = i;
  let fracEnd = i;
  if (literal.charCodeAt(i) === 0x2e) {
    fracStart = ++i;
    while (i < n && isDigit(i)) i++;
    fracEnd = i;
    if (fracEnd === fracStart) return undefined;
  }
  let expNegative = false;
  let expStart = i;
  let expEnd = i;
  const e = literal.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const c = literal.charCodeAt(i);
    if (c === 0x2b || c === 0x2d) {
      expNegative = c === 0x2d;
      i++;
    }
    expStart = i;
    while (i < n && isDigit(i)) i++;
    expEnd = i;
    if (expEnd === expStart) return undefined;
  }
  if (i !== n) return undefined;

  // The digits are int then frac; index k of them is at digitAt(k).
  const intLength = intEnd - intStart;
  const fracLength = fracEnd - fracStart;
  const total = intLength + fracLength;
  const digitAt = (k: number) => {
    tick();
    return literal.charCodeAt(k < intLength ? intStart + k : fracStart + k - intLength);
  };
  let first = 0;
  while (first < total && digitAt(first) === 0x30) first++;
  if (first === total) return "0";
  let last = total - 1;
  while (digitAt(last) === 0x30) last--;

  while (expStart < expEnd - 1 && literal.charCodeAt(expStart) === 0x30) {
    tick();
    expStart++;
  }
  if (expEnd - expStart > 15) return undefined;
  const exp = expEnd > expStart ? Number(literal.slice(expStart, expEnd)) : 0;
  let significant = "";
  if (last < intLength) significant = literal.slice(intStart + first, intStart + last + 1);
  else if (first >= intLength) {
    significant = literal.slice(fracStart + first - intLength, fracStart + last - intLength + 1);
  } else {
    significant = `${literal.slice(intStart + first, intEnd)}${literal.slice(fracStart, fracStart + last - intLength + 1)}`;
  }
  // |exp| < 1e15 and the literal is shorter than 2^53 characters: exact in a double.
  const exponent = (expNegative ? -exp : exp) - fracLength + (total - 1 - last);
  return `${negative ? "-" : ""}${significant}e${exponent}`;
}

function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** V8 says "... in JSON at position 12 (line 1 column 13)"; keep only where, never the input. */
function describeSyntaxError(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  const match = /at position (\d+)/.exec(message);
  if (!match) {
    return /end of JSON input/.test(message)
      ? "Body is not valid JSON: it ends unexpectedly"
      : "Body is not valid JSON";
  }
  const position = Number(match[1]);
  // V8 reports a truncated body as an unexpected character one past its end.
  if (position >= text.length) return "Body is not valid JSON: it ends unexpectedly";
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  return `Body is not valid JSON: unexpected character at line ${line}, column ${column} (position ${position})`;
}

/** A UTF-16 surrogate without its other half. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const NOT_UNICODE = "is not well-formed Unicode text (a lone surrogate, e.g. \\ud800)";

const truncate = (s: string) => (s.length > 40 ? `${s.slice(0, 37)}...` : s);

/** Appends a key or index to a path: `events` + 3 -> `events[3]`, `data` + `a b` -> `data["a b"]`. */
export function joinPath(base: string, segment: string | number): string {
  if (typeof segment === "number") return `${base}[${segment}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment))
    return base === "" ? segment : `${base}.${segment}`;
  return `${base}[${JSON.stringify(segment)}]`;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof UnrepresentableNumber);

/**
 * What an answer lists of `errors`: the first MAX_FIELD_ERRORS, paths shortened to
 * MAX_PATH_CHARS, and one entry at `at` saying more were found. Linear in what it lists,
 * whatever the input, so an answer stays within a few KB per event.
 */
export function limitErrors(errors: readonly FieldError[], at = ""): FieldError[] {
  const listed = errors
    .slice(0, MAX_FIELD_ERRORS)
    .map((e) => (e.path.length > MAX_PATH_CHARS ? { ...e, path: shortenPath(e.path) } : e));
  if (errors.length > MAX_FIELD_ERRORS) {
    listed.push({
      path: shortenPath(at),
      message: `has more errors, not listed: at most ${MAX_FIELD_ERRORS} are reported`,
    });
  }
  return listed;
}

function shortenPath(path: string): string {
  if (path.length <= MAX_PATH_CHARS) return path;
  const half = Math.floor((MAX_PATH_CHARS - 3) / 2);
  return `${path.slice(0, half)}...${path.slice(path.length - half)}`;
}

/**
 * Reports reserved keys and unrepresentable numbers anywhere in `value`, and whether any
 * container nests deeper than `maxDepth` (`value` itself, if a container, is level 1).
 * Keeps at most MAX_FIELD_ERRORS + 1 errors (limitErrors lists them); the walk goes on for
 * the depth.
 */
export function inspect(
  value: unknown,
  path: string,
  maxDepth = Number.POSITIVE_INFINITY,
): { errors: FieldError[]; tooDeep: boolean } {
  const errors: FieldError[] = [];
  // One more than limitErrors lists, so it knows there were more.
  const report = (e: FieldError) => {
    if (errors.length <= MAX_FIELD_ERRORS) errors.push(e);
  };
  let tooDeep = false;
  const visit = (v: unknown, at: string, depth: number): void => {
    if (v instanceof UnrepresentableNumber) {
      report({ path: at, message: v.reason });
      return;
    }
    if (typeof v === "string" && LONE_SURROGATE.test(v)) {
      report({ path: at, message: NOT_UNICODE });
      return;
    }
    if (typeof v !== "object" || v === null) return;
    if (depth > maxDepth) tooDeep = true;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        visit(item, joinPath(at, i), depth + 1);
      });
      return;
    }
    for (const [key, item] of Object.entries(v)) {
      const next = joinPath(at, key);
      if (RESERVED_KEYS.has(key)) report({ path: next, message: "is a reserved key name" });
      else if (LONE_SURROGATE.test(key)) report({ path: next, message: `key ${NOT_UNICODE}` });
      else visit(item, next, depth + 1);
    }
  };
  visit(value, path, 1);
  return { errors, tooDeep };
}

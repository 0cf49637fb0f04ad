/**
 * JSON from untrusted clients: parsed without losing information silently and without
 * keys that could reach an object's prototype later.
 *
 * - Numbers: JSON.parse would round 12345678901234567891 to 12345678901234567000 and
 *   1e400 to Infinity without a word. The reviver sees each number's source text
 *   (`context.source`, Node >= 21) and marks a number whose double does not print back
 *   to the same decimal value; the walk then reports it with its path. The same rule
 *   covers integers beyond 2^53 and more than 17 (or DynamoDB's 38) significant digits.
 * - Reserved keys (`__proto__`, `constructor`, `prototype`): JSON.parse itself stores
 *   `__proto__` as a plain own property, but any later Object.assign or `obj[key] = v`
 *   copy would set a prototype. Rejected wherever they appear.
 * - Depth: the reviver recurses, so a pathological body (`[[[[...`) would overflow the
 *   stack; a linear pre-scan refuses bodies nested deeper than MAX_JSON_DEPTH first.
 * - Lone surrogates (`"\ud800"`): valid JSON, but not Unicode text; DynamoDB stores strings
 *   as UTF-8, which has no encoding for them, so they are refused in keys and strings.
 */

export interface FieldError {
  /** Where the problem is: `type`, `events[3].data`, `data.items[2]`. */
  path: string;
  message: string;
}

/** Far above any valid body (an event's data may nest LIMITS.maxDataDepth levels). */
export const MAX_JSON_DEPTH = 128;

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

function normalizeDecimal(literal: string): string | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!m) return undefined;
  const [, sign = "", int = "", frac = "", exp = "0"] = m;
  const digits = `${int}${frac}`.replace(/^0+/, "");
  if (digits === "") return "0";
  const significant = digits.replace(/0+$/, "");
  // BigInt: a source exponent may exceed the safe integer range.
  const exponent = BigInt(exp) - BigInt(frac.length) + BigInt(digits.length - significant.length);
  return `${sign}${significant}e${exponent}`;
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
 * Reports reserved keys and unrepresentable numbers anywhere in `value`, and whether any
 * container nests deeper than `maxDepth` (`value` itself, if a container, is level 1).
 */
export function inspect(
  value: unknown,
  path: string,
  maxDepth = Number.POSITIVE_INFINITY,
): { errors: FieldError[]; tooDeep: boolean } {
  const errors: FieldError[] = [];
  let tooDeep = false;
  const visit = (v: unknown, at: string, depth: number): void => {
    if (v instanceof UnrepresentableNumber) {
      errors.push({ path: at, message: v.reason });
      return;
    }
    if (typeof v === "string" && LONE_SURROGATE.test(v)) {
      errors.push({ path: at, message: NOT_UNICODE });
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
      if (RESERVED_KEYS.has(key)) errors.push({ path: next, message: "is a reserved key name" });
      else if (LONE_SURROGATE.test(key)) errors.push({ path: next, message: `key ${NOT_UNICODE}` });
      else visit(item, next, depth + 1);
    }
  };
  visit(value, path, 1);
  return { errors, tooDeep };
}

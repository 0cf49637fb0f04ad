/**
 * JSONata expressions (https://docs.jsonata.org), the language of rule enrichments and
 * route transformations, evaluated with bounds, because tenants write them and the process
 * function runs them on every matching event:
 *
 * - work: an entry hook counts the evaluation steps (the "timeboxExpression" technique of
 *   jsonata's tests: hooks on evaluate entry/exit in the expression's environment) and
 *   stops at maxSteps: deterministic, whatever the machine's load;
 * - time: jsonata's own guardrail (`timeout`), checked on every step, as a backstop set
 *   far above what maxSteps allows, so a starved CPU (a throttled Lambda, a busy host)
 *   does not fail a legitimate expression;
 * - depth: `stack`, the nesting of evaluation steps (deep or runaway recursion);
 * - memory: `sequence` bounds every sequence jsonata builds, the range operator is capped
 *   by jsonata at 1e7, and an exit hook refuses any intermediate string or array above
 *   EXPRESSION_LIMITS (so `$join`/`$pad`/`&` cannot grow a result past it and keep going);
 *   `$pad` is replaced by a version that refuses widths above the string bound before
 *   allocating; the final result must serialize within maxResultBytes;
 * - regular expressions run on RE2 (re2js: linear time, no backtracking), so a tenant's
 *   `/(a+)+$/` cannot stall the function; a pattern RE2 does not support (backreferences,
 *   lookahead) is refused when the rule is saved, with its position;
 * - `$eval` (an expression built from data at run time) is not available.
 *
 * Errors at rule creation carry the JSONata error code, message and character position.
 * Codes of the bounds above (jsonata's own codes are S0xxx syntax, Txxxx type, Dxxxx
 * dynamic; D1011 depth, D1012 time, D2014/D2015 sequence size): EF01 a string, array or
 * result over its bound, EF02 $eval, EF03 a regular expression RE2 cannot run, EF04 more
 * than maxSteps evaluation steps.
 *
 * The engine (jsonata, re2js) is a side bundle loaded once per container when an expression
 * needs it (issue 20, cold start: expression-engine-loader.ts). Compiling is synchronous, so
 * callers first `await prepareExpressions(sources)`, which loads it unless every source is of
 * the fast path's shapes, read by a parser of that subset (expression-subset-parser.ts: the
 * default rules' expressions and most rules' are); those run on the fast path, and JSONata is
 * loaded only if a value makes the fast path decline.
 */
import type jsonata from "jsonata";
import {
  type ExpressionEngine,
  loadExpressionEngine,
  loadedExpressionEngine,
} from "./expression-engine-loader.js";
import { compileFastPath, DECLINED, type FastExpression } from "./expression-fast-path.js";
import { parseSubset } from "./expression-subset-parser.js";

export const EXPRESSION_LIMITS = {
  /** Source text of one expression. */
  maxChars: 4096,
  /** Evaluation steps of one evaluation (a rule's expression takes tens). */
  maxSteps: 10_000,
  /**
   * Wall time of one evaluation: a backstop far above what maxSteps allows, so CPU
   * starvation does not trip it; the rules of one event share a budget too
   * (RULE_LIMITS.maxEventEvaluationMs).
   */
  timeoutMs: 1000,
  /** Nested evaluation steps. */
  maxDepth: 200,
  /** Items in any sequence or array built while evaluating. */
  maxSequence: 10_000,
  /** Characters of any string built while evaluating. */
  maxStringChars: 64 * 1024,
  /** The result, serialized as JSON. */
  maxResultBytes: 64 * 1024,
} as const;

export class ExpressionError extends Error {
  override name = "ExpressionError";
  constructor(
    message: string,
    /** JSONata's error code (S0201, D1012, ...) when it has one. */
    readonly code?: string,
    /** Character offset in the expression (1-based as jsonata counts), when known. */
    readonly position?: number,
  ) {
    super(message);
  }
}

interface JsonataErrorLike {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

const asJsonataError = (error: unknown): JsonataErrorLike =>
  typeof error === "object" && error !== null ? (error as JsonataErrorLike) : {};

function toExpressionError(error: unknown): ExpressionError {
  if (error instanceof ExpressionError) return error;
  const e = asJsonataError(error);
  const message = typeof e.message === "string" ? e.message : String(error);
  return new ExpressionError(message.slice(0, 300), e.code, e.position);
}

interface AstNode {
  type?: string;
  value?: unknown;
  position?: number;
  [key: string]: unknown;
}

/** Every regex literal must compile under RE2: refused at creation otherwise. */
function checkRegexes(engine: ExpressionEngine, node: unknown, seen = new Set<unknown>()): void {
  if (typeof node !== "object" || node === null || seen.has(node)) return;
  seen.add(node);
  const n = node as AstNode;
  if (n.type === "regex" && n.value instanceof RegExp) {
    try {
      new engine.Re2Engine(n.value);
    } catch (error) {
      throw new ExpressionError(
        `regular expression /${n.value.source}/ is not supported (RE2 syntax only: no backreferences or lookahead): ${asJsonataError(error).message ?? error}`,
        "EF03",
        n.position,
      );
    }
  }
  for (const value of Object.values(n)) {
    if (Array.isArray(value)) for (const v of value) checkRegexes(engine, v, seen);
    else checkRegexes(engine, value, seen);
  }
}

export interface CompiledExpression {
  readonly source: string;
  evaluate(input: unknown): Promise<unknown>;
}

const refuseEval = () => {
  throw new ExpressionError("$eval is not available in rule expressions", "EF02");
};

function boundedPad(str: unknown, width: unknown, char?: unknown): unknown {
  if (typeof width === "number" && Math.abs(width) > EXPRESSION_LIMITS.maxStringChars) {
    throw new ExpressionError(
      `$pad width ${width} is above the string bound ${EXPRESSION_LIMITS.maxStringChars}`,
      "EF01",
    );
  }
  if (str === undefined) return undefined;
  const s = String(str);
  const w = typeof width === "number" ? Math.trunc(width) : 0;
  const c = typeof char === "string" && char.length > 0 ? char : " ";
  const fill = (n: number) => c.repeat(Math.ceil(n / c.length)).slice(0, n);
  const length = [...s].length;
  if (Math.abs(w) <= length) return s;
  return w > 0 ? s + fill(w - length) : fill(-w - length) + s;
}

interface EvaluationFrame {
  base?: { eventflowSteps?: number };
}

/** Counts the steps of the evaluation this frame belongs to (its base is per evaluation). */
function countStep(_expr: unknown, _input: unknown, env: EvaluationFrame): void {
  const base = env.base;
  if (!base) return;
  base.eventflowSteps = (base.eventflowSteps ?? 0) + 1;
  if (base.eventflowSteps > EXPRESSION_LIMITS.maxSteps) {
    throw new ExpressionError(
      `the expression took more than ${EXPRESSION_LIMITS.maxSteps} evaluation steps`,
      "EF04",
    );
  }
}

/** Refuses oversized intermediate results as each evaluation step ends. */
function checkStep(_expr: unknown, _input: unknown, _env: unknown, result: unknown): void {
  if (typeof result === "string" && result.length > EXPRESSION_LIMITS.maxStringChars) {
    throw new ExpressionError(
      `a string of ${result.length} characters is above the bound ${EXPRESSION_LIMITS.maxStringChars}`,
      "EF01",
    );
  }
  if (Array.isArray(result) && result.length > EXPRESSION_LIMITS.maxSequence) {
    throw new ExpressionError(
      `an array of ${result.length} items is above the bound ${EXPRESSION_LIMITS.maxSequence}`,
      "EF01",
    );
  }
}

export interface CompileOptions {
  /**
   * Run the common shapes as plain closures (default true). False: JSONata evaluates every
   * expression, the reference the fast path is checked against.
   */
  fastPath?: boolean;
}

const FAST_PATH_BOUNDS = { maxStringChars: EXPRESSION_LIMITS.maxStringChars };

/** The fast path of `source` when the subset parser reads it and the fast path runs it. */
function fastPathWithoutEngine(
  source: string,
  options: CompileOptions = {},
): FastExpression | undefined {
  if (options.fastPath === false || source.length > EXPRESSION_LIMITS.maxChars) return undefined;
  const tree = parseSubset(source);
  return tree === undefined ? undefined : compileFastPath(tree, FAST_PATH_BOUNDS);
}

/**
 * Loads the expression engine (once per container) when one of `sources` needs it to
 * compile; compileExpression may then be called on each of them.
 */
export async function prepareExpressions(
  sources: Iterable<string>,
  options: CompileOptions = {},
): Promise<void> {
  if (loadedExpressionEngine()) return;
  for (const source of sources) {
    if (!fastPathWithoutEngine(source, options)) {
      await loadExpressionEngine();
      return;
    }
  }
}

/**
 * Parses and checks an expression; throws ExpressionError (with position) when invalid.
 * Synchronous: an expression outside the fast path's shapes needs the engine loaded first
 * (`await prepareExpressions([source])`); without it this throws a plain Error saying so.
 */
export function compileExpression(
  source: string,
  options: CompileOptions = {},
): CompiledExpression {
  if (source.length > EXPRESSION_LIMITS.maxChars) {
    throw new ExpressionError(
      `the expression is ${source.length} characters; the limit is ${EXPRESSION_LIMITS.maxChars}`,
    );
  }
  // The fast path's shapes: JSONata built (and loaded) only the first time a value makes the
  // fast path decline.
  const withoutEngine = fastPathWithoutEngine(source, options);
  if (withoutEngine) return lazilyBuilt(source, withoutEngine);
  const engine = loadedExpressionEngine();
  if (!engine) {
    throw new Error(
      `the expression engine is not loaded: await prepareExpressions() before compiling ${JSON.stringify(source.slice(0, 60))}`,
    );
  }
  const built = buildWithJsonata(engine, source);
  // The shapes rules mostly use (a literal, a path, comparisons, and/or, a condition, an
  // object of paths) run as plain closures; any other shape, or a value they do not
  // handle as JSONata would, is evaluated by JSONata (expression-fast-path.ts).
  const fast =
    options.fastPath === false ? undefined : compileFastPath(built.ast, FAST_PATH_BOUNDS);
  return {
    source,
    async evaluate(input: unknown): Promise<unknown> {
      if (fast) {
        const result = fast(input);
        if (result !== DECLINED) return plainResult(result);
      }
      return plainResult(await built.evaluate(input));
    },
  };
}

/** An expression of the fast path's shapes; JSONata loaded and built on its first decline. */
function lazilyBuilt(source: string, fast: FastExpression): CompiledExpression {
  let built: ReturnType<typeof buildWithJsonata> | undefined;
  return {
    source,
    async evaluate(input: unknown): Promise<unknown> {
      const result = fast(input);
      if (result !== DECLINED) return plainResult(result);
      built ??= buildWithJsonata(await loadExpressionEngine(), source);
      return plainResult(await built.evaluate(input));
    },
  };
}

/** JSONata's expression with the bounds above, its regexes checked. */
function buildWithJsonata(
  engine: ExpressionEngine,
  source: string,
): { ast: AstNode; evaluate(input: unknown): Promise<unknown> } {
  let expr: jsonata.Expression;
  try {
    expr = engine.jsonata(source, {
      timeout: EXPRESSION_LIMITS.timeoutMs,
      stack: EXPRESSION_LIMITS.maxDepth,
      sequence: EXPRESSION_LIMITS.maxSequence,
      RegexEngine: engine.Re2Engine,
    } as unknown as Parameters<typeof jsonata>[1]);
  } catch (error) {
    throw toExpressionError(error);
  }
  const ast = expr.ast() as AstNode;
  checkRegexes(engine, ast);
  expr.assign("eval", refuseEval);
  expr.registerFunction("pad", boundedPad, "<x-ns?:s>");
  expr.assign(Symbol.for("jsonata.__evaluate_entry") as unknown as string, countStep);
  expr.assign(Symbol.for("jsonata.__evaluate_exit") as unknown as string, checkStep);
  return {
    ast,
    async evaluate(input: unknown): Promise<unknown> {
      try {
        return await expr.evaluate(input);
      } catch (error) {
        throw toExpressionError(error);
      }
    },
  };
}

/**
 * Plain JSON out (jsonata's results can carry sequence flags and functions), its size
 * checked on the way.
 */
function plainResult(result: unknown): unknown {
  if (result === undefined || typeof result === "function") return undefined;
  if (typeof result !== "object" || result === null) {
    if (typeof result === "string" && result.length > EXPRESSION_LIMITS.maxResultBytes) {
      throw new ExpressionError(
        `the result is ${result.length} characters; the limit is ${EXPRESSION_LIMITS.maxResultBytes} bytes`,
      );
    }
    return typeof result === "number" && !Number.isFinite(result) ? undefined : result;
  }
  const text = JSON.stringify(result) ?? "null";
  const size = Buffer.byteLength(text);
  if (size > EXPRESSION_LIMITS.maxResultBytes) {
    throw new ExpressionError(
      `the result is ${size} bytes serialized; the limit is ${EXPRESSION_LIMITS.maxResultBytes}`,
    );
  }
  return JSON.parse(text) as unknown;
}

/** A creation-time error as one line: `S0202 at 12: Expected ")", got "]"`. */
export function describeExpressionError(error: ExpressionError): string {
  const where = error.position !== undefined ? ` at character ${error.position}` : "";
  const code = error.code ? `${error.code}${where}: ` : where ? `${where.trim()}: ` : "";
  return `${code}${error.message}`;
}

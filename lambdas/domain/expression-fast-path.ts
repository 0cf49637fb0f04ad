/**
 * The shapes of JSONata that rules mostly use, compiled once into plain closures: literals,
 * paths of field names (`data.amount`), comparisons (`= != < <= > >=`), `and`/`or`,
 * arithmetic, string concatenation (`&`), conditions (`a ? b : c`), object constructors
 * with literal keys (`{"order": id, "total": data.amount}`), parentheses, and the functions
 * `$not`, `$exists`, `$type`. JSONata's own evaluator is asynchronous per step (a frame, a
 * promise and the step-counting hooks each time): on the process function's hot path that
 * was most of a rule's cost.
 *
 * Same results, same bounds, by construction:
 * - an expression with anything else (predicates, arrays, variables, lambdas, other
 *   functions, regexes...) gets no fast path: `compileFastPath` answers undefined and JSONata
 *   evaluates it, as before;
 * - at run time the closures handle only values whose JSONata semantics are the plain
 *   JavaScript ones (objects without arrays on a path, primitives of the types an operator
 *   accepts); any other value (an array on a path, an operand JSONata would refuse with an
 *   error, a string above the bound the step hook enforces, a non-finite number) makes the
 *   evaluation answer DECLINED, and the caller runs JSONata itself on the same input, which
 *   then gives its own result or error;
 * - the work is bounded by the expression's size (each node runs at most once, nothing
 *   loops), far below EXPRESSION_LIMITS.maxSteps; the depth is capped at compile time.
 *
 * test/unit/lambdas/domain/expression-fast-path.test.ts checks the equivalence against JSONata on
 * generated expressions and inputs (fast-check).
 */

/** The closure met a value it does not handle the way JSONata would: evaluate with JSONata. */
export const DECLINED: unique symbol = Symbol("declined");

export type FastExpression = (input: unknown) => unknown;

interface Node {
  type?: unknown;
  value?: unknown;
  [key: string]: unknown;
}

/** Far below JSONata's stack bound (EXPRESSION_LIMITS.maxDepth, 200). */
const MAX_DEPTH = 40;

export interface FastPathBounds {
  /** Longest string any step may produce (JSONata's exit hook refuses longer ones). */
  maxStringChars: number;
}

/** Keys each node type may carry; any other (predicate, group, stages, keepArray...) declines. */
const ALLOWED_KEYS: Record<string, ReadonlySet<string>> = {
  string: new Set(["type", "value", "position"]),
  number: new Set(["type", "value", "position"]),
  value: new Set(["type", "value", "position"]),
  name: new Set(["type", "value", "position"]),
  path: new Set(["type", "steps"]),
  binary: new Set(["type", "value", "position", "lhs", "rhs"]),
  condition: new Set(["type", "position", "condition", "then", "else"]),
  unary: new Set(["type", "value", "position", "lhs", "expression"]),
  block: new Set(["type", "position", "expressions"]),
  function: new Set(["type", "name", "value", "position", "arguments", "procedure"]),
};

const hasOnly = (node: Node, allowed: ReadonlySet<string>) =>
  Object.keys(node).every((k) => allowed.has(k));

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** JSONata's effective boolean value, for the values the closures handle (no arrays). */
function truthy(v: unknown): boolean | typeof DECLINED {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case "boolean":
      return v;
    case "string":
      return v.length > 0;
    case "number":
      return v !== 0;
    case "object":
      return Array.isArray(v) ? DECLINED : Object.keys(v).length > 0;
    default:
      return DECLINED;
  }
}

/** Compiles `ast` (jsonata's `expr.ast()`), or answers undefined when it is not a handled shape. */
export function compileFastPath(ast: unknown, bounds: FastPathBounds): FastExpression | undefined {
  const compiled = compileNode(ast, 0, bounds);
  return compiled ? (input) => (isPlainObject(input) ? compiled(input) : DECLINED) : undefined;
}

type Closure = (input: Record<string, unknown>) => unknown;

function compileNode(raw: unknown, depth: number, bounds: FastPathBounds): Closure | undefined {
  if (depth > MAX_DEPTH || !isPlainObject(raw)) return undefined;
  const node = raw as Node;
  const type = typeof node.type === "string" ? node.type : "";
  const allowed = ALLOWED_KEYS[type];
  if (!allowed || !hasOnly(node, allowed)) return undefined;
  const sub = (n: unknown) => compileNode(n, depth + 1, bounds);
  switch (type) {
    case "string":
    case "number":
    case "value": {
      const value = node.value;
      if (typeof value === "string" && value.length > bounds.maxStringChars) return undefined;
      return () => value;
    }
    case "path":
      return compilePath(node, bounds);
    case "block": {
      const expressions = node.expressions;
      if (!Array.isArray(expressions) || expressions.length !== 1) return undefined;
      return sub(expressions[0]);
    }
    case "condition": {
      const condition = sub(node.condition);
      const then = sub(node.then);
      const otherwise = node.else === undefined ? () => undefined : sub(node.else);
      if (!condition || !then || !otherwise) return undefined;
      return (input) => {
        const c = condition(input);
        if (c === DECLINED) return DECLINED;
        const t = truthy(c);
        if (t === DECLINED) return DECLINED;
        return t ? then(input) : otherwise(input);
      };
    }
    case "binary":
      return compileBinary(node, sub, bounds);
    case "unary":
      return compileUnary(node, sub);
    case "function":
      return compileFunction(node, sub);
    default:
      return undefined;
  }
}

function compilePath(node: Node, bounds: FastPathBounds): Closure | undefined {
  const steps = node.steps;
  if (!Array.isArray(steps) || steps.length === 0) return undefined;
  const names: string[] = [];
  for (const step of steps) {
    if (!isPlainObject(step) || step.type !== "name" || typeof step.value !== "string") {
      return undefined;
    }
    if (!hasOnly(step as Node, ALLOWED_KEYS.name as ReadonlySet<string>)) return undefined;
    names.push(step.value);
  }
  return (input) => {
    let current: unknown = input;
    for (const name of names) {
      // JSONata maps a path over arrays (and flattens): not handled here.
      if (Array.isArray(current)) return DECLINED;
      if (typeof current !== "object" || current === null) return undefined;
      if (!Object.hasOwn(current, name)) return undefined;
      current = (current as Record<string, unknown>)[name];
      if (current === undefined) return undefined;
      if (typeof current === "string" && current.length > bounds.maxStringChars) return DECLINED;
    }
    if (Array.isArray(current) || typeof current === "function") return DECLINED;
    return current;
  };
}

const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "%": (a, b) => a % b,
};

const COMPARISON: Record<string, (a: number | string, b: number | string) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
};

const isPrimitive = (v: unknown) =>
  v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";

function compileBinary(
  node: Node,
  sub: (n: unknown) => Closure | undefined,
  bounds: FastPathBounds,
): Closure | undefined {
  const op = node.value;
  if (typeof op !== "string") return undefined;
  const lhs = sub(node.lhs);
  const rhs = sub(node.rhs);
  if (!lhs || !rhs) return undefined;
  if (op === "and" || op === "or") {
    return (input) => {
      const l = lhs(input);
      if (l === DECLINED) return DECLINED;
      const lb = truthy(l);
      if (lb === DECLINED) return DECLINED;
      if (op === "and" ? !lb : lb) return lb;
      const r = rhs(input);
      if (r === DECLINED) return DECLINED;
      return truthy(r);
    };
  }
  const both = (input: Record<string, unknown>): [unknown, unknown] | typeof DECLINED => {
    const l = lhs(input);
    if (l === DECLINED) return DECLINED;
    const r = rhs(input);
    if (r === DECLINED) return DECLINED;
    return [l, r];
  };
  if (op === "=" || op === "!=") {
    return (input) => {
      const v = both(input);
      if (v === DECLINED) return DECLINED;
      const [l, r] = v;
      if (l === undefined || r === undefined) return false;
      // Objects compare deeply in JSONata: left to it.
      if (!isPrimitive(l) || !isPrimitive(r)) return DECLINED;
      return op === "=" ? l === r : l !== r;
    };
  }
  const compare = COMPARISON[op];
  if (compare) {
    return (input) => {
      const v = both(input);
      if (v === DECLINED) return DECLINED;
      const [l, r] = v;
      const comparable = (x: unknown) =>
        x === undefined || typeof x === "string" || (typeof x === "number" && Number.isFinite(x));
      // Not comparable, or of different types: JSONata throws (T2009, T2010).
      if (!comparable(l) || !comparable(r)) return DECLINED;
      if (l === undefined || r === undefined) return undefined;
      if (typeof l !== typeof r) return DECLINED;
      return compare(l as number | string, r as number | string);
    };
  }
  const arithmetic = ARITHMETIC[op];
  if (arithmetic) {
    return (input) => {
      const v = both(input);
      if (v === DECLINED) return DECLINED;
      const [l, r] = v;
      const numeric = (x: unknown) =>
        x === undefined || (typeof x === "number" && Number.isFinite(x));
      // A non-number operand is an error in JSONata (T2001, T2002).
      if (!numeric(l) || !numeric(r)) return DECLINED;
      if (l === undefined || r === undefined) return undefined;
      const result = arithmetic(l as number, r as number);
      // JSONata refuses a non-finite result (D1001) where it is next used: left to it.
      return Number.isFinite(result) ? result : DECLINED;
    };
  }
  if (op === "&") {
    return (input) => {
      const v = both(input);
      if (v === DECLINED) return DECLINED;
      const [l, r] = v;
      // Other types go through JSONata's $string (number formatting, JSON): left to it.
      if (
        (l !== undefined && typeof l !== "string") ||
        (r !== undefined && typeof r !== "string")
      ) {
        return DECLINED;
      }
      const result = (l ?? "") + (r ?? "");
      return result.length > bounds.maxStringChars ? DECLINED : result;
    };
  }
  return undefined;
}

function compileUnary(node: Node, sub: (n: unknown) => Closure | undefined): Closure | undefined {
  if (node.value === "-") {
    if (node.lhs !== undefined) return undefined;
    const operand = sub(node.expression);
    if (!operand) return undefined;
    return (input) => {
      const v = operand(input);
      if (v === DECLINED || v === undefined) return v;
      return typeof v === "number" && Number.isFinite(v) ? -v : DECLINED;
    };
  }
  if (node.value === "{") {
    if (node.expression !== undefined || !Array.isArray(node.lhs)) return undefined;
    const pairs: Array<[string, Closure]> = [];
    const keys = new Set<string>();
    for (const pair of node.lhs) {
      if (!Array.isArray(pair) || pair.length !== 2) return undefined;
      const [key, value] = pair as [unknown, unknown];
      // Literal string keys only: computed keys group the input in JSONata.
      if (!isPlainObject(key) || key.type !== "string" || typeof key.value !== "string") {
        return undefined;
      }
      if (!hasOnly(key as Node, ALLOWED_KEYS.string as ReadonlySet<string>)) return undefined;
      // A repeated key is an error in JSONata (D1009); its reserved keys one too (D1013).
      if (
        keys.has(key.value) ||
        key.value === "_jsonata_lambda" ||
        key.value === "_jsonata_function"
      ) {
        return undefined;
      }
      keys.add(key.value);
      const compiled = sub(value);
      if (!compiled) return undefined;
      pairs.push([key.value, compiled]);
    }
    return (input) => {
      const result: Record<string, unknown> = Object.create(null);
      for (const [key, value] of pairs) {
        const v = value(input);
        if (v === DECLINED) return DECLINED;
        if (v !== undefined) result[key] = v;
      }
      return result;
    };
  }
  return undefined;
}

const FUNCTIONS: Record<string, (v: unknown) => unknown> = {
  not: (v) => {
    if (v === undefined) return undefined;
    const t = truthy(v);
    return t === DECLINED ? DECLINED : !t;
  },
  exists: (v) => v !== undefined,
  type: (v) => {
    if (v === undefined) return undefined;
    if (v === null) return "null";
    if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return typeof v;
    return isPlainObject(v) ? "object" : DECLINED;
  },
};

function compileFunction(
  node: Node,
  sub: (n: unknown) => Closure | undefined,
): Closure | undefined {
  const procedure = node.procedure;
  if (
    node.value !== "(" ||
    !isPlainObject(procedure) ||
    procedure.type !== "variable" ||
    typeof procedure.value !== "string" ||
    !hasOnly(procedure as Node, ALLOWED_KEYS.name as ReadonlySet<string>)
  ) {
    return undefined;
  }
  const fn = Object.hasOwn(FUNCTIONS, procedure.value) ? FUNCTIONS[procedure.value] : undefined;
  // Exactly one argument: with none, JSONata passes the context.
  const args = node.arguments;
  if (!fn || !Array.isArray(args) || args.length !== 1) return undefined;
  const arg = sub(args[0]);
  if (!arg) return undefined;
  return (input) => {
    const v = arg(input);
    return v === DECLINED ? DECLINED : fn(v);
  };
}

/**
 * JSONata's parser for the shapes the fast path runs (expression-fast-path.ts): literals,
 * paths of field names, `= != < <= > >= + - * / % & and or`, `? :`, unary minus, object
 * constructors, parentheses and `$name(...)` calls, producing the syntax tree JSONata's own
 * parser produces (`jsonata(source).ast()`, positions left out: the fast path does not read
 * them). It lets the process and rules functions run a tenant's expressions of those shapes
 * without loading the expression engine (issue 20, cold start: expression-engine-loader.ts).
 *
 * It mirrors JSONata 2.2's tokenizer, binding powers and AST post-processing for that
 * subset, and answers undefined for anything else or anything it is unsure of (comments,
 * escapes in strings, regexes, arrays, predicates, variables other than a called function,
 * `;`, `..`, `:=`, `~>`, `??`, `?:`, `in`, ...): the caller then loads JSONata, as before.
 * Answering undefined is always safe; answering a tree is only allowed when JSONata would
 * parse the source to the same tree. test/unit/lambdas/domain/expression-subset-parser.test.ts
 * checks that on generated expressions and on random token sequences.
 */

interface Token {
  kind: "operator" | "name" | "variable" | "string" | "number" | "value" | "end";
  value: unknown;
}

/** JSONata's single-character operators: they also end a name. */
const STOP_CHARS = new Set([...".[]{}(),@#;:?+-*/%|=<>^&!~"]);
const WHITESPACE = new Set([..." \t\n\r\v"]);
const DOUBLE = ["..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"];
const NUMBER = /^(0|([1-9][0-9]*))(\.[0-9]+)?([Ee][-+]?[0-9]+)?/;

class Unsupported extends Error {}

const unsupported = (): never => {
  throw new Unsupported();
};

function tokenize(source: string): Token[] {
  // Comments may sit anywhere, also where a regex would be lexed: not handled.
  if (source.includes("/*")) unsupported();
  const tokens: Token[] = [];
  let i = 0;
  for (;;) {
    while (i < source.length && WHITESPACE.has(source.charAt(i))) i++;
    if (i >= source.length) break;
    const c = source.charAt(i);
    const two = source.slice(i, i + 2);
    if (DOUBLE.includes(two)) {
      tokens.push({ kind: "operator", value: two });
      i += 2;
      continue;
    }
    if (STOP_CHARS.has(c)) {
      tokens.push({ kind: "operator", value: c });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = source.indexOf(c, i + 1);
      const text = end === -1 ? "" : source.slice(i + 1, end);
      // Escapes are JSONata's own (\uXXXX, ...): not handled.
      if (end === -1 || text.includes("\\")) unsupported();
      tokens.push({ kind: "string", value: text });
      i = end + 1;
      continue;
    }
    const number = NUMBER.exec(source.slice(i));
    if (number) {
      const value = Number.parseFloat(number[0]);
      if (!Number.isFinite(value)) unsupported();
      tokens.push({ kind: "number", value });
      i += number[0].length;
      continue;
    }
    if (c === "`") {
      const end = source.indexOf("`", i + 1);
      if (end === -1) unsupported();
      tokens.push({ kind: "name", value: source.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    let j = i;
    while (
      j < source.length &&
      !WHITESPACE.has(source.charAt(j)) &&
      !STOP_CHARS.has(source.charAt(j))
    )
      j++;
    const word = source.slice(i, j);
    i = j;
    if (word.startsWith("$")) tokens.push({ kind: "variable", value: word.slice(1) });
    else if (word === "and" || word === "or" || word === "in")
      tokens.push({ kind: "operator", value: word });
    else if (word === "true" || word === "false" || word === "null")
      tokens.push({ kind: "value", value: word === "null" ? null : word === "true" });
    else tokens.push({ kind: "name", value: word });
  }
  tokens.push({ kind: "end", value: undefined });
  return tokens;
}

/** Binding powers of the infix operators handled (JSONata's `operators` table). */
const INFIX: Record<string, number> = {
  ".": 75,
  "(": 80,
  "*": 60,
  "/": 60,
  "%": 60,
  "+": 50,
  "-": 50,
  "&": 50,
  "=": 40,
  "!=": 40,
  "<": 40,
  "<=": 40,
  ">": 40,
  ">=": 40,
  and: 30,
  or: 25,
  "?": 20,
};

/** Tokens that end an expression (binding power 0 in JSONata); callers expect one. */
const CLOSERS = new Set([")", "}", ",", ":"]);

type Tree = Record<string, unknown>;

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  private get next(): Token {
    return this.tokens[this.at] as Token;
  }

  private isOperator(value: string): boolean {
    return this.next.kind === "operator" && this.next.value === value;
  }

  private expect(value: string): void {
    if (!this.isOperator(value)) unsupported();
    this.at++;
  }

  parse(): Tree {
    const tree = this.expression(0);
    if (this.next.kind !== "end") unsupported();
    return tree;
  }

  private expression(rbp: number): Tree {
    let left = this.nud();
    for (;;) {
      const t = this.next;
      if (t.kind !== "operator") return left; // an operand next: JSONata stops (and fails)
      const op = t.value as string;
      const bp = INFIX[op];
      if (bp === undefined) {
        if (CLOSERS.has(op)) return left;
        return unsupported();
      }
      if (rbp >= bp) return left;
      this.at++;
      left = this.led(op, bp, left);
    }
  }

  private nud(): Tree {
    const t = this.next;
    this.at++;
    switch (t.kind) {
      case "string":
      case "number":
      case "value":
        return { type: t.kind, value: t.value };
      case "name":
        return { type: "name", value: t.value };
      case "variable":
        // Only as the function of a call (checked there); elsewhere the fast path declines.
        return { type: "variable", value: t.value };
      case "operator":
        break;
      default:
        return unsupported();
    }
    switch (t.value) {
      case "-":
        return { type: "unary", value: "-", expression: this.expression(70) };
      case "(": {
        const expressions: Tree[] = [];
        if (!this.isOperator(")")) expressions.push(this.expression(0));
        this.expect(")");
        return { type: "block", expressions };
      }
      case "{": {
        const pairs: Array<[Tree, Tree]> = [];
        if (!this.isOperator("}")) {
          for (;;) {
            const key = this.expression(0);
            this.expect(":");
            pairs.push([key, this.expression(0)]);
            if (!this.isOperator(",")) break;
            this.at++;
          }
        }
        this.expect("}");
        return { type: "unary", value: "{", lhs: pairs };
      }
      default:
        return unsupported();
    }
  }

  private led(op: string, bp: number, left: Tree): Tree {
    if (op === "(") {
      if (left.type !== "variable") unsupported();
      const args: Tree[] = [];
      if (!this.isOperator(")")) {
        for (;;) {
          if (this.isOperator("?")) unsupported(); // a partial application
          args.push(this.expression(0));
          if (!this.isOperator(",")) break;
          this.at++;
        }
      }
      this.expect(")");
      return { type: "function", value: "(", arguments: args, procedure: left };
    }
    if (op === "?") {
      const branches: Tree = { type: "condition", condition: left };
      // biome-ignore lint/suspicious/noThenProperty: JSONata's condition node names its branch so
      branches.then = this.expression(0);
      if (this.isOperator(":")) {
        this.at++;
        branches.else = this.expression(0);
      }
      return branches;
    }
    return { type: "binary", value: op, lhs: left, rhs: this.expression(bp) };
  }
}

/** JSONata's processAST, for the node types the parser above builds. */
function processTree(tree: Tree): Tree {
  switch (tree.type) {
    case "binary": {
      const lhs = processTree(tree.lhs as Tree);
      const rhs = processTree(tree.rhs as Tree);
      if (tree.value !== ".") return { type: "binary", value: tree.value, lhs, rhs };
      const path = lhs.type === "path" ? lhs : { type: "path", steps: [lhs] };
      const steps = path.steps as Tree[];
      if (rhs.type === "path") steps.push(...(rhs.steps as Tree[]));
      else steps.push(rhs);
      // A number or value step is an error in JSONata (S0213); a string step is a name.
      if (steps.some((s) => s.type === "number" || s.type === "value")) unsupported();
      for (const s of steps) if (s.type === "string") s.type = "name";
      return path;
    }
    case "unary": {
      if (tree.value === "{") {
        const pairs = (tree.lhs as Array<[Tree, Tree]>).map(([k, v]) => [
          processTree(k),
          processTree(v),
        ]);
        return { type: "unary", value: "{", lhs: pairs };
      }
      const expression = processTree(tree.expression as Tree);
      if (expression.type === "number") {
        return { type: "number", value: -(expression.value as number) };
      }
      return { type: "unary", value: "-", expression };
    }
    case "function":
      return {
        type: "function",
        value: "(",
        arguments: (tree.arguments as Tree[]).map(processTree),
        procedure: tree.procedure,
      };
    case "condition": {
      const result: Tree = { type: "condition", condition: processTree(tree.condition as Tree) };
      // biome-ignore lint/suspicious/noThenProperty: JSONata's condition node names its branch so
      result.then = processTree(tree.then as Tree);
      if (tree.else !== undefined) result.else = processTree(tree.else as Tree);
      return result;
    }
    case "block":
      return { type: "block", expressions: (tree.expressions as Tree[]).map(processTree) };
    case "name":
      return { type: "path", steps: [tree] };
    default:
      return tree;
  }
}

/**
 * JSONata's syntax tree of `source` (without positions) when it is of the handled shapes;
 * undefined for anything else.
 */
export function parseSubset(source: string): unknown {
  try {
    return processTree(new Parser(tokenize(source)).parse());
  } catch (error) {
    if (error instanceof Unsupported || error instanceof RangeError) return undefined;
    throw error;
  }
}

/**
 * Tenant rules: an ordered list of (name, match, actions), run on every event after
 * validation and before storage (use-cases/process-event.ts).
 *
 * - match: an EventBridge event pattern (domain/event-pattern.ts) against the event as the
 *   API returns it: id, type, source, subject, time, receivedAt, data and the enrichment
 *   earlier rules set;
 * - condition (optional): a JSONata expression on the same event, for what a pattern cannot
 *   say (a field's JSON type, one field against another); the rule applies when the pattern
 *   matches and the condition's result is `true`;
 * - actions, in order:
 *   reject  {"type": "reject", "message": "..."}: the event is stored `failed`, kind
 *           `business_rule`, with the message; nothing after it runs; never retried;
 *   enrich  {"type": "enrich", "set": {"field": "<JSONata>"}}: each expression's result
 *           becomes `enrichment.<field>` (an undefined result sets nothing);
 *   route   {"type": "route", "destinations": ["dst_..."], "transform"?: "<JSONata>"}: after
 *           the event is stored, one delivery per destination, its body the transform's
 *           result (the event itself without one).
 *
 * A ruleset is versioned: every change is a new version, and a stored event records the
 * version that applied (`rulesVersion`). A tenant that never saved rules has version 0, the
 * built-in DEFAULT_RULES: the seeds' checks, in this same language, which the tenant sees
 * (GET /v1/rules), changes (PUT) and turns off (PUT with no rules, or `enabled: false`).
 *
 * An expression that fails at run time (a type error, a bound) does not fail the event:
 * its field is not set (or its route not taken), the error is listed on the outcome and
 * counted (METRIC.ruleErrors, alarmed). A retry would fail the same way, and a tenant's
 * broken enrichment should not lose their events.
 */
import type { StoredEvent } from "./event.js";
import {
  type CompiledEventPattern,
  compileEventPattern,
  EventPatternError,
  matchesEventPattern,
} from "./event-pattern.js";
import {
  type CompiledExpression,
  compileExpression,
  describeExpressionError,
  ExpressionError,
  prepareExpressions,
} from "./expressions.js";
import type { FieldError } from "./json.js";
import {
  RULE_LIMITS,
  type Rule,
  type Ruleset,
  type RulesInput,
  rulesInputSchema,
} from "./rule-schemas.js";

// The input schemas and limits live in rule-schemas.ts (the OpenAPI document uses them
// without bundling the expression engine); re-exported for this module's users.
export {
  RULE_LIMITS,
  RULE_NAME_PATTERN,
  type Rule,
  type RuleAction,
  type Ruleset,
  type RulesetSource,
  type RulesInput,
  ruleActionSchema,
  ruleSchema,
  rulesInputSchema,
} from "./rule-schemas.js";

/**
 * The seeds' checks (once hard-coded for purchase, user_signup and page_view) as rules:
 * the default every tenant starts with. Patterns select; a JSON type check, which a pattern
 * cannot spell, is a condition (`$not(... = "number")` is also true for a missing field).
 */
export const DEFAULT_RULES: readonly Rule[] = [
  {
    name: "purchase-amount-is-number",
    description: "A purchase carries its amount as a number.",
    match: { type: ["purchase"] },
    condition: '$not($type(data.amount) = "number")',
    actions: [{ type: "reject", message: "purchase: data.amount must be a number" }],
  },
  {
    name: "purchase-amount-positive",
    description: "A purchase's amount is greater than 0.",
    match: { type: ["purchase"], data: { amount: [{ numeric: ["<=", 0] }] } },
    actions: [{ type: "reject", message: "purchase: data.amount must be greater than 0" }],
  },
  {
    name: "purchase-category",
    description: "Purchases above 1000 are high_value, the others standard.",
    match: { type: ["purchase"] },
    actions: [
      {
        type: "enrich",
        set: { category: "data.amount > 1000 ? 'high_value' : 'standard'" },
      },
    ],
  },
  {
    name: "user-signup-needs-subject",
    description: "A signup names its user in subject.",
    match: { type: ["user_signup"], subject: [{ exists: false }, ""] },
    actions: [{ type: "reject", message: "user_signup: subject (the user id) is required" }],
  },
  {
    name: "page-view-needs-url",
    description: "A page view carries its url as a string.",
    match: { type: ["page_view"] },
    condition: '$not($type(data.url) = "string")',
    actions: [{ type: "reject", message: "page_view: data.url must be a string" }],
  },
];

export const DEFAULT_RULESET: Ruleset = {
  version: 0,
  source: "default",
  rules: [...DEFAULT_RULES],
};

// ---- compilation ----------------------------------------------------------------------

type CompiledAction =
  | { type: "reject"; message: string }
  | { type: "enrich"; set: Array<{ field: string; expression: CompiledExpression }> }
  | { type: "route"; destinations: string[]; transform?: CompiledExpression };

interface CompiledRule {
  name: string;
  pattern: CompiledEventPattern;
  /**
   * The event types the pattern can match, when it names them as exact strings
   * (`"type": ["purchase"]`): other events skip the rule without matching the pattern.
   */
  types?: ReadonlySet<string>;
  condition?: CompiledExpression;
  actions: CompiledAction[];
}

export interface CompiledRuleset {
  version: number;
  rules: CompiledRule[];
}

export class RulesetError extends Error {
  override name = "RulesetError";
  constructor(readonly details: FieldError[]) {
    super(`${details.length} rule field${details.length === 1 ? " is" : "s are"} invalid`);
  }
}

/**
 * Validates a ruleset's input (zod, then each pattern and expression) and compiles it.
 * Throws RulesetError listing every problem, each with its path (`rules[2].match.data`,
 * `rules[0].actions[1].set.category`) and, for expressions, the code and position.
 */
export function parseRules(raw: unknown): RulesInput {
  const parsed = rulesInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RulesetError(
      parsed.error.issues.slice(0, 10).map((issue) => ({
        path: pathOf(issue.path),
        message:
          issue.code === "unrecognized_keys"
            ? `unknown field(s): ${issue.keys.join(", ")}`
            : issue.message,
      })),
    );
  }
  const size = Buffer.byteLength(JSON.stringify(parsed.data.rules));
  if (size > RULE_LIMITS.maxRulesetBytes) {
    throw new RulesetError([
      { path: "rules", message: `is ${size} bytes; the limit is ${RULE_LIMITS.maxRulesetBytes}` },
    ]);
  }
  const names = new Set<string>();
  const duplicates: FieldError[] = [];
  parsed.data.rules.forEach((rule, i) => {
    if (names.has(rule.name)) {
      duplicates.push({ path: `rules[${i}].name`, message: `"${rule.name}" is used twice` });
    }
    names.add(rule.name);
  });
  if (duplicates.length > 0) throw new RulesetError(duplicates);
  compileRuleset({ version: 0, source: "tenant", rules: parsed.data.rules });
  return parsed.data;
}

/**
 * Loads the expression engine when a ruleset's expressions need it (expressions.ts
 * prepareExpressions: not for the fast path's shapes, the default rules' included); call
 * it before parseRules or compileRuleset. `rules` may be unvalidated input: every string
 * where an enabled rule carries an expression (condition, an enrich action's set values, a
 * route's transform) counts.
 */
export async function prepareRules(rules: unknown): Promise<void> {
  await prepareExpressions(expressionSourcesOf(rules));
}

function* expressionSourcesOf(rules: unknown): Generator<string> {
  if (!Array.isArray(rules)) return;
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null;
  for (const rule of rules) {
    // A disabled rule is not compiled (compileRuleset).
    if (!isObject(rule) || rule.enabled === false) continue;
    if (typeof rule.condition === "string") yield rule.condition;
    if (!Array.isArray(rule.actions)) continue;
    for (const action of rule.actions) {
      if (!isObject(action)) continue;
      if (typeof action.transform === "string") yield action.transform;
      if (isObject(action.set)) {
        for (const v of Object.values(action.set)) if (typeof v === "string") yield v;
      }
    }
  }
}

/** A zod issue's path as the API writes paths: `rules[2].match`. */
export const pathOf = (segments: readonly PropertyKey[]): string =>
  segments.reduce<string>(
    (p, s) => (typeof s === "number" ? `${p}[${s}]` : p ? `${p}.${String(s)}` : String(s)),
    "",
  );

export function compileRuleset(ruleset: Ruleset): CompiledRuleset {
  const errors: FieldError[] = [];
  const rules: CompiledRule[] = [];
  ruleset.rules.forEach((rule, i) => {
    if (rule.enabled === false) return;
    const at = `rules[${i}]`;
    let pattern: CompiledEventPattern | undefined;
    try {
      pattern = compileEventPattern(rule.match);
    } catch (error) {
      if (!(error instanceof EventPatternError)) throw error;
      errors.push({
        path: error.path ? `${at}.match.${error.path}` : `${at}.match`,
        message: error.reason,
      });
    }
    const expression = (source: string, path: string): CompiledExpression | undefined => {
      try {
        return compileExpression(source);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        errors.push({ path, message: describeExpressionError(error) });
        return undefined;
      }
    };
    const condition =
      rule.condition !== undefined ? expression(rule.condition, `${at}.condition`) : undefined;
    const actions: CompiledAction[] = [];
    rule.actions.forEach((action, j) => {
      const ap = `${at}.actions[${j}]`;
      switch (action.type) {
        case "reject":
          actions.push(action);
          break;
        case "enrich": {
          const set: Array<{ field: string; expression: CompiledExpression }> = [];
          for (const [field, source] of Object.entries(action.set)) {
            const compiled = expression(source, `${ap}.set.${field}`);
            if (compiled) set.push({ field, expression: compiled });
          }
          actions.push({ type: "enrich", set });
          break;
        }
        case "route": {
          const transform =
            action.transform !== undefined
              ? expression(action.transform, `${ap}.transform`)
              : undefined;
          actions.push({
            type: "route",
            destinations: action.destinations,
            ...(transform ? { transform } : {}),
          });
          break;
        }
      }
    });
    if (pattern) {
      const types = exactTypes(rule.match);
      rules.push({
        name: rule.name,
        pattern,
        actions,
        ...(types ? { types } : {}),
        ...(condition ? { condition } : {}),
      });
    }
  });
  if (errors.length > 0) throw new RulesetError(errors.slice(0, 10));
  return { version: ruleset.version, rules };
}

/** A pattern's `type` values when they are all exact strings (EventBridge: one must equal). */
function exactTypes(match: Record<string, unknown>): ReadonlySet<string> | undefined {
  const values = match.type;
  if (!Array.isArray(values) || values.length === 0) return undefined;
  return values.every((v) => typeof v === "string") ? new Set(values as string[]) : undefined;
}

// ---- evaluation -------------------------------------------------------------------------

/** The event as rules see it: the API's shape, before the outcome fields exist. */
export type RuleInput = Pick<
  StoredEvent,
  "id" | "type" | "source" | "subject" | "time" | "data" | "receivedAt"
> & { enrichment?: Record<string, unknown> };

export interface RouteDecision {
  rule: string;
  destinationId: string;
  /** The transform's result; absent: the destination receives the event itself. */
  payload?: unknown;
}

export interface RuleError {
  rule: string;
  /** Where in the rule: `actions[0].set.category`, `actions[1].transform`. */
  at: string;
  message: string;
}

export interface RulesOutcome {
  version: number;
  /** Names of the rules whose pattern matched, in order (up to a reject). */
  matched: string[];
  rejected?: { rule: string; message: string };
  /** Fields set by enrich actions (empty when none matched). */
  enrichment: Record<string, unknown>;
  routes: RouteDecision[];
  errors: RuleError[];
}

/** Runs the rules in order on one event. Never throws for a rule's own failure. */
export async function applyRules(
  ruleset: CompiledRuleset,
  event: RuleInput,
  budgetMs: number = RULE_LIMITS.maxEventEvaluationMs,
): Promise<RulesOutcome> {
  const outcome: RulesOutcome = {
    version: ruleset.version,
    matched: [],
    enrichment: {},
    routes: [],
    errors: [],
  };
  // The event as rules see it, built once: an enrich action's result is set on its
  // `enrichment` in place (expressions and patterns only read it, one at a time, and every
  // expression result is a fresh copy).
  const view: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(event)) if (value !== undefined) view[k] = value;
  const enrichment: Record<string, unknown> = { ...event.enrichment };
  if (Object.keys(enrichment).length > 0) view.enrichment = enrichment;
  else delete view.enrichment;
  const started = performance.now();
  /** Evaluates an expression within the event's budget; records a failure and answers undefined. */
  const evaluate = async (
    expression: CompiledExpression,
    rule: string,
    at: string,
  ): Promise<{ ok: true; value: unknown } | { ok: false }> => {
    if (performance.now() - started > budgetMs) {
      outcome.errors.push({
        rule,
        at,
        message: `skipped: this event's rules took more than ${budgetMs} ms`,
      });
      return { ok: false };
    }
    try {
      return { ok: true, value: await expression.evaluate(view) };
    } catch (error) {
      outcome.errors.push(ruleError(rule, at, error));
      return { ok: false };
    }
  };
  for (const rule of ruleset.rules) {
    if (rule.types && !rule.types.has(event.type)) continue;
    if (!matchesEventPattern(rule.pattern, view)) continue;
    if (rule.condition) {
      const r = await evaluate(rule.condition, rule.name, "condition");
      if (!r.ok || r.value !== true) continue;
    }
    outcome.matched.push(rule.name);
    for (const [j, action] of rule.actions.entries()) {
      if (action.type === "reject") {
        outcome.rejected = { rule: rule.name, message: action.message };
        return outcome;
      }
      if (action.type === "enrich") {
        for (const { field, expression } of action.set) {
          const r = await evaluate(expression, rule.name, `actions[${j}].set.${field}`);
          if (r.ok && r.value !== undefined) {
            outcome.enrichment[field] = r.value;
            enrichment[field] = r.value;
            view.enrichment = enrichment;
          }
        }
        continue;
      }
      let payload: unknown;
      if (action.transform) {
        const r = await evaluate(action.transform, rule.name, `actions[${j}].transform`);
        if (!r.ok) continue;
        payload = r.value;
      }
      for (const destinationId of action.destinations) {
        outcome.routes.push({
          rule: rule.name,
          destinationId,
          ...(payload !== undefined ? { payload } : {}),
        });
      }
    }
  }
  return outcome;
}

function ruleError(rule: string, at: string, error: unknown): RuleError {
  const message =
    error instanceof ExpressionError
      ? describeExpressionError(error)
      : error instanceof Error
        ? error.message
        : String(error);
  return { rule, at, message: message.slice(0, 300) };
}

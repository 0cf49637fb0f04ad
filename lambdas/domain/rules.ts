/**
 * Business rules per event type. Pure: the same event always gets the same verdict, which
 * is why a violation is permanent (recorded as failed at once, never retried).
 */
import type { AcceptedEvent } from "./event.js";

export type RuleVerdict = { ok: true } | { ok: false; reason: string };

const OK: RuleVerdict = { ok: true };
const violation = (reason: string): RuleVerdict => ({ ok: false, reason });

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

type Rule = (event: AcceptedEvent) => RuleVerdict;

const RULES: Record<string, Rule> = {
  purchase: ({ data }) => {
    const amount = data.amount;
    if (typeof amount !== "number" || !Number.isFinite(amount)) {
      return violation("purchase: data.amount must be a number");
    }
    return amount > 0 ? OK : violation("purchase: data.amount must be greater than 0");
  },
  user_signup: ({ subject }) =>
    typeof subject === "string" && subject.length > 0
      ? OK
      : violation("user_signup: subject (the user id) is required"),
  page_view: ({ data }) =>
    typeof data.url === "string" ? OK : violation("page_view: data.url must be a string"),
};

export function checkBusinessRules(event: AcceptedEvent): RuleVerdict {
  // The queue schema already requires an object; checked again so the rule holds on its own.
  if (!isPlainObject(event.data)) return violation("data must be a JSON object");
  const rule = Object.hasOwn(RULES, event.type) ? RULES[event.type] : undefined;
  return rule ? rule(event) : OK;
}

/**
 * Complex event patterns (sequence, absence, threshold) evaluated as PURE functions of the
 * set of pattern contributions stored for a key, like windows (windowing.ts): each match is
 * a deterministic function of that set, identified by its contributing event ids, so a
 * sweep that runs twice, or a second sweeper, finds the same matches with the same ids.
 *
 * Semantics (all on event time; order by time, then event id):
 * - sequence: every on-time event matching step 1 starts a candidate; each next step takes
 *   the EARLIEST later event of the same key that matches it and its conditions, within
 *   `within` of the first. Complete chains are matches. Settled (final) once the last
 *   event's time + allowed lateness has passed: no earlier candidate can still arrive.
 * - absence: an event matching step 1 with no event matching step 2 (and its conditions)
 *   for the same key in (t, t + within]. Settled at t + within + allowed lateness.
 * - threshold: a match at each event e where exactly `count` matching events of the key
 *   lie in the trailing window (e.t - within, e.t] (e.g. the 5th failed payment within 5
 *   minutes); a burst above the count fires once, and again only when the trailing count
 *   is back at exactly `count` at some event. Settled at e.t + allowed lateness.
 * An event stored more than the allowed lateness after its event time is late: it takes
 * part in no match (counted apart). State expires when it can no longer take part in a
 * match: t + within + allowed lateness (the store's TTL).
 */
import * as z from "zod";
import {
  DAY_MS,
  durationField,
  eventTimeMs,
  FIELD_PATH_PATTERN,
  fieldPath,
  ms,
  valueAt,
} from "./windowing.js";

const conditionSchema = z
  .object({
    path: fieldPath,
    op: z.enum(["=", "!=", "<", "<=", ">", ">="]),
    /** Compare with a field of an earlier step's event... */
    ref: z
      .object({ step: z.number().int().min(0).max(9), path: fieldPath })
      .strict()
      .optional(),
    /** ...or with a constant. */
    value: z.union([z.string(), z.number(), z.boolean()]).optional(),
  })
  .strict()
  .refine((c) => (c.ref === undefined) !== (c.value === undefined), {
    message: "needs exactly one of ref or value",
  });

const stepSchema = z
  .object({
    match: z.record(z.string(), z.unknown()),
    where: z.array(conditionSchema).max(10).default([]),
  })
  .strict();

export const patternSchema = z
  .object({
    kind: z.enum(["sequence", "absence", "threshold"]),
    /** The key events are correlated by: a field path (default the subject). */
    key: fieldPath.default("subject"),
    within: durationField(1000, 7 * DAY_MS, "from 1s to 7d"),
    steps: z.array(stepSchema).min(1).max(5),
    /** threshold only: matches needed within `within`. */
    count: z.number().int().min(2).max(10_000).optional(),
    allowedLateness: durationField(0, DAY_MS, "from 0s to 1d").default("0s"),
    description: z.string().max(500).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const need = { sequence: [2, 5], absence: [2, 2], threshold: [1, 1] } as const;
    const [min, max] = need[p.kind];
    if (p.steps.length < min || p.steps.length > max) {
      ctx.addIssue({
        code: "custom",
        path: ["steps"],
        message: `a ${p.kind} pattern has ${min === max ? min : `${min} to ${max}`} step(s)`,
      });
    }
    if ((p.kind === "threshold") !== (p.count !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["count"],
        message: "count is required for threshold patterns and only for them",
      });
    }
    p.steps.forEach((s, i) => {
      s.where.forEach((c, j) => {
        if (c.ref && c.ref.step >= i) {
          ctx.addIssue({
            code: "custom",
            path: ["steps", i, "where", j, "ref", "step"],
            message: "must name an earlier step",
          });
        }
      });
    });
  });

export type PatternInput = z.input<typeof patternSchema>;
export type PatternSpec = z.output<typeof patternSchema>;
export type Condition = PatternSpec["steps"][number]["where"][number];

/** What one event gives a pattern: stored once per (pattern version, event id). */
export interface PatternContribution {
  eventId: string;
  key: string;
  t: number;
  storedAt: number;
  /** Indexes of the steps whose match the event satisfies. */
  steps: number[];
  /** The values of every field a condition names (by path). */
  fields: Record<string, unknown>;
}

/** Paths whose values conditions need (both sides). */
export function conditionPaths(spec: PatternSpec): string[] {
  const paths = new Set<string>();
  for (const s of spec.steps) {
    for (const c of s.where) {
      paths.add(c.path);
      if (c.ref) paths.add(c.ref.path);
    }
  }
  return [...paths].filter((p) => FIELD_PATH_PATTERN.test(p));
}

/** The key of an event, or undefined when it has none (such events take part in nothing). */
export function keyOf(spec: PatternSpec, event: unknown): string | undefined {
  const v = valueAt(event, spec.key);
  if (v === undefined || v === null) return undefined;
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function patternContributionOf(
  spec: PatternSpec,
  event: { id: string; time?: string; receivedAt: string },
  steps: number[],
  storedAt: number,
): PatternContribution | undefined {
  const key = keyOf(spec, event);
  if (key === undefined || steps.length === 0) return undefined;
  const fields: Record<string, unknown> = {};
  for (const p of conditionPaths(spec)) {
    const v = valueAt(event, p);
    if (v !== undefined) fields[p] = v;
  }
  return { eventId: event.id, key, t: eventTimeMs(event), storedAt, steps, fields };
}

export interface PatternMatch {
  key: string;
  /** Contributing events, in step order (threshold: time order). */
  eventIds: string[];
  /** Event time of the first and last contributing event (absence: the deadline). */
  first: number;
  last: number;
  /** When the match is final: nothing that can still arrive on time can change it. */
  settleAt: number;
}

/** Event time span to read to find every match settling in (after, upTo]. */
export function patternReadRange(
  spec: PatternSpec,
  after: number,
  upTo: number,
): { from: number; to: number } {
  const within = ms(spec.within);
  const lateness = ms(spec.allowedLateness);
  return { from: after - lateness - within * 2, to: upTo - lateness };
}

const order = (a: PatternContribution, b: PatternContribution): number =>
  a.t - b.t || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

function compare(left: unknown, op: Condition["op"], right: unknown): boolean {
  if (left === undefined || right === undefined) return false;
  if (op === "=") return JSON.stringify(left) === JSON.stringify(right);
  if (op === "!=") return JSON.stringify(left) !== JSON.stringify(right);
  const bothNumbers = typeof left === "number" && typeof right === "number";
  const bothStrings = typeof left === "string" && typeof right === "string";
  if (!bothNumbers && !bothStrings) return false;
  const l = left as number | string;
  const r = right as number | string;
  switch (op) {
    case "<":
      return l < r;
    case "<=":
      return l <= r;
    case ">":
      return l > r;
    case ">=":
      return l >= r;
  }
}

function holds(
  spec: PatternSpec,
  step: number,
  c: PatternContribution,
  chosen: readonly PatternContribution[],
): boolean {
  if (!c.steps.includes(step)) return false;
  for (const cond of spec.steps[step]?.where ?? []) {
    const right = cond.ref ? chosen[cond.ref.step]?.fields[cond.ref.path] : cond.value;
    if (!compare(c.fields[cond.path], cond.op, right)) return false;
  }
  return true;
}

/** Every match the contributions give (all keys). Order of the input does not matter. */
export function evaluatePattern(
  spec: PatternSpec,
  contributions: readonly PatternContribution[],
): { matches: PatternMatch[]; late: number } {
  const lateness = ms(spec.allowedLateness);
  const within = ms(spec.within);
  const byKey = new Map<string, PatternContribution[]>();
  let late = 0;
  for (const c of contributions) {
    if (c.storedAt > c.t + lateness) {
      late++;
      continue;
    }
    let list = byKey.get(c.key);
    if (!list) {
      list = [];
      byKey.set(c.key, list);
    }
    list.push(c);
  }
  const matches: PatternMatch[] = [];
  for (const [key, list] of byKey) {
    list.sort(order);
    if (spec.kind === "sequence") {
      for (let i = 0; i < list.length; i++) {
        const first = list[i] as PatternContribution;
        if (!holds(spec, 0, first, [])) continue;
        const chosen = [first];
        let at = i;
        for (let step = 1; step < spec.steps.length; step++) {
          let found = -1;
          for (let j = at + 1; j < list.length; j++) {
            const c = list[j] as PatternContribution;
            if (c.t > first.t + within) break;
            if (holds(spec, step, c, chosen)) {
              found = j;
              break;
            }
          }
          if (found < 0) break;
          chosen.push(list[found] as PatternContribution);
          at = found;
        }
        if (chosen.length === spec.steps.length) {
          const last = chosen[chosen.length - 1] as PatternContribution;
          matches.push({
            key,
            eventIds: chosen.map((c) => c.eventId),
            first: first.t,
            last: last.t,
            settleAt: last.t + lateness,
          });
        }
      }
    } else if (spec.kind === "absence") {
      for (let i = 0; i < list.length; i++) {
        const first = list[i] as PatternContribution;
        if (!holds(spec, 0, first, [])) continue;
        let followed = false;
        for (let j = i + 1; j < list.length; j++) {
          const c = list[j] as PatternContribution;
          if (c.t > first.t + within) break;
          if (holds(spec, 1, c, [first])) {
            followed = true;
            break;
          }
        }
        if (!followed) {
          matches.push({
            key,
            eventIds: [first.eventId],
            first: first.t,
            last: first.t + within,
            settleAt: first.t + within + lateness,
          });
        }
      }
    } else {
      const n = spec.count ?? 2;
      const hits = list.filter((c) => holds(spec, 0, c, []));
      let start = 0;
      for (let i = 0; i < hits.length; i++) {
        const e = hits[i] as PatternContribution;
        while ((hits[start] as PatternContribution).t <= e.t - within) start++;
        if (i - start + 1 === n) {
          const members = hits.slice(start, i + 1);
          matches.push({
            key,
            eventIds: members.map((c) => c.eventId),
            first: (members[0] as PatternContribution).t,
            last: e.t,
            settleAt: e.t + lateness,
          });
        }
      }
    }
  }
  matches.sort((a, b) => a.settleAt - b.settleAt || (a.key < b.key ? -1 : 1));
  return { matches, late };
}

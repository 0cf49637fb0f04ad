/**
 * What a tenant's rules may say (zod schemas and limits), apart from rules.ts so that what
 * only describes or parses rules (the OpenAPI document, the query function) does not bundle
 * the expression engine (jsonata, re2js) that compiling and running them needs. The
 * language itself is described in rules.ts.
 */
import * as z from "zod";
import { DESTINATION_ID_PATTERN } from "./delivery.js";

export const RULE_LIMITS = {
  maxRules: 50,
  maxActionsPerRule: 10,
  maxEnrichFields: 20,
  maxDestinationsPerRoute: 10,
  /** A whole ruleset, serialized (the config item must stay far below DynamoDB's 400 KB). */
  maxRulesetBytes: 128 * 1024,
  /**
   * Wall time all expressions of one event may take together; past it the remaining ones
   * are skipped (listed as errors), so 50 rules of slow expressions cannot hold a batch.
   */
  maxEventEvaluationMs: 1000,
} as const;

export const RULE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** Enrichment field names: safe as JSON keys everywhere (no reserved names). */
const FIELD_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const RESERVED_FIELDS = new Set(["__proto__", "constructor", "prototype"]);

const expressionText = z.string().min(1).max(4096);

export const ruleActionSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("reject"), message: z.string().min(1).max(500) }).strict(),
  z
    .object({
      type: z.literal("enrich"),
      set: z
        .record(
          z
            .string()
            .regex(
              FIELD_NAME_PATTERN,
              "field names are 1-64 of A-Z a-z 0-9 _, not starting with a digit",
            )
            .refine((k) => !RESERVED_FIELDS.has(k), "is a reserved name"),
          expressionText,
        )
        .refine((m) => Object.keys(m).length > 0, "sets at least one field")
        .refine(
          (m) => Object.keys(m).length <= RULE_LIMITS.maxEnrichFields,
          `sets at most ${RULE_LIMITS.maxEnrichFields} fields`,
        ),
    })
    .strict(),
  z
    .object({
      type: z.literal("route"),
      destinations: z
        .array(z.string().regex(DESTINATION_ID_PATTERN, "must be a destination id (dst_...)"))
        .min(1)
        .max(RULE_LIMITS.maxDestinationsPerRoute),
      transform: expressionText.optional(),
    })
    .strict(),
]);

export type RuleAction = z.output<typeof ruleActionSchema>;

export const ruleSchema = z
  .object({
    name: z
      .string()
      .regex(RULE_NAME_PATTERN, "must be 1-64 of A-Z a-z 0-9 . _ : - (starting alphanumeric)"),
    description: z.string().max(500).optional(),
    enabled: z.boolean().optional(),
    match: z.record(z.string(), z.unknown()),
    condition: expressionText.optional(),
    actions: z.array(ruleActionSchema).min(1).max(RULE_LIMITS.maxActionsPerRule),
  })
  .strict();

export type Rule = z.output<typeof ruleSchema>;

export const rulesInputSchema = z
  .object({
    rules: z.array(ruleSchema).max(RULE_LIMITS.maxRules),
    /** Optimistic concurrency: the version this change was made from (409 if it moved). */
    expectedVersion: z.number().int().min(0).optional(),
  })
  .strict();

export type RulesInput = z.output<typeof rulesInputSchema>;

/** Where a version came from: the tenant's own rules, or the built-in default set. */
export type RulesetSource = "tenant" | "default";

/** A version of a tenant's rules, as stored and as GET /v1/rules returns it. */
export interface Ruleset {
  version: number;
  source: RulesetSource;
  rules: Rule[];
  /** ISO time of the change (absent for the never-saved default, version 0). */
  updatedAt?: string;
  /** The key id that made the change. */
  updatedBy?: string;
}

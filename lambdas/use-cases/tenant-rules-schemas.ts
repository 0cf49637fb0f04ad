/**
 * The rules API's request and report schemas (POST /v1/rules/test, GET /v1/rules), apart
 * from tenant-rules.ts so that the OpenAPI document (the query function) does not bundle the
 * expression engine (jsonata, re2js) the rules need to run.
 */
import * as z from "zod";
import { EVENT_TYPE_PATTERN, incomingEventSchema } from "../domain/event.js";
import { RULE_LIMITS, ruleSchema } from "../domain/rule-schemas.js";

export const MAX_TEST_EVENTS = 20;

export const testRequestSchema = z
  .object({
    /** One event to try, as POST /v1/events takes it (id optional). */
    event: incomingEventSchema.optional(),
    /** Or the newest stored events of this type... */
    type: z.string().regex(EVENT_TYPE_PATTERN).optional(),
    /** ...this many of them (default 5). */
    last: z.number().int().min(1).max(MAX_TEST_EVENTS).optional(),
    /** A draft ruleset to try instead of the current one (nothing is saved). */
    rules: z.array(ruleSchema).max(RULE_LIMITS.maxRules).optional(),
  })
  .strict()
  .refine((r) => (r.event === undefined) !== (r.type === undefined), {
    message: "give either event or type (with last), not both",
  })
  .refine((r) => r.last === undefined || r.type !== undefined, {
    message: "last goes with type",
    path: ["last"],
  });

export type TestRequest = z.output<typeof testRequestSchema>;

export const ruleTestResultSchema = z.object({
  event: z.object({ id: z.string(), type: z.string() }),
  matched: z.array(z.string()),
  outcome: z.enum(["processed", "rejected"]),
  rejectedBy: z.object({ rule: z.string(), message: z.string() }).optional(),
  enrichment: z.record(z.string(), z.unknown()),
  deliveries: z.array(
    z.object({
      rule: z.string(),
      destinationId: z.string(),
      deliveryId: z.string(),
      body: z.unknown(),
    }),
  ),
  errors: z.array(z.object({ rule: z.string(), at: z.string(), message: z.string() })),
});

export const testReportSchema = z.object({
  /** The version tried; absent for a draft (`rules` in the request). */
  rulesetVersion: z.int().optional(),
  results: z.array(ruleTestResultSchema),
});

export type TestReport = z.output<typeof testReportSchema>;

export const rulesetSchema = z.object({
  version: z.int(),
  source: z.enum(["tenant", "default"]),
  rules: z.array(ruleSchema),
  updatedAt: z.string().optional(),
  updatedBy: z.string().optional(),
});

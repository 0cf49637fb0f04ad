/**
 * History jobs (README "History"): exports, replays from the archive and erasures, as the
 * API takes them and the jobs function runs them. A job is one item of the tenant
 * configuration table (CONFIG_KINDS exportJob/replayJob/erasureJob) and messages on the jobs
 * queue that each run one bounded slice of it.
 */
import * as z from "zod";
import { DESTINATION_ID_PATTERN } from "./delivery.js";
import { EVENT_TYPE_PATTERN } from "./event.js";
import { DECLARATION_NAME_PATTERN } from "./windowing.js";

export type JobKind = "export" | "replay" | "erasure";
export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** RFC 3339 instant, normalized to UTC ms (like stored receivedAt). */
const instant = z.iso
  .datetime({ offset: true, message: "must be an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z" })
  .transform((v) => new Date(v).toISOString());

/** An EventBridge-style event pattern (lambdas/domain/event-pattern.ts), a JSON object. */
const patternSchema = z.record(z.string(), z.unknown());

/** Ranges are bounded so a job lists at most ~10 years of daily partitions. */
const MAX_RANGE_DAYS = 3660;

const range = {
  from: instant,
  to: instant.optional(),
  type: z
    .string()
    .regex(EVENT_TYPE_PATTERN, "must be 1-128 characters of A-Z a-z 0-9 . _ : / -")
    .optional(),
  pattern: patternSchema.optional(),
};

const checkRange = (v: { from: string; to?: string | undefined }, ctx: z.RefinementCtx) => {
  const to = v.to ? Date.parse(v.to) : Date.now();
  if (to <= Date.parse(v.from)) {
    ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
  } else if (to - Date.parse(v.from) > MAX_RANGE_DAYS * 86_400_000) {
    ctx.addIssue({
      code: "custom",
      path: ["to"],
      message: `at most ${MAX_RANGE_DAYS} days after from`,
    });
  }
};

export const exportRequestSchema = z
  .object({ ...range, format: z.enum(["jsonl", "parquet"]).default("jsonl") })
  .strict()
  .superRefine(checkRange);
export type ExportRequest = z.output<typeof exportRequestSchema>;

/**
 * Where a replay sends the archived events: the whole pipeline (the events queue: process,
 * rules, windows, deliveries; the default), one destination (deliveries through the delivery
 * engine, under the same ids a rule's would have), or one aggregation (contributions to its
 * current version, as POST /v1/aggregations/{name}/backfill writes them). `kind` may be left
 * out when `destination` or `aggregation` says it.
 */
export const replayTargetSchema = z
  .object({
    kind: z.enum(["pipeline", "destination", "aggregation"]).optional(),
    destination: z
      .string()
      .regex(DESTINATION_ID_PATTERN, "must be a destination id (dst_ and 26 characters)")
      .optional(),
    aggregation: z
      .string()
      .regex(DECLARATION_NAME_PATTERN, "must be an aggregation name")
      .optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const named = [t.destination && "destination", t.aggregation && "aggregation"].filter(Boolean);
    if (named.length > 1) {
      ctx.addIssue({ code: "custom", message: "give one of destination or aggregation" });
    } else if (t.kind === "pipeline" && named.length > 0) {
      ctx.addIssue({ code: "custom", path: ["kind"], message: `pipeline takes no ${named[0]}` });
    } else if (t.kind && t.kind !== "pipeline" && named[0] !== t.kind) {
      ctx.addIssue({ code: "custom", path: [t.kind], message: `required with kind ${t.kind}` });
    }
  })
  .transform((t): ReplayTarget => {
    if (t.destination) return { kind: "destination", destination: t.destination };
    if (t.aggregation) return { kind: "aggregation", aggregation: t.aggregation };
    return { kind: "pipeline" };
  });

export type ReplayTarget =
  | { kind: "pipeline" }
  | { kind: "destination"; destination: string }
  /** `version`: the aggregation's version when the replay was accepted (fixed for its run). */
  | { kind: "aggregation"; aggregation: string; version?: number };

export const replayRequestSchema = z
  .object({
    ...range,
    target: replayTargetSchema.default({ kind: "pipeline" }),
    /** Events per second (at most the replayMaxRate setting). */
    rate: z.int().min(1).max(10_000).optional(),
  })
  .strict()
  .superRefine(checkRange);
export type ReplayRequest = z.output<typeof replayRequestSchema>;

/** The subject of DELETE /v1/subjects/{subject} (as events carry it: 1-1024 characters). */
export const subjectSchema = z.string().min(1).max(1024);

export interface JobProgress {
  /** Events selected so far (replays: the total once known). */
  selected: number;
  /** Events written (exports), sent (replays) or removed (erasure). */
  done: number;
}

export interface ExportResult {
  key: string;
  format: "jsonl" | "parquet";
  count: number;
  bytes: number;
}

/** Erasure steps, in order; the receipt shows each one's state. */
export const ERASURE_STEPS = [
  "settle",
  "archive",
  "table",
  "deliveries",
  "derived",
  "exports",
] as const;
export type ErasureStep = (typeof ERASURE_STEPS)[number];

export interface ErasureStepState {
  status: "done";
  at: string;
  count?: number;
  /** `derived`: how many derived events and window/pattern contributions (of `count`). */
  events?: number;
  contributions?: number;
}

export interface Job {
  id: string;
  tenant: string;
  kind: JobKind;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  progress: JobProgress;
  /** The request as accepted (exports, replays) or the subject (erasure). */
  request: Record<string, unknown>;
  /**
   * Replays: where the next slice starts: an index into `days`, how many of that day's events
   * were sent, and the last one sent (receivedAt in epoch ms, id), which decides: a day's
   * list can gain or lose rows between slices (the splitter filing staged rows, a late
   * stream record), so a position in it could skip events.
   */
  cursor?: { day: number; offset: number; after?: { receivedAt: number; id: string } };
  days?: string[];
  cancelRequested?: boolean;
  result?: ExportResult;
  /** Erasure: what each step removed. */
  steps?: Partial<Record<ErasureStep, ErasureStepState>>;
  error?: string;
  /**
   * Exports, replays: why the job waits (the archive's splitter is filing staged files the
   * job must not read itself, README "History"), and since when (it fails after a bound).
   */
  waitingFor?: string;
  waitingSince?: string;
}

/** A message on the jobs queue: run (the next slice of) this job. */
export interface JobMessage {
  tenant: string;
  kind: JobKind;
  id: string;
}

export const isFinished = (status: JobStatus) =>
  status === "succeeded" || status === "failed" || status === "cancelled";

/** A job as the API returns it (no internal cursor). */
export function jobView(job: Job): Record<string, unknown> {
  const { cursor: _c, days: _d, tenant: _t, ...rest } = job;
  return rest;
}

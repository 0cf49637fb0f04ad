/**
 * History jobs (README "History"): exports, replays from the archive and erasures, as the
 * API takes them and the jobs function runs them. A job is one item of the tenant
 * configuration table (CONFIG_KINDS exportJob/replayJob/erasureJob) and messages on the jobs
 * queue that each run one bounded slice of it.
 */
import { z } from "zod";
import { EVENT_TYPE_PATTERN } from "./event.js";

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

export const replayRequestSchema = z
  .object({
    ...range,
    /**
     * `pipeline`: the events go through the events queue again (process, rules). Replaying to
     * one destination is left out until delivery's replay port exists (README "History").
     */
    target: z
      .object({ kind: z.literal("pipeline") })
      .strict()
      .default({ kind: "pipeline" }),
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
export const ERASURE_STEPS = ["settle", "archive", "table", "exports"] as const;
export type ErasureStep = (typeof ERASURE_STEPS)[number];

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
  /** Replays: where the next slice starts (index into `days`, offset in that day). */
  cursor?: { day: number; offset: number };
  days?: string[];
  cancelRequested?: boolean;
  result?: ExportResult;
  /** Erasure: what each step removed. */
  steps?: Partial<Record<ErasureStep, { status: "done"; at: string; count?: number }>>;
  error?: string;
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

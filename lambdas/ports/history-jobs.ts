/** Where history jobs are kept and how their slices are scheduled. */
import type { Job, JobKind, JobMessage } from "../domain/history-jobs.js";

export interface JobStore {
  put(job: Job): Promise<void>;
  get(tenant: string, kind: JobKind, id: string): Promise<Job | undefined>;
  /** A tenant's jobs of one kind, newest first (at most `limit`). */
  list(tenant: string, kind: JobKind, limit: number): Promise<Job[]>;
  /** Sets cancelRequested (the job stops at its next slice). */
  requestCancel(tenant: string, kind: JobKind, id: string): Promise<void>;
}

export interface JobQueue {
  /** Runs the job's next slice after `delaySeconds` (SQS allows up to 900). */
  send(message: JobMessage, delaySeconds?: number): Promise<void>;
}

/** Removes events from the events table by id (erasure). */
export interface EventEraser {
  deleteEvents(tenant: string, ids: readonly string[]): Promise<number>;
}

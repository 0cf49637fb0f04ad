/**
 * History jobs (README "History"): the API side (accept an export, replay or erasure, show
 * it, cancel a replay) and the jobs function's side (run one bounded slice of a job, then
 * queue the next). Everything reads the archive, never the table: history outlives
 * eventRetentionDays, and the archive is what erasure must clean.
 */
import { createHash } from "node:crypto";
import { ARCHIVE, partitionPrefix, tenantPrefix } from "../../lib/contracts/archive.js";
import {
  type ArchivedEvent,
  type ArchiveRow,
  dayOfKey,
  type StagedRow,
  storedEventOf,
} from "../domain/archive.js";
import { DERIVED_TYPES, isDerivedType } from "../domain/derived-events.js";
import type { QueuedEvent } from "../domain/event.js";
import {
  type CompiledEventPattern,
  compileEventPattern,
  matchesEventPattern,
} from "../domain/event-pattern.js";
import {
  type ExportRequest,
  isFinished,
  type Job,
  type JobKind,
  type JobMessage,
  type ReplayRequest,
  type ReplayTarget,
} from "../domain/history-jobs.js";
import { eventTimeMs } from "../domain/windowing.js";
import type { ArchiveStore, ParquetEncoder } from "../ports/archive.js";
import type { DeliveryEraser } from "../ports/delivery-log.js";
import type { DeliveryQueue } from "../ports/delivery-queue.js";
import type { DestinationLookup } from "../ports/destinations.js";
import type { EventQueue } from "../ports/event-store.js";
import type { EventEraser, JobQueue, JobStore } from "../ports/history-jobs.js";
import type {
  AggregationDeclaration,
  ContributionStore,
  DeclarationStore,
} from "../ports/windows.js";
import { enqueueReplay } from "./manage-destinations.js";
import { contributeStored } from "./manage-windows.js";
import {
  archiveDays,
  readArchive,
  readArchiveDay,
  StagedBacklogError,
  type StagedReadPolicy,
} from "./read-archive.js";

export interface JobApiDeps {
  jobs: JobStore;
  queue: JobQueue;
  now: () => Date;
  newId: () => string;
}

/** Accepts a job: stores it queued and schedules its first slice. */
export async function startJob(
  tenant: string,
  kind: JobKind,
  request: Record<string, unknown>,
  deps: JobApiDeps,
): Promise<Job> {
  const at = deps.now().toISOString();
  const job: Job = {
    id: deps.newId(),
    tenant,
    kind,
    status: "queued",
    createdAt: at,
    updatedAt: at,
    progress: { selected: 0, done: 0 },
    request,
  };
  await deps.jobs.put(job);
  await deps.queue.send({ tenant, kind, id: job.id });
  return job;
}

/** The events of a subject the archive holds (GET /v1/subjects/{subject}/export). */
export async function subjectEvents(
  store: ArchiveStore,
  tenant: string,
  subject: string,
  /**
   * archiveStagedReadMaxFiles (absent: no bound). Above it a day's staged files (every
   * tenant's last minutes) are not read: the answer holds what the archive has filed, and
   * `completeThrough` says up to when that is everything (the oldest unfiled staged file).
   */
  stagedReadMaxFiles?: number,
): Promise<{ events: ReturnType<typeof storedEventOf>[]; completeThrough?: string }> {
  const events: ReturnType<typeof storedEventOf>[] = [];
  let oldestUnfiled = Number.POSITIVE_INFINITY;
  const policy =
    stagedReadMaxFiles === undefined
      ? undefined
      : {
          maxFiles: stagedReadMaxFiles,
          unfiled: (b: StagedBacklogError) => {
            oldestUnfiled = Math.min(oldestUnfiled, b.oldestAt);
          },
        };
  for await (const day of readArchive(store, tenant, { subject }, policy)) {
    events.push(...day.map(storedEventOf));
  }
  return Number.isFinite(oldestUnfiled)
    ? { events, completeThrough: new Date(oldestUnfiled).toISOString() }
    : { events };
}

export interface JobRunDeps {
  jobs: JobStore;
  queue: JobQueue;
  store: ArchiveStore;
  eraser: EventEraser;
  /** Replays to the pipeline send here: the events queue, as ingest does. */
  events: EventQueue;
  /** Replays to one destination: the delivery engine's queue, and the destination's state. */
  deliveries: DeliveryQueue;
  destinations: DestinationLookup;
  /** Replays to one aggregation (and erasure of contributions): the windows' stores. */
  declarations: DeclarationStore;
  contributions: ContributionStore;
  windowRetentionDays: number;
  /** Erasure of the delivery log. */
  deliveryLog: DeliveryEraser;
  encodeParquet: ParquetEncoder;
  now: () => Date;
  replayMaxRate: number;
  erasureSettleSeconds: number;
  /**
   * archiveStagedReadMaxFiles: a day with more staged files is not read from them; exports
   * and replays wait for the splitter (absent: staged files are always read).
   */
  stagedReadMaxFiles?: number;
  /** How long they wait before failing (default 3600 s: stagedWaitSeconds of the defaults). */
  stagedWaitSeconds?: number;
  /** How long one replay slice sends before it queues the next (default 10 s). */
  replaySliceSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
}

export type SliceOutcome = "finished" | "continued" | "missing" | "already_finished";

/** Runs the next slice of a job; throws on a transient failure (the message comes back). */
export async function runJobSlice(message: JobMessage, deps: JobRunDeps): Promise<SliceOutcome> {
  const job = await deps.jobs.get(message.tenant, message.kind, message.id);
  if (!job) return "missing";
  if (isFinished(job.status)) return "already_finished";
  const save = async (changes: Partial<Job>) => {
    Object.assign(job, changes, { updatedAt: deps.now().toISOString() });
    if (changes.status && isFinished(changes.status)) job.completedAt = job.updatedAt;
    await deps.jobs.put(job);
  };
  try {
    switch (job.kind) {
      case "export":
        await runExport(job, deps, save);
        return "finished";
      case "replay":
        return await runReplaySlice(job, deps, save);
      case "erasure":
        return await runErasureSlice(job, deps, save);
    }
  } catch (error) {
    if (error instanceof JobInputError) {
      await save({ status: "failed", error: error.message });
      return "finished";
    }
    if (error instanceof StagedBacklogError) return await waitForSplitter(job, error, deps, save);
    throw error;
  }
}

/** How long a waiting export or replay sleeps on the queue before it looks again. */
export const STAGED_WAIT_DELAY_SECONDS = 60;

/** The staged-file bound of a job's reads: its snapshot is its start. */
function stagedPolicy(job: Job, deps: JobRunDeps): StagedReadPolicy | undefined {
  if (deps.stagedReadMaxFiles === undefined) return undefined;
  return { maxFiles: deps.stagedReadMaxFiles, since: Date.parse(job.createdAt) };
}

/**
 * A day's staged files are too many to read for one tenant and not yet filed up to the job's
 * start: the slice comes back later (progress saved), and the job fails once it has waited
 * longer than the splitter could take (its alarm, ArchiveSplitBehind, is then firing).
 */
async function waitForSplitter(
  job: Job,
  backlog: StagedBacklogError,
  deps: JobRunDeps,
  save: Save,
): Promise<SliceOutcome> {
  const now = deps.now();
  const since = job.waitingSince ?? now.toISOString();
  const limit = deps.stagedWaitSeconds ?? 3600;
  const waited = (now.getTime() - Date.parse(since)) / 1000;
  if (waited >= limit) {
    delete job.waitingFor;
    delete job.waitingSince;
    await save({
      status: "failed",
      error: `waited ${Math.round(waited)} s for the archive's splitter to file the staged files of ${backlog.day} (${backlog.files} left, the oldest from ${new Date(backlog.oldestAt).toISOString()}; the job started ${job.createdAt}): see the ArchiveSplitBehind alarm, then start the job again`,
    });
    return "finished";
  }
  await save({
    status: "running",
    waitingFor: `the archive's splitter: ${backlog.message}; looking again every ${STAGED_WAIT_DELAY_SECONDS} s`,
    waitingSince: since,
  });
  await deps.queue.send(
    { tenant: job.tenant, kind: job.kind, id: job.id },
    STAGED_WAIT_DELAY_SECONDS,
  );
  return "continued";
}

/** A job that waited for the splitter reads again: the note goes (saved with its next change). */
function doneWaiting(job: Job): void {
  delete job.waitingFor;
  delete job.waitingSince;
}

/** A job whose request cannot be run (a bad pattern): it fails, it is not retried. */
export class JobInputError extends Error {
  override name = "JobInputError";
}

function matcherOf(request: {
  pattern?: Record<string, unknown> | undefined;
}): ((event: ArchivedEvent) => boolean) | undefined {
  if (!request.pattern) return undefined;
  let compiled: CompiledEventPattern;
  try {
    compiled = compileEventPattern(request.pattern);
  } catch (error) {
    throw new JobInputError(`pattern: ${(error as Error).message}`);
  }
  // Matched against the event as the API returns it (GET /v1/events/{id}).
  return (row) => matchesEventPattern(compiled, storedEventOf(row));
}

type Save = (changes: Partial<Job>) => Promise<void>;

export const exportKey = (tenant: string, id: string, format: "jsonl" | "parquet") =>
  `${ARCHIVE.exportsPrefix}tenant=${tenant}/${id}.${format}`;

async function runExport(job: Job, deps: JobRunDeps, save: Save): Promise<void> {
  const request = job.request as unknown as ExportRequest;
  await save({ status: "running" });
  const match = matcherOf(request);
  const selection = {
    from: request.from,
    to: request.to ?? deps.now().toISOString(),
    type: request.type,
  };
  const rows: ArchivedEvent[] = [];
  for await (const day of readArchive(deps.store, job.tenant, selection, stagedPolicy(job, deps))) {
    rows.push(...(match ? day.filter(match) : day));
    job.progress.selected = rows.length;
  }
  doneWaiting(job);
  const key = exportKey(job.tenant, job.id, request.format);
  let body: Uint8Array | string;
  if (request.format === "parquet") {
    body = deps.encodeParquet(rows);
  } else {
    body = rows.map((row) => `${JSON.stringify(storedEventOf(row))}\n`).join("");
  }
  await deps.store.putFile(
    key,
    body,
    request.format === "parquet" ? "application/vnd.apache.parquet" : "application/x-ndjson",
  );
  const bytes = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  await save({
    status: "succeeded",
    progress: { selected: rows.length, done: rows.length },
    result: { key, format: request.format, count: rows.length, bytes },
  });
}

/** SendMessageBatch takes 10 messages. */
const SEND_BATCH = 10;

async function runReplaySlice(job: Job, deps: JobRunDeps, save: Save): Promise<SliceOutcome> {
  const request = job.request as unknown as ReplayRequest;
  if (job.cancelRequested) {
    await save({ status: "cancelled" });
    return "finished";
  }
  const match = matcherOf(request);
  const selection = { from: request.from, to: request.to ?? job.createdAt, type: request.type };
  const send = await targetSender(job, request.target ?? { kind: "pipeline" }, deps);
  if (!job.days) {
    await save({
      status: "running",
      days: await archiveDays(deps.store, job.tenant, selection),
      cursor: { day: 0, offset: 0 },
    });
  }
  const days = job.days ?? [];
  const cursor = job.cursor ?? { day: 0, offset: 0 };
  const rate = Math.min(request.rate ?? deps.replayMaxRate, deps.replayMaxRate);
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const budget = rate * (deps.replaySliceSeconds ?? 10);
  const started = Date.now();
  let checkedAt = started;
  let sent = 0;
  while (cursor.day < days.length && sent < budget) {
    const day = days[cursor.day] as string;
    const all = await readArchiveDay(
      deps.store,
      job.tenant,
      day,
      selection,
      stagedPolicy(job, deps),
    );
    doneWaiting(job);
    const events = match ? all.filter(match) : all;
    if (cursor.offset === 0 && !cursor.after) job.progress.selected += events.length;
    // Resume after the last event sent, by its place in the day's order (receivedAt, id),
    // not by position: rows filed or stored between slices would shift a position.
    let next = cursor.after ? indexAfter(events, cursor.after) : cursor.offset;
    while (next < events.length && sent < budget) {
      // A cancel (DELETE /v1/replays/{id}) lands on the stored item: look at most once a second.
      if (Date.now() - checkedAt >= 1000) {
        checkedAt = Date.now();
        if ((await deps.jobs.get(job.tenant, job.kind, job.id))?.cancelRequested) {
          await save({ status: "cancelled", cancelRequested: true, cursor });
          return "finished";
        }
      }
      const chunk = events.slice(next, next + SEND_BATCH);
      // The slice runs again from the saved cursor: what it sends twice meets its own id
      // (a duplicate event, an ended delivery, an existing contribution).
      await send(chunk);
      next += chunk.length;
      cursor.offset += chunk.length;
      const last = chunk[chunk.length - 1] as ArchivedEvent;
      cursor.after = { receivedAt: Number(last.received_at), id: last.id };
      sent += chunk.length;
      job.progress.done += chunk.length;
      // Pace: `sent` events should take sent/rate seconds.
      const ahead = (sent / rate) * 1000 - (Date.now() - started);
      if (ahead > 0) await sleep(ahead);
    }
    if (next >= events.length) {
      cursor.day++;
      cursor.offset = 0;
      delete cursor.after;
    }
  }
  if (cursor.day >= days.length) {
    await save({ status: "succeeded", cursor });
    return "finished";
  }
  await save({ cursor });
  await deps.queue.send({ tenant: job.tenant, kind: job.kind, id: job.id });
  return "continued";
}

/** The index of the first event after `after` in a day's (receivedAt, id) order. */
function indexAfter(
  events: readonly ArchivedEvent[],
  after: { receivedAt: number; id: string },
): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = events[mid] as ArchivedEvent;
    const at = Number(e.received_at);
    if (at < after.receivedAt || (at === after.receivedAt && e.id <= after.id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type Sender = (rows: ArchivedEvent[]) => Promise<void>;

/**
 * How a replay hands its events to its target; checked at each slice (a destination deleted
 * or disabled, an aggregation removed meanwhile, fails the replay with the reason).
 */
async function targetSender(job: Job, target: ReplayTarget, deps: JobRunDeps): Promise<Sender> {
  switch (target.kind) {
    case "pipeline":
      return async (rows) => {
        const result = await deps.events.enqueue(rows.map((row) => replayMessage(row, job.id)));
        if (result.failed.length > 0) {
          throw new Error(`replay ${job.id}: ${result.failed.length} event(s) not queued`);
        }
      };
    case "destination": {
      const state = await deps.destinations.state(job.tenant, target.destination);
      if (!state) throw new JobInputError(`destination ${target.destination} was deleted`);
      if (!state.enabled) throw new JobInputError(`destination ${target.destination} is disabled`);
      const destination = { id: target.destination, ordered: state.ordered };
      return async (rows) => {
        const { failedEventIds } = await enqueueReplay(
          deps.deliveries,
          job.tenant,
          destination,
          rows.map(storedEventOf),
          { kind: "replay", name: job.id },
        );
        if (failedEventIds.length > 0) {
          throw new Error(`replay ${job.id}: ${failedEventIds.length} delivery(ies) not queued`);
        }
      };
    }
    case "aggregation": {
      const decl = await deps.declarations.get(
        job.tenant,
        "aggregation",
        target.aggregation,
        target.version,
      );
      if (!decl) {
        throw new JobInputError(
          `aggregation ${target.aggregation}${target.version ? ` version ${target.version}` : ""} no longer exists`,
        );
      }
      const aggregation = decl as AggregationDeclaration;
      const compiled = compileEventPattern(aggregation.spec.match);
      return async (rows) => {
        await contributeStored(aggregation, rows.map(storedEventOf), {
          contributions: deps.contributions,
          retentionDays: deps.windowRetentionDays,
          matches: (event) => matchesEventPattern(compiled, event),
        });
      };
    }
  }
}

/** The archived event as the events queue carries it: its own id, a replay id. */
export function replayMessage(row: ArchivedEvent, replayId: string): QueuedEvent {
  const event = storedEventOf(row);
  return {
    v: 1,
    tenantId: row.tenant,
    receivedAt: event.receivedAt,
    correlationId: event.correlationId || replayId,
    event: {
      id: event.id,
      type: event.type,
      ...(event.source ? { source: event.source } : {}),
      ...(event.subject ? { subject: event.subject } : {}),
      ...(event.time ? { time: event.time } : {}),
      data: event.data,
      ...(event.cloudEvent ? { cloudEvent: event.cloudEvent } : {}),
    },
    replayId,
  };
}

async function runErasureSlice(job: Job, deps: JobRunDeps, save: Save): Promise<SliceOutcome> {
  const subject = String(job.request.subject);
  const steps = job.steps ?? {};
  const done = (count?: number) => ({
    status: "done" as const,
    at: deps.now().toISOString(),
    ...(count === undefined ? {} : { count }),
  });
  if (!steps.settle) {
    // Events of the subject still between the table and the archive (the stream's batching
    // window) must have landed before the archive is rewritten.
    const wait = deps.erasureSettleSeconds;
    const elapsed = (deps.now().getTime() - Date.parse(job.createdAt)) / 1000;
    if (elapsed < wait) {
      await save({ status: "running" });
      await deps.queue.send(
        { tenant: job.tenant, kind: job.kind, id: job.id },
        Math.min(900, Math.ceil(wait - elapsed)),
      );
      return "continued";
    }
    steps.settle = done();
    await save({ status: "running", steps });
  }
  const erased = await eraseFromArchive(job.tenant, subject, deps);
  steps.archive = done(erased.rows);
  steps.table = done(erased.events);
  steps.deliveries = done(erased.deliveries);
  steps.derived = {
    ...done(erased.derivedEvents + erased.contributions),
    events: erased.derivedEvents,
    contributions: erased.contributions,
  };
  job.progress = { selected: erased.events, done: erased.events };
  await save({ steps });
  steps.exports = done(await eraseFromExports(job, subject, deps));
  // The receipt outlives the data: it keeps a hash of the subject, not the subject.
  const subjectSha256 = createHash("sha256").update(subject).digest("hex");
  await save({ status: "succeeded", steps, request: { subjectSha256 } });
  return "finished";
}

interface Erased {
  /** Archive rows removed (revisions of the subject's events and of derived ones). */
  rows: number;
  /** Events removed from the table (the subject's and derived events about it). */
  events: number;
  deliveries: number;
  derivedEvents: number;
  contributions: number;
}

/**
 * Whether a derived event is about the subject: a pattern match keyed by it or made of its
 * events, a window of an aggregation grouped by subject whose group is it.
 */
function derivedAbout(row: ArchiveRow, subject: string, ids: ReadonlySet<string>): boolean {
  if (!isDerivedType(row.type)) return false;
  let data: { key?: unknown; eventIds?: unknown; group?: Record<string, unknown> };
  try {
    data = JSON.parse(row.data) as typeof data;
  } catch {
    return false;
  }
  if (row.type === DERIVED_TYPES.patternMatched) {
    return (
      data.key === subject ||
      (Array.isArray(data.eventIds) && data.eventIds.some((id) => ids.has(String(id))))
    );
  }
  return data.group?.subject === subject;
}

/**
 * The subject's events, found in the archive (no index for it: a read of the `id`, `subject`
 * and `type` columns of the tenant's files, Parquet's column projection), and derived events
 * about the subject, leave every place they are kept: the events table, the deliveries log,
 * the windows' and patterns' contributions, then the archive file (rewritten without them).
 * File by file in that order, so a slice retried after a crash finds what a rewritten file
 * no longer shows already gone elsewhere (every delete is idempotent).
 *
 * Both layouts: the staged files (every tenant's rows of a stream batch: only the tenant's
 * rows are looked at, the others' are written back untouched) are rewritten first, and the
 * tenant's `events/` files are listed again afterwards. The splitter deletes a staged file
 * only if it is still there after its by-tenant copies are written, and withdraws them
 * otherwise: copies it made before this erasure rewrote the file are either withdrawn or
 * already written when the second listing runs, so they are found and erased too.
 */
async function eraseFromArchive(tenant: string, subject: string, deps: JobRunDeps) {
  const ids = new Set<string>();
  // Which files may hold the subject's events or derived events about it (id, subject and
  // type columns only); `ids` gathers the subject's event ids for the derived-event rule.
  const scan = async (keys: readonly string[], staged: boolean) => {
    const candidates: string[] = [];
    for (const key of keys) {
      const columns = ["id", "subject", "type", ...(staged ? ["tenant" as const] : [])] as const;
      const rows = await deps.store.readEvents(key, columns);
      let candidate = false;
      for (const row of rows) {
        if (staged && (row as StagedRow).tenant !== tenant) continue;
        if (row.subject === subject) {
          ids.add(row.id);
          candidate = true;
        } else if (isDerivedType(row.type)) candidate = true;
      }
      if (candidate) candidates.push(key);
    }
    return candidates;
  };
  const tenantFiles = async () => {
    const keys: string[] = [];
    for (const partition of await deps.store.listPrefixes(tenantPrefix(tenant))) {
      const day = dayOfKey(partition);
      if (!day) continue;
      for (const file of await deps.store.list(partitionPrefix(tenant, day))) keys.push(file.key);
    }
    return keys;
  };
  const stagedFiles: string[] = [];
  for (const dayPrefix of await deps.store.listPrefixes(ARCHIVE.stagingPrefix)) {
    for (const file of await deps.store.list(dayPrefix)) stagedFiles.push(file.key);
  }
  const stagedCandidates = await scan(stagedFiles, true);
  const firstListing = await tenantFiles();
  const tenantCandidates = await scan(firstListing, false);
  // Every version of every declaration, removed ones too: their contributions may remain.
  const declarations = [
    ...(await deps.declarations.versions(tenant, "aggregation")),
    ...(await deps.declarations.versions(tenant, "pattern")),
  ];
  const total: Erased = { rows: 0, events: 0, deliveries: 0, derivedEvents: 0, contributions: 0 };
  const now = deps.now();
  const counted = new Set<string>();
  const erase = async (key: string, staged: boolean) => {
    const mine = (row: ArchiveRow) => !staged || (row as StagedRow).tenant === tenant;
    const gone = (row: ArchiveRow) =>
      mine(row) && (row.subject === subject || derivedAbout(row, subject, ids));
    // Most candidates only hold derived events about others: decide on four columns first.
    const columns = ["id", "subject", "type", "data", ...(staged ? ["tenant" as const] : [])];
    let about: ArchiveRow[];
    try {
      about = await deps.store.readEvents(key, columns as (keyof StagedRow)[]);
    } catch (error) {
      // A staged file the splitter filed meanwhile: its rows are in the second listing.
      if (staged && !(await deps.store.exists(key))) return;
      throw error;
    }
    if (!about.some(gone)) return;
    const rows = await deps.store.readEvents(key);
    const keep: ArchiveRow[] = [];
    const removed = new Map<string, ArchiveRow>();
    for (const row of rows) {
      if (gone(row)) removed.set(row.id, row);
      else keep.push(row);
    }
    if (removed.size === 0) return;
    const goneIds = [...removed.keys()];
    // The table first: a slice retried after this file's rewrite would not find these ids.
    await deps.eraser.deleteEvents(tenant, goneIds);
    total.deliveries += await deps.deliveryLog.eraseEvents(tenant, goneIds, now);
    const contributing = [...removed.values()]
      .filter((row) => !isDerivedType(row.type))
      .map((row) => ({
        id: row.id,
        t: eventTimeMs({
          ...(row.time ? { time: row.time } : {}),
          receivedAt: new Date(Number(row.received_at)).toISOString(),
        }),
      }));
    if (contributing.length > 0) {
      for (const decl of declarations) {
        total.contributions += await deps.contributions.erase(decl, contributing);
      }
    }
    // An event may have revisions in several files: count it once.
    for (const row of removed.values()) {
      if (counted.has(row.id)) continue;
      counted.add(row.id);
      total.events++;
      if (isDerivedType(row.type)) total.derivedEvents++;
    }
    total.rows += rows.length - keep.length;
    // Rewritten under a new name first, then the old one goes: never a moment without
    // the others' events (in a staged file, other tenants' rows too).
    if (keep.length > 0) {
      await deps.store.writeEvents(key.replace(/\.parquet$/, "-e.parquet"), keep);
    }
    await deps.store.delete([key]);
  };
  for (const key of stagedCandidates) await erase(key, true);
  // Listed again: by-tenant files the splitter wrote from staged files meanwhile.
  const scanned = new Set(firstListing);
  const added = await scan(
    (await tenantFiles()).filter((key) => !scanned.has(key)),
    false,
  );
  for (const key of [...tenantCandidates, ...added]) await erase(key, false);
  return total;
}

/** Deletes the tenant's earlier export files that hold the subject; returns how many. */
async function eraseFromExports(job: Job, subject: string, deps: JobRunDeps): Promise<number> {
  let erased = 0;
  for (const exp of await deps.jobs.list(job.tenant, "export", 1000)) {
    if (!exp.result || exp.createdAt > job.createdAt) continue;
    const bytes = await deps.store.readFile(exp.result.key);
    if (!bytes) continue;
    let holds: boolean;
    if (exp.result.format === "parquet") {
      const rows = await deps.store.readEvents(exp.result.key, ["subject"]);
      holds = rows.some((r) => r.subject === subject);
    } else {
      holds = new TextDecoder()
        .decode(bytes)
        .split("\n")
        .some(
          (line) => line !== "" && (JSON.parse(line) as { subject?: string }).subject === subject,
        );
    }
    if (!holds) continue;
    await deps.store.delete([exp.result.key]);
    exp.error = "erased: the file held an erased subject's events";
    exp.updatedAt = deps.now().toISOString();
    await deps.jobs.put(exp);
    erased++;
  }
  return erased;
}

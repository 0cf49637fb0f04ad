/**
 * Message accounting: what was sent and what the API answered (the ledger), what the
 * query API shows afterwards (observations), and the verdict: lost, duplicated and
 * unexpected events, all of which must be zero.
 */
import type { ExpectedStatus } from "./events.js";

/** The answer for one event of one request. */
export type SendOutcome =
  | { kind: "queued" }
  | { kind: "rejected" }
  | { kind: "failed" }
  /** The whole request got this HTTP status (429, 503, ...). */
  | { kind: "http"; status: number }
  /** No (usable) answer: timeout, connection error, unparsable body. The event may be stored. */
  | { kind: "in_doubt" };

export interface EventRecord {
  type: string;
  expected: ExpectedStatus;
  sends: number;
  queued: number;
  inDoubt: number;
}

export interface LedgerCounts {
  /** Events written (original and duplicate sends). */
  eventsSent: number;
  uniqueSent: number;
  /** Sends answered "queued" (original and duplicate). */
  acceptedSends: number;
  /** Ids answered "queued" at least once: each must be stored exactly once. */
  acceptedUnique: number;
  /** Accepted sends of an id already accepted: the platform must count them as duplicates. */
  acceptedDuplicateSends: number;
  /** Accepted unique ids that must end `failed` (broken business rule). */
  expectedFailures: number;
  rejected: number;
  ingestFailed: number;
  /** Events in requests answered with a non-202 status, by status. */
  httpErrors: Record<string, number>;
  /** Events sent without a usable answer. */
  inDoubt: number;
}

export interface LedgerSnapshot {
  events: [id: string, record: EventRecord][];
  eventsSent: number;
  acceptedSends: number;
  rejected: number;
  ingestFailed: number;
  inDoubt: number;
  httpErrors: [status: number, count: number][];
}

export class Ledger {
  readonly #events = new Map<string, EventRecord>();
  #eventsSent = 0;
  #acceptedSends = 0;
  #rejected = 0;
  #ingestFailed = 0;
  #inDoubt = 0;
  readonly #httpErrors = new Map<number, number>();

  /** Everything recorded, as plain data (a generator's ledger file, core/workers.ts). */
  snapshot(): LedgerSnapshot {
    return {
      events: [...this.#events].map(([id, r]) => [id, { ...r }]),
      eventsSent: this.#eventsSent,
      acceptedSends: this.#acceptedSends,
      rejected: this.#rejected,
      ingestFailed: this.#ingestFailed,
      inDoubt: this.#inDoubt,
      httpErrors: [...this.#httpErrors],
    };
  }

  /**
   * Adds another generator's ledger (disjoint ids: each generator has its own id prefix); an
   * id in both is refused, since the accounting could no longer tell its sends apart.
   */
  absorb(other: LedgerSnapshot): void {
    for (const [id, r] of other.events) {
      if (this.#events.has(id)) throw new Error(`event id ${id} is in two generators' ledgers`);
      this.#events.set(id, { ...r });
    }
    this.#eventsSent += other.eventsSent;
    this.#acceptedSends += other.acceptedSends;
    this.#rejected += other.rejected;
    this.#ingestFailed += other.ingestFailed;
    this.#inDoubt += other.inDoubt;
    for (const [status, n] of other.httpErrors) {
      this.#httpErrors.set(status, (this.#httpErrors.get(status) ?? 0) + n);
    }
  }

  /** Records one send of an event (the first one registers it). */
  sent(id: string, type: string, expected: ExpectedStatus): void {
    this.#eventsSent++;
    const record = this.#events.get(id);
    if (record) record.sends++;
    else this.#events.set(id, { type, expected, sends: 1, queued: 0, inDoubt: 0 });
  }

  outcome(id: string, outcome: SendOutcome): void {
    const record = this.#events.get(id);
    if (!record) throw new Error(`outcome for an event never sent: ${id}`);
    switch (outcome.kind) {
      case "queued":
        record.queued++;
        this.#acceptedSends++;
        break;
      case "rejected":
        this.#rejected++;
        break;
      case "failed":
        this.#ingestFailed++;
        break;
      case "http":
        this.#httpErrors.set(outcome.status, (this.#httpErrors.get(outcome.status) ?? 0) + 1);
        break;
      case "in_doubt":
        record.inDoubt++;
        this.#inDoubt++;
        break;
    }
  }

  get(id: string): Readonly<EventRecord> | undefined {
    return this.#events.get(id);
  }

  isAccepted(id: string): boolean {
    return (this.#events.get(id)?.queued ?? 0) > 0;
  }

  /** Ids answered "queued", with what they must end as. */
  *accepted(): Generator<[id: string, type: string, expected: ExpectedStatus]> {
    for (const [id, r] of this.#events) if (r.queued > 0) yield [id, r.type, r.expected];
  }

  /** Ids sent but never answered "queued": they must not be stored (except in-doubt ones). */
  *notAccepted(): Generator<string> {
    for (const [id, r] of this.#events) if (r.queued === 0) yield id;
  }

  counts(): LedgerCounts {
    let acceptedUnique = 0;
    let expectedFailures = 0;
    for (const r of this.#events.values()) {
      if (r.queued > 0) {
        acceptedUnique++;
        if (r.expected === "failed") expectedFailures++;
      }
    }
    return {
      eventsSent: this.#eventsSent,
      uniqueSent: this.#events.size,
      acceptedSends: this.#acceptedSends,
      acceptedUnique,
      acceptedDuplicateSends: this.#acceptedSends - acceptedUnique,
      expectedFailures,
      rejected: this.#rejected,
      ingestFailed: this.#ingestFailed,
      httpErrors: Object.fromEntries([...this.#httpErrors].map(([k, v]) => [String(k), v])),
      inDoubt: this.#inDoubt,
    };
  }

  /** Expected stats deltas per type: unique accepted ids by the status they must end with. */
  expectedByType(): Map<string, { processed: number; failed: number }> {
    const out = new Map<string, { processed: number; failed: number }>();
    for (const r of this.#events.values()) {
      if (r.queued === 0) continue;
      const e = out.get(r.type) ?? { processed: 0, failed: 0 };
      e[r.expected]++;
      out.set(r.type, e);
    }
    return out;
  }
}

/** What the query API shows for one of the run's ids. */
export interface Observation {
  id: string;
  /** Times the id appeared in list results (0 when only fetched by id). */
  listed: number;
  status?: string;
  type?: string;
  failureKind?: string;
  receivedAt?: string;
  processedAt?: string;
  failedAt?: string;
  /** data.sentAt, when the API returned data. */
  sentAt?: number;
}

export interface Finding {
  id: string;
  reason: string;
}

export interface Verdict {
  checked: number;
  processed: number;
  failedAsExpected: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  /** Accepted ids the query API could not be asked about (errors, verification deadline). */
  unverified: number;
  /** In-doubt events (no answer) that were nevertheless stored: informational. */
  inDoubtStored: number;
  /** Up to `sampleSize` examples of each problem. */
  samples: { lost: string[]; duplicated: string[]; unexpected: Finding[] };
}

/**
 * Compares the ledger with the observations. `observations` holds every id of the run
 * that the query API returned (list results or GET by id); ids absent from it were not
 * found, unless they are in `unverified` (the API could not be asked).
 */
export function classify(
  ledger: Ledger,
  observations: ReadonlyMap<string, Observation>,
  unverified: ReadonlySet<string> = new Set(),
  sampleSize = 20,
): Verdict {
  const v: Verdict = {
    checked: 0,
    processed: 0,
    failedAsExpected: 0,
    lost: 0,
    duplicated: 0,
    unexpected: 0,
    unverified: 0,
    inDoubtStored: 0,
    samples: { lost: [], duplicated: [], unexpected: [] },
  };
  const unexpected = (id: string, reason: string) => {
    v.unexpected++;
    if (v.samples.unexpected.length < sampleSize) v.samples.unexpected.push({ id, reason });
  };
  for (const [id, type, expected] of ledger.accepted()) {
    v.checked++;
    const o = observations.get(id);
    if (!o && unverified.has(id)) {
      v.unverified++;
      continue;
    }
    if (!o) {
      v.lost++;
      if (v.samples.lost.length < sampleSize) v.samples.lost.push(id);
      continue;
    }
    if (o.listed > 1) {
      v.duplicated++;
      if (v.samples.duplicated.length < sampleSize) v.samples.duplicated.push(id);
    }
    if (o.type !== undefined && o.type !== type) {
      unexpected(id, `stored with type ${o.type}, sent as ${type}`);
    } else if (o.status !== expected) {
      unexpected(id, `status ${o.status ?? "(none)"}, expected ${expected}`);
    } else if (expected === "failed" && o.failureKind && o.failureKind !== "business_rule") {
      unexpected(id, `failed with kind ${o.failureKind}, expected business_rule`);
    } else if (expected === "failed") {
      v.failedAsExpected++;
    } else {
      v.processed++;
    }
  }
  for (const [id, o] of observations) {
    if (ledger.isAccepted(id)) continue;
    const record = ledger.get(id);
    if (record && record.inDoubt > 0) v.inDoubtStored++;
    else unexpected(id, record ? "stored but never accepted" : "stored but never sent");
    if (o.listed > 1) {
      v.duplicated++;
      if (v.samples.duplicated.length < sampleSize) v.samples.duplicated.push(id);
    }
  }
  return v;
}

/** /v1/stats counters of one type. */
export interface TypeCounters {
  processed: number;
  failed: number;
  duplicate: number;
}

export type StatsSnapshot = ReadonlyMap<string, TypeCounters>;

export interface StatsCheck {
  types: {
    type: string;
    processedDelta: number;
    failedDelta: number;
    duplicateDelta: number;
    expectedProcessed: number;
    expectedFailed: number;
  }[];
  storedDelta: number;
  expectedStored: number;
  /** Stored counts above the expectation: events counted twice (or foreign traffic). */
  excess: number;
  /** Stored counts below the expectation (still processing, or lost). */
  shortfall: number;
  duplicateDelta: number;
  expectedDuplicates: number;
}

/**
 * Compares /v1/stats before and after the run for the mix's types. Other traffic to the
 * same types during the run shows up as excess, so run against an otherwise idle API.
 * `extraStored` counts in-doubt events that were found stored.
 */
export function checkStats(
  before: StatsSnapshot,
  after: StatsSnapshot,
  types: readonly string[],
  ledger: Ledger,
  extraStored = 0,
): StatsCheck {
  const expected = ledger.expectedByType();
  const zero: TypeCounters = { processed: 0, failed: 0, duplicate: 0 };
  const rows = types.map((type) => {
    const b = before.get(type) ?? zero;
    const a = after.get(type) ?? zero;
    const e = expected.get(type) ?? { processed: 0, failed: 0 };
    return {
      type,
      processedDelta: a.processed - b.processed,
      failedDelta: a.failed - b.failed,
      duplicateDelta: a.duplicate - b.duplicate,
      expectedProcessed: e.processed,
      expectedFailed: e.failed,
    };
  });
  const storedDelta = rows.reduce((s, r) => s + r.processedDelta + r.failedDelta, 0);
  const counts = ledger.counts();
  const expectedStored = counts.acceptedUnique + extraStored;
  return {
    types: rows,
    storedDelta,
    expectedStored,
    excess: Math.max(0, storedDelta - expectedStored),
    shortfall: Math.max(0, expectedStored - storedDelta),
    duplicateDelta: rows.reduce((s, r) => s + r.duplicateDelta, 0),
    expectedDuplicates: counts.acceptedDuplicateSends,
  };
}

/** Reads a /v1/stats body; unknown shapes give an empty snapshot. */
export function parseStats(body: unknown): Map<string, TypeCounters> {
  const out = new Map<string, TypeCounters>();
  const types = (body as { types?: unknown } | null)?.types;
  if (!Array.isArray(types)) return out;
  for (const t of types as Record<string, unknown>[]) {
    if (typeof t?.type !== "string") continue;
    const n = (k: string) => (typeof t[k] === "number" ? (t[k] as number) : 0);
    out.set(t.type, { processed: n("processed"), failed: n("failed"), duplicate: n("duplicate") });
  }
  return out;
}

/** Extracts an observation from a stored event as the query API returns it. */
export function observe(item: unknown): Observation | undefined {
  if (!item || typeof item !== "object") return undefined;
  const r = item as Record<string, unknown>;
  if (typeof r.id !== "string") return undefined;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const data = r.data as Record<string, unknown> | undefined;
  const failure = r.failure as Record<string, unknown> | undefined;
  const o: Observation = { id: r.id, listed: 0 };
  const assign = <K extends keyof Observation>(k: K, v: Observation[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  assign("status", str(r.status));
  assign("type", str(r.type));
  assign("failureKind", str(failure?.kind));
  assign("receivedAt", str(r.receivedAt));
  assign("processedAt", str(r.processedAt));
  assign("failedAt", str(r.failedAt));
  assign("sentAt", typeof data?.sentAt === "number" ? data.sentAt : undefined);
  return o;
}

/** Merges a later observation of the same id (a GET after a list page) into an earlier one. */
export function mergeObservation(into: Observation, from: Observation): Observation {
  const { listed: _ignored, id: _id, ...rest } = from;
  for (const [k, v] of Object.entries(rest)) {
    if (v !== undefined) (into as unknown as Record<string, unknown>)[k] = v;
  }
  return into;
}

export interface EndToEndSample {
  /** Start of the latency (epoch ms): data.sentAt, or receivedAt when data is not returned. */
  startMs: number;
  latencyMs: number;
}

/**
 * End-to-end latency of each stored event of the run: (processedAt or failedAt) minus
 * data.sentAt. When the API does not return data, receivedAt is the start instead (the
 * basis says which); either way it spans two clocks when the API is remote.
 */
export function endToEnd(observations: Iterable<Observation>): {
  basis: "sentAt" | "receivedAt" | "mixed" | "none";
  samples: EndToEndSample[];
} {
  const samples: EndToEndSample[] = [];
  let fromSent = 0;
  let fromReceived = 0;
  for (const o of observations) {
    const end = Date.parse(o.processedAt ?? o.failedAt ?? "");
    if (Number.isNaN(end)) continue;
    let start = o.sentAt;
    if (start === undefined) {
      const received = Date.parse(o.receivedAt ?? "");
      if (Number.isNaN(received)) continue;
      start = received;
      fromReceived++;
    } else {
      fromSent++;
    }
    samples.push({ startMs: start, latencyMs: end - start });
  }
  const basis =
    fromSent && fromReceived ? "mixed" : fromSent ? "sentAt" : fromReceived ? "receivedAt" : "none";
  return { basis, samples };
}

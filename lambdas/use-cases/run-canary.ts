/**
 * The synthetic canary: one marked event sent through the public API, as a producer
 * would send it (gateway, authorizer, ingest, queue, process, table), then read back by
 * id until it is processed or the deadline passes. A run always ends in an outcome and
 * never throws: a failure is a metric (CanarySuccess 0) and a log line, which is what
 * the canary alarms watch, not a function error that Lambda would retry.
 *
 * The canary's API key lives in memory only: minted at the first run of an execution
 * environment (and again before it could expire during a run) straight into the keys
 * table, where only its hash is stored, with an expiry and a TTL. No person and no
 * deployment step ever sees it.
 */

import { CANARY } from "../../lib/contracts/canary.js";
import { METRIC } from "../../lib/contracts/observability.js";
import { type ApiKeyRecord, generateApiKey } from "../domain/api-keys.js";
import { canaryEvent } from "../domain/canary.js";
import type { KeyStore } from "../ports/api-keys.js";
import type { CanaryApi, ReadAnswer, SendAnswer, UsageKeySource } from "../ports/canary.js";

export interface CanaryCredential {
  /** The key itself: kept in this object only, never logged or returned. */
  key: string;
  keyId: string;
  expiresAt: Date;
}

export interface KeyringDeps {
  store: Pick<KeyStore, "putKey">;
  usage: UsageKeySource;
  now: () => Date;
}

/** Writes a new canary key (its hash) and answers the key. */
export async function mintCanaryKey(deps: KeyringDeps): Promise<CanaryCredential> {
  const usageKey = await deps.usage.usageKey();
  const now = deps.now();
  const { key, keyId, hash } = generateApiKey(undefined, { canary: true });
  const expiresAt = new Date(now.getTime() + CANARY.keyLifetimeMs);
  const record: ApiKeyRecord = {
    keyId,
    tenantId: CANARY.tenantId,
    scopes: [...CANARY.scopes],
    status: "active",
    createdAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
    name: CANARY.keyName,
    usageKey,
  };
  await deps.store.putKey(hash, record, {
    purgeAt: new Date(expiresAt.getTime() + CANARY.keyPurgeAfterMs),
  });
  return { key, keyId, expiresAt };
}

/** The current canary key of this execution environment. */
export class CanaryKeyring {
  private current: CanaryCredential | undefined;

  constructor(private readonly deps: KeyringDeps) {}

  /** A key that stays valid for `validForMs` more, minted when the current one would not. */
  async key(validForMs: number): Promise<{ credential: CanaryCredential; minted: boolean }> {
    const now = this.deps.now().getTime();
    if (this.current && this.current.expiresAt.getTime() - now > validForMs) {
      return { credential: this.current, minted: false };
    }
    this.current = await mintCanaryKey(this.deps);
    return { credential: this.current, minted: true };
  }
}

export type CanaryFailureReason =
  /** No key could be minted (keys table or API Gateway unreachable, no permission). */
  | "key_unavailable"
  /** POST /v1/events did not answer 202. */
  | "send_refused"
  /** GET /v1/events/{id} answered a status that will not change (401, 403, 400...). */
  | "read_refused"
  /** The event was stored as failed (a business rule, or dead-lettered). */
  | "stored_failed"
  /** Not processed before the deadline: lost, stuck in the queue, or too slow. */
  | "deadline_exceeded";

interface RunFacts {
  eventId?: string;
  keyId?: string;
  keyMinted?: boolean;
  /** GET requests made. */
  reads: number;
  /** POST round trip (ms). */
  acceptMs?: number;
}

export type CanaryOutcome =
  | (RunFacts & {
      ok: true;
      /** POST sent to `processed` read back (ms): what the CanaryLatency metric reports. */
      latencyMs: number;
      /** The platform's own receipt-to-storage time for this event (its `latencyMs`). */
      storedLatencyMs?: number;
    })
  | (RunFacts & {
      ok: false;
      reason: CanaryFailureReason;
      detail: string;
      /** POST sent to giving up (ms). */
      elapsedMs: number;
    });

export interface RunCanaryDeps {
  keyring: CanaryKeyring;
  api: CanaryApi;
  /** Wall clock, for the event's time. */
  now: () => Date;
  /** Monotonic milliseconds, for latency and the deadline. */
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  /** From the POST: the event must be read back processed within this. */
  deadlineMs: number;
  pollIntervalMs?: number;
  requestTimeoutMs?: number;
}

/** How long a key must outlive the start of a run: the deadline and a margin. */
const KEY_MARGIN_MS = 5 * 60 * 1000;

export async function runCanary(deps: RunCanaryDeps): Promise<CanaryOutcome> {
  const pollIntervalMs = deps.pollIntervalMs ?? CANARY.pollIntervalMs;
  const requestTimeoutMs = deps.requestTimeoutMs ?? CANARY.requestTimeoutMs;
  const facts: RunFacts = { reads: 0 };

  let credential: CanaryCredential;
  try {
    const got = await deps.keyring.key(deps.deadlineMs + KEY_MARGIN_MS);
    credential = got.credential;
    facts.keyId = got.credential.keyId;
    facts.keyMinted = got.minted;
  } catch (error) {
    return {
      ...facts,
      ok: false,
      reason: "key_unavailable",
      detail: describe(error),
      elapsedMs: 0,
    };
  }

  const event = canaryEvent(deps.now());
  const eventId = event.id as string;
  facts.eventId = eventId;
  const started = deps.clock();
  const elapsed = () => deps.clock() - started;
  const remaining = () => deps.deadlineMs - elapsed();
  const fail = (reason: CanaryFailureReason, detail: string): CanaryOutcome => ({
    ...facts,
    ok: false,
    reason,
    detail,
    elapsedMs: Math.round(elapsed()),
  });

  const sent = await guard<SendAnswer>(() =>
    deps.api.send(credential.key, event, Math.min(requestTimeoutMs, deps.deadlineMs)),
  );
  facts.acceptMs = Math.round(elapsed());
  if (sent.kind === "refused") return fail("send_refused", problem(sent));
  if (sent.id !== eventId) {
    return fail("send_refused", `the API answered id ${sent.id} for event ${eventId}`);
  }

  let last: ReadAnswer | undefined;
  for (;;) {
    // Processing takes at least a queue hop: the first read waits one interval too.
    const pause = Math.min(pollIntervalMs, remaining());
    if (pause > 0) await deps.sleep(pause);
    const left = remaining();
    if (left <= 0) {
      const seen = last ? ` (last read: ${readText(last)})` : "";
      return fail("deadline_exceeded", `not processed within ${deps.deadlineMs} ms${seen}`);
    }
    facts.reads += 1;
    const answer = await guard<ReadAnswer>(() =>
      deps.api.read(credential.key, eventId, Math.min(requestTimeoutMs, left)),
    );
    if (answer.kind === "stored") {
      if (answer.status === "processed") {
        return {
          ...facts,
          ok: true,
          latencyMs: Math.round(elapsed()),
          ...(answer.latencyMs === undefined ? {} : { storedLatencyMs: answer.latencyMs }),
        };
      }
      return fail("stored_failed", answer.reason ?? "stored as failed");
    }
    if (answer.kind === "refused" && !answer.retryable) {
      return fail("read_refused", problem(answer));
    }
    last = answer;
  }
}

/** The metrics of one run: CanarySuccess always, CanaryLatency when it succeeded. */
export function canaryMetrics(
  outcome: CanaryOutcome,
): { name: string; unit: "Count" | "Milliseconds"; value: number }[] {
  return [
    { name: METRIC.canarySuccess, unit: "Count", value: outcome.ok ? 1 : 0 },
    ...(outcome.ok
      ? [{ name: METRIC.canaryLatency, unit: "Milliseconds" as const, value: outcome.latencyMs }]
      : []),
  ];
}

/** An adapter that throws (a bug, an unexpected body) is a refused call, not a lost run. */
async function guard<T extends SendAnswer | ReadAnswer>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    return {
      kind: "refused",
      status: 0,
      code: describe(error),
      retryable: true,
    } as T;
  }
}

const problem = (p: { status: number; code: string }) =>
  p.status === 0 ? `no answer (${p.code})` : `HTTP ${p.status} ${p.code}`;

const readText = (answer: ReadAnswer) =>
  answer.kind === "not_found"
    ? "404 not yet stored"
    : problem(answer as { status: number; code: string });

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return String(error).slice(0, 300);
}

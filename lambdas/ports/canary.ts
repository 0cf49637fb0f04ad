/**
 * Ports of the synthetic canary (use-cases/run-canary.ts): the public API as a producer
 * sees it, and where its tenant's usage plan key comes from. The key store is the
 * KeyStore port of ports/api-keys.ts (the canary uses putKey only).
 */
import type { EventStatus, IncomingEvent } from "../domain/event.js";

/** An HTTP call that did not give the answer hoped for: what the logs and metrics say. */
export interface ApiProblem {
  /** HTTP status; 0 when no answer came (network error, timeout). */
  status: number;
  /** The error envelope's code, or the network error's name. */
  code: string;
  /** 429, 5xx and no answer: worth another try while the deadline allows. */
  retryable: boolean;
}

export type SendAnswer = { kind: "accepted"; id: string } | ({ kind: "refused" } & ApiProblem);

export type ReadAnswer =
  | { kind: "stored"; status: EventStatus; latencyMs?: number; reason?: string }
  | { kind: "not_found" }
  | ({ kind: "refused" } & ApiProblem);

export interface CanaryApi {
  /** POST /v1/events with one event. */
  send(apiKey: string, event: IncomingEvent, timeoutMs: number): Promise<SendAnswer>;
  /** GET /v1/events/{id}. */
  read(apiKey: string, id: string, timeoutMs: number): Promise<ReadAnswer>;
}

/** The canary tenant's usage plan key (on AWS: the value of an API Gateway API key). */
export interface UsageKeySource {
  usageKey(): Promise<string>;
}

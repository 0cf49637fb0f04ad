/**
 * One invocation of the deliver function. Records of one message group (an ordered
 * destination's subject, on the FIFO queue) run one after another and stop at the first
 * that must wait: the rest of the group waits as long, so order holds across retries.
 * Different groups, and every record of the standard queue, run in parallel. A record
 * that must come back is in the answer's batchItemFailures with its visibility already
 * set to its delay; nothing that failed is ever answered as a success.
 *
 * Per record: the destination (cached a few seconds), its circuit and limits (held back
 * without an attempt when open or full), the claim on the delivery record (drops a
 * duplicate, a delivered one, a stale generation), the attempt, its log entry, then:
 * delivered; retry after the schedule's next delay; or failed for good (to the DLQ).
 * The destination's failure streak is kept on the destination, and past
 * deliveryDisableAfterSeconds it is disabled (metric + `eventflow.destination.disabled`).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC } from "../../lib/contracts/observability.js";
import { type DeliveryMessage, deliveryMessageSchema } from "../domain/delivery.js";
import { type AttemptEntry, nextRetryDelay } from "../domain/delivery-attempt.js";
import type { Destination } from "../domain/destination.js";
import type { DeliveryLog } from "../ports/delivery-log.js";
import type {
  DeliveryDeadLetters,
  DeliveryRetries,
  DeliverySenders,
  PlatformEvents,
} from "../ports/delivery-senders.js";
import type { DestinationStore } from "../ports/destinations.js";
import { logger, metrics } from "../shared/powertools.js";

export interface DeliveryRecordIn {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** The queue it came from (visibility changes go there). */
  queueArn: string;
  /** FIFO: the message group; absent on the standard queue. */
  groupId?: string;
}

export interface DeliverConfig {
  /** Seconds before each retry (deliveryRetrySchedule). */
  schedule: readonly number[];
  /** 0: never disable. */
  disableAfterMs: number;
  /** The claim's lease: longer than one attempt can take. */
  leaseSeconds: number;
  /** Default per-destination calls in flight per instance (destinationMaxConcurrency). */
  maxConcurrency: number;
  /** How long a destination read is reused. */
  cacheMs: number;
}

export interface DeliverDeps {
  destinations: DestinationStore;
  log: DeliveryLog;
  senders: DeliverySenders;
  deadLetters: DeliveryDeadLetters;
  retries: DeliveryRetries;
  events: PlatformEvents;
  config: DeliverConfig;
  /** Lives as long as the execution environment: limits and cache span invocations. */
  state: DeliverState;
  now?: () => Date;
  random?: () => number;
}

/** A record that must come back later (its visibility already set). */
export class DeliverLater extends Error {
  constructor(
    readonly seconds: number,
    reason: string,
  ) {
    super(reason);
    this.name = "DeliverLater";
  }
}

/**
 * Circuit: a destination that has failed every call for CIRCUIT_AFTER_MS (and at least
 * CIRCUIT_THRESHOLD in a row) gets no calls for a quarter of the time it has been failing
 * (5 s to 5 min), then one probe. A receiver failing some requests keeps succeeding in
 * between and never opens it; one that was down 30 s waits ~8 s more, one down for an
 * hour is probed every 5 minutes instead of being called for every delivery.
 */
export const CIRCUIT_THRESHOLD = 3;
export const CIRCUIT_AFTER_MS = 10_000;
export const CIRCUIT_MAX_SECONDS = 300;

export function circuitSeconds(consecutiveFailures: number, failingForMs: number): number {
  if (consecutiveFailures < CIRCUIT_THRESHOLD || failingForMs < CIRCUIT_AFTER_MS) return 0;
  return Math.min(CIRCUIT_MAX_SECONDS, Math.max(5, Math.round(failingForMs / 4000)));
}

/** How long a record waits in the instance for its destination's slot before it is deferred. */
export const SLOT_WAIT_MS = 3_000;

/** Per-instance state: cached destinations, calls in flight and a token bucket per destination. */
export class DeliverState {
  readonly cache = new Map<string, { destination: Destination | undefined; at: number }>();
  readonly inFlight = new Map<string, number>();
  readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly waiters = new Map<string, (() => void)[]>();

  /**
   * A slot of the destination's concurrency (and a rate token), waiting up to `waitMs` for
   * one to free up in this instance: deferring at once would make a busy destination's
   * deliveries churn through the queue (a visibility change and a receive each time).
   */
  async acquireWithin(d: Destination, defaultMax: number, waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    const key = `${d.tenantId}/${d.id}`;
    for (;;) {
      if (this.acquire(d, defaultMax, Date.now())) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          resolve,
          Math.min(left, d.rateLimitPerSecond ? 1000 / d.rateLimitPerSecond : left),
        );
        const list = this.waiters.get(key) ?? [];
        list.push(() => {
          clearTimeout(timer);
          resolve();
        });
        this.waiters.set(key, list);
      });
    }
  }

  acquire(d: Destination, defaultMax: number, nowMs: number): boolean {
    const key = `${d.tenantId}/${d.id}`;
    const max = d.maxConcurrency ?? defaultMax;
    const current = this.inFlight.get(key) ?? 0;
    if (current >= max) return false;
    if (d.rateLimitPerSecond) {
      const rate = d.rateLimitPerSecond;
      const bucket = this.buckets.get(key) ?? { tokens: rate, at: nowMs };
      bucket.tokens = Math.min(rate, bucket.tokens + ((nowMs - bucket.at) / 1000) * rate);
      bucket.at = nowMs;
      this.buckets.set(key, bucket);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
    }
    this.inFlight.set(key, current + 1);
    return true;
  }

  release(d: Destination): void {
    const key = `${d.tenantId}/${d.id}`;
    const current = (this.inFlight.get(key) ?? 1) - 1;
    if (current <= 0) this.inFlight.delete(key);
    else this.inFlight.set(key, current);
    const next = this.waiters.get(key)?.shift();
    if (next) next();
  }
}

export class DeliverBatch {
  private readonly now: () => Date;
  private readonly random: () => number;

  constructor(private readonly deps: DeliverDeps) {
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
  }

  /** The ids of records that must come back (batchItemFailures). */
  async run(records: readonly DeliveryRecordIn[]): Promise<string[]> {
    const groups = new Map<string, DeliveryRecordIn[]>();
    for (const r of records) {
      const key = r.groupId ?? `msg:${r.messageId}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const failed: string[] = [];
    await Promise.all(
      [...groups.values()].map(async (group) => {
        for (let i = 0; i < group.length; i++) {
          const record = group[i] as DeliveryRecordIn;
          try {
            await this.handle(record);
          } catch (error) {
            const seconds = error instanceof DeliverLater ? error.seconds : 0;
            if (!(error instanceof DeliverLater)) {
              logger.error("Delivery failed unexpectedly", {
                messageId: record.messageId,
                error: error as Error,
              });
            }
            failed.push(record.messageId);
            // The rest of an ordered group waits as long: none may overtake this one.
            for (const later of group.slice(i + 1)) {
              failed.push(later.messageId);
              await this.deps.retries
                .retryAfter(later.queueArn, later.receiptHandle, seconds)
                .catch(() => undefined);
            }
            return;
          }
        }
      }),
    );
    return failed;
  }

  private async destination(tenantId: string, id: string): Promise<Destination | undefined> {
    const key = `${tenantId}/${id}`;
    const cached = this.deps.state.cache.get(key);
    const nowMs = Date.now();
    if (cached && nowMs - cached.at < this.deps.config.cacheMs) return cached.destination;
    const destination = await this.deps.destinations.get(tenantId, id);
    this.deps.state.cache.set(key, { destination, at: nowMs });
    return destination;
  }

  private async later(record: DeliveryRecordIn, seconds: number, reason: string): Promise<never> {
    await this.deps.retries.retryAfter(record.queueArn, record.receiptHandle, seconds);
    throw new DeliverLater(seconds, reason);
  }

  async handle(record: DeliveryRecordIn): Promise<void> {
    let message: DeliveryMessage;
    try {
      message = deliveryMessageSchema.parse(JSON.parse(record.body));
    } catch (error) {
      // Nothing to deliver and no record to write it to: counted, logged, dropped.
      metrics.addMetric(METRIC.messagesMalformed, MetricUnit.Count, 1);
      logger.error("Malformed delivery message dropped", {
        messageId: record.messageId,
        error: error as Error,
      });
      return;
    }
    const { config } = this.deps;
    const keys = {
      deliveryId: message.id,
      destinationId: message.destinationId,
      tenantId: message.tenantId,
    };
    const destination = await this.destination(message.tenantId, message.destinationId);
    const now = this.now();

    if (
      destination?.enabled &&
      destination.openUntil &&
      Date.parse(destination.openUntil) > now.getTime()
    ) {
      metrics.addMetric(METRIC.deliveriesDeferred, MetricUnit.Count, 1);
      const wait =
        Math.ceil((Date.parse(destination.openUntil) - now.getTime()) / 1000) +
        Math.round(this.random() * 2);
      return this.later(record, wait, "circuit open");
    }
    const gated = destination?.enabled === true;
    if (
      gated &&
      !(await this.deps.state.acquireWithin(destination, config.maxConcurrency, SLOT_WAIT_MS))
    ) {
      metrics.addMetric(METRIC.deliveriesDeferred, MetricUnit.Count, 1);
      return this.later(record, 1 + Math.round(this.random() * 2), "destination at its limit");
    }
    try {
      const claim = await this.deps.log.claim(message, now, config.leaseSeconds);
      if (claim.kind === "done" || claim.kind === "stale") {
        logger.info("Delivery already ended: duplicate dropped", {
          ...keys,
          status: claim.record.status,
        });
        return;
      }
      if (claim.kind === "busy")
        return this.later(record, claim.retryInSeconds, "claimed by another receive");
      if (!destination) {
        await this.deps.log.end(message.tenantId, message.id, "destination deleted", now);
        return;
      }
      if (!destination.enabled) {
        await this.deps.log.end(message.tenantId, message.id, "destination disabled", now);
        return;
      }
      const result = await this.deps.senders[destination.target.kind].send(
        destination,
        message,
        now,
      );
      const at = this.now();
      const attempt: AttemptEntry = {
        ...result,
        number: claim.record.attemptCount + 1,
        at: at.toISOString(),
      };
      metrics.addMetric(METRIC.deliveryAttemptLatency, MetricUnit.Milliseconds, result.latencyMs);
      if (result.outcome === "delivered") {
        await this.deps.log.recordAttempt(
          message.tenantId,
          message.id,
          { attempt, status: "delivered" },
          at,
        );
        metrics.addMetric(METRIC.deliveriesSucceeded, MetricUnit.Count, 1);
        metrics.addMetric(
          METRIC.deliveryLatency,
          MetricUnit.Milliseconds,
          Math.max(0, at.getTime() - Date.parse(message.event.receivedAt)),
        );
        if (destination.failingSince || destination.consecutiveFailures) {
          await this.deps.destinations.recordSuccess(
            message.tenantId,
            destination.id,
            at.toISOString(),
          );
          this.deps.state.cache.delete(`${message.tenantId}/${destination.id}`);
        }
        return;
      }
      const delay =
        result.outcome === "retryable"
          ? nextRetryDelay(attempt.number, config.schedule, result.retryAfterSeconds, this.random)
          : undefined;
      await this.destinationFailed(destination, at);
      if (delay === undefined) {
        const reason =
          result.outcome === "final"
            ? `final answer: ${result.status ?? result.error ?? "refused"}`
            : `retries exhausted after ${attempt.number} attempts`;
        await this.deps.log.recordAttempt(
          message.tenantId,
          message.id,
          { attempt, status: "failed", failure: { reason } },
          at,
        );
        await this.deps.deadLetters.send(message, reason);
        metrics.addMetric(METRIC.deliveriesFailed, MetricUnit.Count, 1);
        logger.warn("Delivery failed for good", { ...keys, reason });
        return;
      }
      const nextAttemptAt = new Date(at.getTime() + delay * 1000).toISOString();
      await this.deps.log.recordAttempt(
        message.tenantId,
        message.id,
        { attempt, status: "pending", nextAttemptAt },
        at,
      );
      metrics.addMetric(METRIC.deliveriesRetried, MetricUnit.Count, 1);
      return this.later(record, delay, `attempt ${attempt.number} failed`);
    } finally {
      if (gated) this.deps.state.release(destination);
    }
  }

  private async destinationFailed(destination: Destination, at: Date): Promise<void> {
    const consecutive = (destination.consecutiveFailures ?? 0) + 1;
    const failingFor = destination.failingSince
      ? at.getTime() - Date.parse(destination.failingSince)
      : 0;
    const openUntil = new Date(
      at.getTime() + circuitSeconds(consecutive, failingFor) * 1000,
    ).toISOString();
    const updated = await this.deps.destinations.recordFailure(
      destination.tenantId,
      destination.id,
      at.toISOString(),
      openUntil,
    );
    const key = `${destination.tenantId}/${destination.id}`;
    if (!updated) return;
    this.deps.state.cache.set(key, {
      destination: { ...updated, secrets: destination.secrets },
      at: Date.now(),
    });
    const { disableAfterMs } = this.deps.config;
    if (disableAfterMs <= 0 || !updated.failingSince || !updated.enabled) return;
    if (at.getTime() - Date.parse(updated.failingSince) < disableAfterMs) return;
    const reason = `failing continuously since ${updated.failingSince}`;
    if (
      !(await this.deps.destinations.disable(
        destination.tenantId,
        destination.id,
        reason,
        at.toISOString(),
      ))
    )
      return;
    this.deps.state.cache.delete(key);
    metrics.addMetric(METRIC.destinationsDisabled, MetricUnit.Count, 1);
    logger.warn("Destination disabled", {
      tenantId: destination.tenantId,
      destinationId: destination.id,
      reason,
    });
    await this.deps.events.emit(destination.tenantId, {
      id: `destination-disabled-${destination.id}-${at.getTime()}`,
      type: "eventflow.destination.disabled",
      subject: destination.id,
      data: {
        destinationId: destination.id,
        name: destination.name,
        kind: destination.target.kind,
        failingSince: updated.failingSince,
        disabledAt: at.toISOString(),
        reason,
      },
    });
  }
}

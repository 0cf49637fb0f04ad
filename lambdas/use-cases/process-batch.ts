/**
 * One invocation of the process function, record by record. `handle` resolves when the
 * message is done (stored, duplicate, or recorded as failed) and THROWS when it must
 * come back: the batch processor then lists it in batchItemFailures. There is no path
 * that swallows an error into a success.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC } from "../../lib/contracts/observability.js";
import {
  asError,
  classify,
  describeError,
  MalformedMessageError,
  transientCause,
} from "../domain/errors.js";
import { parseQueuedMessage, truncateBody } from "../domain/message.js";
import type { DeliveryQueue } from "../ports/delivery-queue.js";
import type { EventWriter } from "../ports/event-store.js";
import { type RetryScheduler, retryDelaySeconds } from "../ports/retry-scheduler.js";
import { logger, metrics } from "../shared/powertools.js";
import { WindowApplier } from "./apply-windows.js";
import { BatchTally, flushStats, publishCounts } from "./batch-tally.js";
import { BatchedDeliveries } from "./batched-deliveries.js";
import { type ProcessOutcome, processEvent, recordMalformed } from "./process-event.js";
import type { RulesProvider } from "./tenant-rules.js";

/** An SQS message as the use case needs it (the handler maps Lambda's record). */
export interface QueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
  /** From the message attribute; the body carries it too. */
  correlationId?: string;
}

export interface ProcessBatchConfig {
  retryBaseDelaySeconds: number;
  retryMaxDelaySeconds: number;
  maxReceiveCount: number;
}

export interface ProcessBatchDeps {
  writer: EventWriter;
  /** Windows and patterns: each stored event's contributions (use-cases/apply-windows.ts). */
  windows?: WindowApplier;
  /** The tenants' rules (cached); without, the built-in defaults. */
  rules?: RulesProvider;
  /** Route actions' deliveries; without, routes are only recorded on the stored event. */
  deliveries?: DeliveryQueue;
  retries: RetryScheduler;
  config: ProcessBatchConfig;
  now?: () => Date;
}

export class ProcessBatch {
  private readonly tally = new BatchTally();
  private readonly now: () => Date;
  /** One enqueue for the deliveries of the batch's records (batched-deliveries.ts). */
  private readonly deliveries?: BatchedDeliveries;

  constructor(private readonly deps: ProcessBatchDeps) {
    this.now = deps.now ?? (() => new Date());
    if (deps.deliveries) this.deliveries = new BatchedDeliveries(deps.deliveries);
  }

  async handle(message: QueueMessage): Promise<ProcessOutcome> {
    // Records run in parallel, so per-record keys go on each log line: appendKeys would
    // set them on the shared logger for every record at once.
    const keys: Record<string, unknown> = {
      messageId: message.messageId,
      correlationId: message.correlationId,
      receiveCount: message.receiveCount,
    };
    const started = performance.now();
    try {
      const outcome = await this.process(message, keys);
      this.count(outcome, keys);
      // After the event is stored (or found stored by an earlier delivery): its
      // contributions, written once each. A failure throws, so the message comes back and
      // this runs again; the event write is then a duplicate, counted as one.
      if (this.deps.windows && WindowApplier.applies(outcome)) {
        await this.deps.windows.apply(outcome.record, outcome.kind === "processed");
      }
      metrics.addMetric(
        METRIC.processingLatency,
        MetricUnit.Milliseconds,
        Math.round(performance.now() - started),
      );
      return outcome;
    } catch (error) {
      await this.scheduleRetry(message, error, keys);
      throw asError(error);
    }
  }

  /** After all records: statistics and count metrics, once for the batch. */
  async finish(): Promise<void> {
    publishCounts(this.tally);
    await flushStats(this.deps.writer, this.tally);
  }

  private async process(
    message: QueueMessage,
    keys: Record<string, unknown>,
  ): Promise<ProcessOutcome> {
    const parsed = parseQueuedMessage(message.body);
    if (parsed.ok) {
      keys.eventId = parsed.message.event.id;
      keys.tenantId = parsed.message.tenantId;
      keys.correlationId ??= parsed.message.correlationId;
      if (parsed.message.replay) keys.replayRequestId = parsed.message.replay.requestId;
      const deliveries = this.deliveries?.begin();
      try {
        return await processEvent(parsed.message, message.receiveCount, {
          writer: this.deps.writer,
          now: this.now,
          ...(this.deps.rules ? { rules: this.deps.rules } : {}),
          ...(deliveries ? { deliveries: deliveries.queue } : {}),
        });
      } finally {
        deliveries?.end();
      }
    }
    if (parsed.salvaged) {
      logger.warn("Malformed message recorded as a failed event", {
        ...keys,
        reason: parsed.reason,
      });
      return recordMalformed(
        parsed.salvaged,
        parsed.reason,
        message.receiveCount,
        message.correlationId ?? message.messageId,
        { writer: this.deps.writer, now: this.now },
      );
    }
    logger.error("Malformed message without a tenant and id; sending it to the DLQ", {
      ...keys,
      reason: parsed.reason,
      body: truncateBody(message.body),
    });
    metrics.addMetric(METRIC.messagesMalformed, MetricUnit.Count, 1);
    throw new MalformedMessageError(parsed.reason);
  }

  private count(outcome: ProcessOutcome, keys: Record<string, unknown>): void {
    const { record } = outcome;
    this.tally.add(record, outcome.kind);
    if (outcome.kind === "duplicate") {
      if (outcome.conflict) {
        this.tally.counts.conflict++;
        logger.warn("Conflicting duplicate: same id, different content; the first is kept", {
          ...keys,
          existingStatus: outcome.existingStatus,
        });
      }
      return;
    }
    if (record.ruleErrors?.length) {
      metrics.addMetric(METRIC.ruleErrors, MetricUnit.Count, record.ruleErrors.length);
      logger.warn("Rule expressions failed on an event; stored without their result", {
        ...keys,
        rulesetVersion: record.rulesetVersion,
        ruleErrors: record.ruleErrors,
      });
    }
    if (outcome.kind === "failed") {
      metrics.addMetric(METRIC.eventsRejectedByRule, MetricUnit.Count, 1);
      logger.info("Event rejected by a rule", {
        ...keys,
        failure: record.failure,
        rulesetVersion: record.rulesetVersion,
      });
    }
    // A replay's receivedAt is the original acceptance, hours or days ago: its latency
    // says how long the event sat failed, not how fast the pipeline is.
    if (keys.replayRequestId !== undefined) return;
    const persisted = Date.now();
    metrics.addMetric(
      METRIC.endToEndLatency,
      MetricUnit.Milliseconds,
      Math.max(0, persisted - Date.parse(record.receivedAt)),
    );
  }

  /**
   * Transient: back off exponentially by receive count. Permanent (a malformed message
   * with nothing to record it under): visible again at once, so it reaches the DLQ after
   * maxReceiveCount quick receives instead of waiting out the visibility timeout each time.
   * If ChangeMessageVisibility itself fails, the message still comes back (after the
   * queue's visibility timeout): logged, never lost.
   */
  private async scheduleRetry(
    message: QueueMessage,
    error: unknown,
    keys: Record<string, unknown>,
  ): Promise<void> {
    const { config } = this.deps;
    const kind = classify(error);
    const delaySeconds =
      kind === "permanent"
        ? 0
        : retryDelaySeconds(
            message.receiveCount,
            config.retryBaseDelaySeconds,
            config.retryMaxDelaySeconds,
          );
    const details = { ...keys, error: describeError(error), delaySeconds };
    if (kind === "permanent") {
      // A malformed message was logged with its body where it was read.
      if (!(error instanceof MalformedMessageError)) {
        logger.error("Permanent failure that could not be recorded; sending to the DLQ", details);
      }
    } else {
      // Transient, or a duplicate signal that escaped the writer (a bug): retried either way.
      metrics.addMetric(METRIC.eventsRetried, MetricUnit.Count, 1);
      const withCause = { ...details, cause: transientCause(error) };
      if (message.receiveCount >= config.maxReceiveCount) {
        logger.error(
          "Processing failed on the last receive; the message goes to the DLQ",
          withCause,
        );
      } else {
        logger.warn("Processing failed; will retry", withCause);
      }
    }
    try {
      await this.deps.retries.retryAfter(message.receiptHandle, delaySeconds);
    } catch (visibilityError) {
      logger.error(
        "Could not change the message's visibility; it returns after the queue's timeout",
        {
          ...keys,
          error: describeError(visibilityError),
        },
      );
    }
  }
}

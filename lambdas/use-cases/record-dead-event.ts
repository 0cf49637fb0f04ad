/**
 * The DLQ consumer's use case: a message that exhausted its receives becomes a `failed`
 * event (kind "dead_letter"), written conditionally. If the id is already stored (another
 * copy got through, or this message was recorded before a crash) it is a duplicate:
 * success, nothing overwritten. Storage errors throw, so the message stays in the DLQ.
 * A dead-lettered REPLAY is the exception: it replaces the failed record it replays
 * (attempts added up, history continued), as the process function does.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC } from "../../lib/contracts/observability.js";
import { enrich, failedEvent } from "../domain/enrich.js";
import { asError, describeError, MalformedMessageError } from "../domain/errors.js";
import type { QueuedEvent } from "../domain/event.js";
import { parseQueuedMessage, truncateBody } from "../domain/message.js";
import type { EventWriter } from "../ports/event-store.js";
import { MAX_VISIBILITY_SECONDS, type RetryScheduler } from "../ports/retry-scheduler.js";
import { logger, metrics } from "../shared/powertools.js";
import type { WindowApplier } from "./apply-windows.js";
import { BatchTally, flushStats, publishCounts } from "./batch-tally.js";
import type { QueueMessage } from "./process-batch.js";
import { type ProcessOutcome, recordMalformed, store } from "./store-event.js";

export interface DeadLetterDeps {
  writer: EventWriter;
  /**
   * A message dead-lettered AFTER its event was stored processed (every attempt failed
   * between the event write and the contributions) still contributes, here.
   */
  windows?: WindowApplier;
  /** Schedules on the DLQ itself (parks messages that cannot be recorded). */
  retries: RetryScheduler;
  maxReceiveCount: number;
  now?: () => Date;
}

export function recordDeadEvent(
  message: QueuedEvent,
  deps: { writer: EventWriter; now: () => Date; maxReceiveCount: number },
): Promise<ProcessOutcome> {
  const record = failedEvent(message, {
    at: deps.now(),
    attempts: deps.maxReceiveCount,
    kind: "dead_letter",
    reason: `not processed after ${deps.maxReceiveCount} receives`,
  });
  return store(record, deps.writer, message.replay);
}

export class DeadLetterBatch {
  private readonly tally = new BatchTally();
  private readonly now: () => Date;

  constructor(private readonly deps: DeadLetterDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async handle(message: QueueMessage): Promise<ProcessOutcome> {
    const keys: Record<string, unknown> = {
      messageId: message.messageId,
      correlationId: message.correlationId,
    };
    const parsed = parseQueuedMessage(message.body);
    let outcome: ProcessOutcome;
    try {
      if (parsed.ok) {
        keys.eventId = parsed.message.event.id;
        keys.tenantId = parsed.message.tenantId;
        outcome = await recordDeadEvent(parsed.message, {
          writer: this.deps.writer,
          now: this.now,
          maxReceiveCount: this.deps.maxReceiveCount,
        });
      } else if (parsed.salvaged) {
        outcome = await recordMalformed(
          parsed.salvaged,
          parsed.reason,
          this.deps.maxReceiveCount,
          message.correlationId ?? message.messageId,
          { writer: this.deps.writer, now: this.now },
        );
      } else {
        await this.park(message, parsed.reason, keys);
        throw new MalformedMessageError(parsed.reason);
      }
    } catch (error) {
      if (!(error instanceof MalformedMessageError)) {
        logger.warn("Could not record a dead-lettered event; it stays in the DLQ", {
          ...keys,
          error: describeError(error),
        });
      }
      throw asError(error);
    }
    if (
      this.deps.windows &&
      parsed.ok &&
      outcome.kind === "duplicate" &&
      !outcome.conflict &&
      outcome.existingStatus === "processed"
    ) {
      await this.deps.windows.apply(
        enrich(parsed.message, { at: this.now(), attempts: this.deps.maxReceiveCount }),
        false,
      );
    }
    if (outcome.kind === "duplicate") {
      // Not a client duplicate, so not in the statistics: only the metric.
      this.tally.counts.duplicate++;
      logger.info("Dead-lettered event was already stored; nothing overwritten", {
        ...keys,
        existingStatus: outcome.existingStatus,
      });
    } else {
      this.tally.add(outcome.record, "failed");
      this.tally.counts.deadLettered++;
      logger.warn("Dead-lettered event recorded as failed", {
        ...keys,
        failure: outcome.record.failure,
      });
    }
    return outcome;
  }

  async finish(): Promise<void> {
    publishCounts(this.tally);
    await flushStats(this.deps.writer, this.tally);
  }

  /**
   * A body with no tenant and id to record it under: it stays in the DLQ (the only copy
   * left; storing it under a guessed tenant could show it to the wrong one), hidden for
   * the longest visibility SQS allows so it is logged twice a day, not every few minutes,
   * until an operator removes it or the DLQ's retention expires.
   */
  private async park(
    message: QueueMessage,
    reason: string,
    keys: Record<string, unknown>,
  ): Promise<void> {
    logger.error("Unreadable dead-lettered message kept in the DLQ", {
      ...keys,
      reason,
      body: truncateBody(message.body),
    });
    metrics.addMetric(METRIC.messagesMalformed, MetricUnit.Count, 1);
    try {
      await this.deps.retries.retryAfter(message.receiptHandle, MAX_VISIBILITY_SECONDS);
    } catch (error) {
      logger.error("Could not park the message; it returns after the DLQ's visibility timeout", {
        ...keys,
        error: describeError(error),
      });
    }
  }
}

/** How many messages the queues hold: for /_local/status and for the drain. */
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Emulators } from "./emulators.js";
import type { Pending } from "./lifecycle.js";

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

export async function queueDepth(sqs: SQSClient, url: string): Promise<QueueDepth> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  const a = out.Attributes ?? {};
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/**
 * Messages the drain must wait for: receivable now, or back before the deadline
 * (a retry backoff). With the embedded SQS each message's return time is known,
 * so one parked for hours does not hold every shutdown for the whole timeout.
 * `due: -1` when the queue could not be read.
 */
export async function pendingMessages(
  sqs: SQSClient,
  emulators: Emulators | undefined,
  queue: { url: string; name: string },
  deadline: number,
): Promise<Pending> {
  try {
    const timeline = await emulators?.inspectQueue?.(queue.name);
    if (timeline) {
      const due = timeline.returnsAt.filter((t) => t <= deadline).length;
      return { due: timeline.ready + due, later: timeline.returnsAt.length - due };
    }
    const d = await queueDepth(sqs, queue.url);
    return { due: d.visible + d.inFlight + d.delayed, later: 0 };
  } catch {
    return { due: -1, later: 0 };
  }
}

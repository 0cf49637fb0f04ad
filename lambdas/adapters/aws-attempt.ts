/**
 * What the AWS destination kinds' senders share (lambdas/adapters/delivery-senders.ts and
 * the per-kind modules it loads on first need): an attempt timed, an SDK error as an
 * attempt, the message attributes and FIFO fields.
 */
import type { DeliveryMessage } from "../domain/delivery.js";
import { type AttemptResult, firstBytes } from "../domain/delivery-attempt.js";

export async function timed(
  call: () => Promise<Omit<AttemptResult, "latencyMs">>,
): Promise<AttemptResult> {
  const started = performance.now();
  const result = await call();
  return { ...result, latencyMs: Math.round(performance.now() - started) };
}

/** An AWS SDK error as an attempt: throttling, 5xx and network errors retried. */
export function awsFailure(error: unknown): Omit<AttemptResult, "latencyMs"> {
  const e = error as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const status = e.$metadata?.httpStatusCode;
  const throttled = /throttl|toomany|limitexceeded/i.test(e.name ?? "");
  const retryable =
    status === undefined ||
    status >= 500 ||
    status === 429 ||
    throttled ||
    e.$retryable !== undefined;
  return {
    outcome: retryable ? "retryable" : "final",
    ...(status !== undefined ? { status } : {}),
    error: firstBytes(`${e.name ?? "Error"}: ${e.message ?? String(error)}`),
  };
}

export const isFifoName = (name: string) => name.endsWith(".fifo");
export const groupOf = (m: DeliveryMessage) => (m.event.subject ?? m.event.id).slice(0, 128);

/** SQS and SNS message attributes of a delivery. */
export const deliveryAttributes = (m: DeliveryMessage) => ({
  "eventflow-delivery-id": { DataType: "String", StringValue: m.id },
  "eventflow-event-type": { DataType: "String", StringValue: m.event.type },
});

/**
 * Port: when a message that failed comes back. SQS implements it with
 * ChangeMessageVisibility on the message's receipt handle (adapters/sqs-visibility.ts).
 */
export interface RetryScheduler {
  /** Makes the received message visible again after `delaySeconds` (0 = at once). */
  retryAfter(receiptHandle: string, delaySeconds: number): Promise<void>;
}

/** SQS caps a visibility timeout at 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Exponential backoff by receive count: base * 2^(receiveCount-1), capped by `max`
 * (and by SQS's 12-hour limit).
 */
export function retryDelaySeconds(
  receiveCount: number,
  baseSeconds: number,
  maxSeconds: number,
): number {
  const exponent = Math.max(0, Math.floor(receiveCount) - 1);
  // 2^exponent overflows to Infinity long before it matters; min() handles that.
  const delay = baseSeconds * 2 ** Math.min(exponent, 30);
  return Math.max(0, Math.min(delay, maxSeconds, MAX_VISIBILITY_SECONDS));
}

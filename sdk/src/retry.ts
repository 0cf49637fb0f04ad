/** When to try again: exponential backoff with full jitter, and the server's Retry-After. */

/**
 * The wait before retry number `attempt` (1, 2, ...): a random time between 0 and
 * min(maxMs, baseMs * 2^(attempt-1)) ("full jitter"), so producers that failed together
 * do not come back together.
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

/**
 * A Retry-After header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) in milliseconds
 * from now; undefined when absent or unreadable.
 */
export function retryAfterMs(
  header: string | null,
  nowMs: number = Date.now(),
): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

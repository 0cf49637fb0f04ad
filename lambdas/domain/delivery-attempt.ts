/**
 * One attempt at a delivery and what follows from it: the outcome of an HTTP answer
 * (2xx delivered; 408, 429 and 5xx retried; any other status final, redirects included,
 * since they are not followed), the retry delay (the schedule with ±20% jitter, at least a
 * 429's Retry-After, at most 12 h), and the log entry (first KiB of the answer or the error).
 */

export type AttemptOutcome = "delivered" | "retryable" | "final";

export interface AttemptResult {
  outcome: AttemptOutcome;
  /** HTTP status (webhook, Slack); absent for AWS targets and connection errors. */
  status?: number;
  latencyMs: number;
  /** The first KiB of the answer's body. */
  response?: string;
  /** What went wrong, when no answer (connection refused, timeout, SSRF refusal, SDK error). */
  error?: string;
  /** From a 429's or 503's Retry-After. */
  retryAfterSeconds?: number;
}

/** One line of a delivery's log. */
export interface AttemptEntry extends AttemptResult {
  number: number;
  at: string;
}

export const RESPONSE_LOG_BYTES = 1024;
/** SQS's longest visibility timeout: no single wait may be longer. */
export const MAX_RETRY_DELAY_SECONDS = 43_200;
export const JITTER = 0.2;

export function outcomeOfStatus(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return "delivered";
  if (status === 408 || status === 429 || status >= 500) return "retryable";
  return "final";
}

/** Retry-After as seconds (delta-seconds or an HTTP date), bounded; undefined if unusable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Math.min(Number(trimmed), MAX_RETRY_DELAY_SECONDS);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.min(Math.ceil((at - now.getTime()) / 1000), MAX_RETRY_DELAY_SECONDS));
}

/**
 * Seconds before the next attempt after `attemptsMade` attempts, or undefined when the
 * schedule is used up (the delivery then fails for good).
 */
export function nextRetryDelay(
  attemptsMade: number,
  schedule: readonly number[],
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number | undefined {
  const base = schedule[attemptsMade - 1];
  if (base === undefined) return undefined;
  const jittered = base * (1 - JITTER + 2 * JITTER * random());
  const delay = Math.max(jittered, retryAfterSeconds ?? 0);
  return Math.min(Math.max(0, Math.round(delay)), MAX_RETRY_DELAY_SECONDS);
}

/** A text cut to at most `bytes` UTF-8 bytes, never inside a character. */
export function firstBytes(text: string, bytes = RESPONSE_LOG_BYTES): string {
  const buffer = Buffer.from(text, "utf8");
  if (buffer.length <= bytes) return text;
  let end = bytes;
  // Back up over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((buffer[end] ?? 0) & 0xc0) === 0x80) end--;
  return buffer.subarray(0, end).toString("utf8");
}

/**
 * `{{type}} for {{subject}}: {{data.amount}}`: each `{{path}}` is the value at that path of
 * the event (strings as they are, anything else as JSON, missing as empty). One pass over
 * the template, no regular expression: linear in its length.
 */
export function renderTemplate(template: string, event: Record<string, unknown>): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{{", i);
    if (open < 0) break;
    const close = template.indexOf("}}", open + 2);
    if (close < 0) break;
    out += template.slice(i, open);
    out += valueText(lookup(event, template.slice(open + 2, close).trim()));
    i = close + 2;
  }
  return out + template.slice(i);
}

function lookup(root: unknown, path: string): unknown {
  let value: unknown = root;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part))
      return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function valueText(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

export const DEFAULT_SLACK_TEMPLATE = "*{{type}}* {{subject}} ({{id}})";
export const DEFAULT_EMAIL_SUBJECT = "EventFlow: {{type}}";
export const DEFAULT_EMAIL_TEMPLATE = "Event {{id}} of type {{type}}\n\n{{data}}";

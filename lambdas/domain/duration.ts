/**
 * Durations as people type them: `90s`, `15m`, `1h`, `7d`, `2w` (1 to 6 digits and one
 * unit). One parser for the API (`since`/`until` of GET /v1/failed and replays, through
 * replay.ts) and the command-line tools (`npm run replay -- --since 1h`,
 * `npm run keys -- rotate --grace 24h`), so they accept exactly the same forms.
 */

const DURATION = /^(\d{1,6})(s|m|h|d|w)$/;

const UNIT_MS = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

/** The forms, for messages. */
export const DURATION_HINT = "a duration such as 90s, 30m, 24h, 7d or 2w";

/** The duration in milliseconds, or undefined when `value` is not one. */
export function parseDurationMs(value: string): number | undefined {
  const m = DURATION.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** `1h` -> the instant one hour before `now` (ISO UTC), or undefined when not a duration. */
export function durationAgo(value: string, now: Date): string | undefined {
  const ms = parseDurationMs(value);
  return ms === undefined ? undefined : new Date(now.getTime() - ms).toISOString();
}

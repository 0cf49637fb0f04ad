/**
 * Durations on the command line, through the one parser the API uses too
 * (lambdas/domain/duration.ts): a wrong value is a UsageError naming the flag.
 */
import { DURATION_HINT, durationAgo, parseDurationMs } from "../../lambdas/domain/duration.js";
import { UsageError } from "./usage-error.js";

/** `0` or a duration, in whole seconds (`--grace 24h` -> 86400). */
export function durationSecondsOption(flag: string, value: string): number {
  if (value === "0") return 0;
  const ms = parseDurationMs(value);
  if (ms === undefined)
    throw new UsageError(`${flag} must be 0 or ${DURATION_HINT}, not "${value}"`);
  return ms / 1000;
}

/** `1h` -> the instant one hour before now; anything else is undefined (left to the API). */
export const relativeToInstant = durationAgo;

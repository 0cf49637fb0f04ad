/**
 * `npm run load:ceiling -- [--concurrency N] [--seconds S] [--size BYTES]`: the emulator's
 * own ceiling, conditional PutItem/s into a fresh dynalite (see core/ceiling.ts).
 * `npm run load -- --ceiling` measures it after a load run and prints the run's
 * end-to-end rate as a share of it.
 */
import { parseArgs } from "node:util";
import { resolveSettings } from "../lib/config.js";
import { ceilingText, measureCeiling } from "./core/ceiling.js";

const defaults = resolveSettings({});
const { values } = parseArgs({
  options: {
    concurrency: { type: "string" },
    seconds: { type: "string" },
    size: { type: "string" },
    json: { type: "boolean" },
  },
});
const positive = (name: string, raw: string | undefined, fallback: number) => {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`error: --${name} must be a positive integer, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
};
const result = await measureCeiling({
  concurrency: positive(
    "concurrency",
    values.concurrency,
    defaults.processMaxConcurrency * defaults.processBatchSize,
  ),
  seconds: positive("seconds", values.seconds, 10),
  sizeBytes: positive("size", values.size, 1024),
});
process.stdout.write(
  values.json ? `${JSON.stringify(result, null, 2)}\n` : `${ceilingText(result)}\n`,
);

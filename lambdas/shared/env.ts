/**
 * Configuration is read once, at cold start, and a missing or malformed variable
 * fails the init with a message naming it (rather than a confusing error on the
 * first request).
 *
 * zod's tree-shakable form, zod/mini (issue 20, cold start): a function that uses zod for
 * nothing else (the archive) bundles ~20 KB of it instead of ~90 KB. Its schemas and zod's
 * classic ones are one type system (zod/v4/core): handlers still give parseEnv classic
 * schemas. zod/mini loads no messages: the English ones are configured here, so a bad
 * variable reads as it did with classic zod.
 */
import * as z from "zod/mini";
import { en } from "zod/v4/locales";
import { parseCorsOrigins } from "../../lib/contracts/cors.js";
import { ENV } from "../../lib/contracts/environment.js";

/** A function's environment: process.env in Lambda, the function's own record locally. */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

z.config(en());

export function parseEnv<T extends z.core.$ZodShape>(
  shape: T,
  env: EnvRecord = process.env,
): z.output<z.ZodMiniObject<T>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${String(i.path[0])}: ${i.message}`)
      .join("; ");
    throw new ConfigurationError(`Invalid function configuration: ${problems}`);
  }
  return result.data;
}

/** A whole number of at least `min`, from the variable's text. */
const wholeNumber = (min = 0) => z.pipe(z.coerce.number(), z.int().check(z.minimum(min)));
const nonEmpty = () => z.string().check(z.minLength(1));

/** Variables by name, so each function parses only what it reads. */
export const envVars = {
  [ENV.tableName]: nonEmpty(),
  [ENV.queueUrl]: z.url(),
  [ENV.dlqUrl]: z.url(),
  [ENV.maxReceiveCount]: wholeNumber(1),
  [ENV.retryBaseDelaySeconds]: wholeNumber(),
  [ENV.retryMaxDelaySeconds]: wholeNumber(),
  [ENV.eventRetentionDays]: wholeNumber(),
  [ENV.statsShards]: wholeNumber(1),
  /** 0: no byTime index (the lean profile). */
  [ENV.timeShards]: wholeNumber(),
  [ENV.typeShards]: wholeNumber(1),
  [ENV.failedShards]: wholeNumber(1),
  [ENV.keysTableName]: nonEmpty(),
  [ENV.configTableName]: nonEmpty(),
  [ENV.schemaCacheSeconds]: wholeNumber(),
  [ENV.rulesCacheSeconds]: wholeNumber(),
  [ENV.cursorSecretId]: nonEmpty(),
  [ENV.archiveBucket]: nonEmpty(),
  [ENV.jobsQueueUrl]: z.url(),
  [ENV.archiveFileRoot]: z.optional(z.string()),
  [ENV.exportUrlSeconds]: wholeNumber(1),
  [ENV.replayMaxRate]: wholeNumber(1),
  [ENV.erasureSettleSeconds]: wholeNumber(),
  [ENV.windowShards]: wholeNumber(1),
  [ENV.windowSweepSeconds]: wholeNumber(1),
  [ENV.windowFenceSeconds]: wholeNumber(),
  [ENV.windowConfigCacheSeconds]: wholeNumber(),
  [ENV.windowRetentionDays]: wholeNumber(1),
  [ENV.windowMaxReadItems]: wholeNumber(1),
  /** Absent or empty: CORS off. */
  [ENV.corsOrigins]: z.pipe(z.optional(z.string()), z.transform(parseCorsOrigins)),
} as const;

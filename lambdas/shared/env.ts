/**
 * Configuration is read once, at cold start, and a missing or malformed variable
 * fails the init with a message naming it (rather than a confusing error on the
 * first request).
 */
import * as z from "zod";
import { parseCorsOrigins } from "../../lib/contracts/cors.js";
import { ENV } from "../../lib/contracts/environment.js";
import { configurationError, type EnvRecord } from "./env-base.js";

export { ConfigurationError, type EnvRecord } from "./env-base.js";

export function parseEnv<T extends z.ZodRawShape>(
  shape: T,
  env: EnvRecord = process.env,
): z.output<z.ZodObject<T>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) throw configurationError(result.error.issues);
  return result.data;
}

const positiveInt = z.coerce.number().int().min(0);

/** Variables by name, so each function parses only what it reads. */
export const envVars = {
  [ENV.tableName]: z.string().min(1),
  [ENV.queueUrl]: z.url(),
  [ENV.dlqUrl]: z.url(),
  [ENV.maxReceiveCount]: positiveInt.min(1),
  [ENV.retryBaseDelaySeconds]: positiveInt,
  [ENV.retryMaxDelaySeconds]: positiveInt,
  [ENV.eventRetentionDays]: positiveInt,
  [ENV.statsShards]: positiveInt.min(1),
  /** 0: no byTime index (the lean profile). */
  [ENV.timeShards]: positiveInt,
  [ENV.typeShards]: positiveInt.min(1),
  [ENV.failedShards]: positiveInt.min(1),
  [ENV.keysTableName]: z.string().min(1),
  [ENV.configTableName]: z.string().min(1),
  [ENV.schemaCacheSeconds]: positiveInt,
  [ENV.rulesCacheSeconds]: positiveInt,
  [ENV.cursorSecretId]: z.string().min(1),
  [ENV.archiveBucket]: z.string().min(1),
  [ENV.jobsQueueUrl]: z.url(),
  [ENV.archiveFileRoot]: z.string().optional(),
  [ENV.exportUrlSeconds]: positiveInt.min(1),
  [ENV.replayMaxRate]: positiveInt.min(1),
  [ENV.erasureSettleSeconds]: positiveInt,
  [ENV.archiveStagedReadMaxFiles]: positiveInt,
  [ENV.archiveStagedWaitSeconds]: positiveInt.min(1),
  [ENV.windowShards]: positiveInt.min(1),
  [ENV.windowSweepSeconds]: positiveInt.min(1),
  [ENV.windowFenceSeconds]: positiveInt,
  [ENV.windowConfigCacheSeconds]: positiveInt,
  [ENV.windowRetentionDays]: positiveInt.min(1),
  [ENV.windowMaxReadItems]: positiveInt.min(1),
  /** Absent or empty: CORS off. */
  [ENV.corsOrigins]: z.string().optional().transform(parseCorsOrigins),
} as const;

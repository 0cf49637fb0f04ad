/**
 * Environment parsing with zod's tree-shakable form, zod/mini (issue 20, cold start), for
 * the function that uses zod for nothing else: the archive. There, zod's classic API (what
 * env.ts uses) was ~90 KB of a ~525 KB bundle for one variable; zod/mini is ~25 KB. The
 * functions that use classic zod anyway keep env.ts: mixing both would add zod/mini's
 * classes to them. Same rules and the same messages as env.ts (zod/mini loads no messages:
 * the English ones are configured here).
 */
import * as z from "zod/mini";
import { en } from "zod/v4/locales";
import { ENV } from "../../lib/contracts/environment.js";
import { configurationError, type EnvRecord } from "./env-base.js";

z.config(en());

export function parseEnvMini<T extends z.core.$ZodShape>(
  shape: T,
  env: EnvRecord = process.env,
): z.output<z.ZodMiniObject<T>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) throw configurationError(result.error.issues);
  return result.data;
}

/** The variables of env.ts `envVars` the archive function reads, as zod/mini schemas. */
export const miniEnvVars = {
  [ENV.archiveBucket]: z.string().check(z.minLength(1)),
} as const;

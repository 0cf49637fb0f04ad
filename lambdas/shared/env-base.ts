/**
 * What the two environment parsers share (env.ts with zod, env-mini.ts with zod/mini): the
 * environment record and the error a bad variable fails the init with. No zod here, so a
 * function that parses with zod/mini does not bundle zod's classic API through this module.
 */

/** A function's environment: process.env in Lambda, the function's own record locally. */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

/** The init's error, naming each bad variable and what is wrong with it. */
export function configurationError(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): ConfigurationError {
  const problems = issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; ");
  return new ConfigurationError(`Invalid function configuration: ${problems}`);
}

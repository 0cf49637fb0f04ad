/**
 * The archive's environment parser (zod/mini, lambdas/shared/env-mini.ts) keeps env.ts's
 * rules and messages: the same values pass, the same bad ones fail the init the same way.
 */
import { describe, expect, it } from "vitest";
import { envVars, parseEnv } from "../../../../lambdas/shared/env.js";
import { ConfigurationError } from "../../../../lambdas/shared/env-base.js";
import { miniEnvVars, parseEnvMini } from "../../../../lambdas/shared/env-mini.js";
import { ENV } from "../../../../lib/contracts/environment.js";

const outcome = (parse: () => unknown) => {
  try {
    return { value: parse() };
  } catch (error) {
    return { error: String(error), isConfigurationError: error instanceof ConfigurationError };
  }
};

describe("parseEnvMini", () => {
  it.each([[{ [ENV.archiveBucket]: "eventflow-archive" }], [{ [ENV.archiveBucket]: "" }], [{}]])(
    "answers as env.ts does for %j",
    (env) => {
      const classic = outcome(() =>
        parseEnv({ [ENV.archiveBucket]: envVars[ENV.archiveBucket] }, env),
      );
      const mini = outcome(() =>
        parseEnvMini({ [ENV.archiveBucket]: miniEnvVars[ENV.archiveBucket] }, env),
      );
      expect(mini).toEqual(classic);
    },
  );

  it("names the variable", () => {
    expect(() => parseEnvMini({ [ENV.archiveBucket]: miniEnvVars[ENV.archiveBucket] }, {})).toThrow(
      /^Invalid function configuration: ARCHIVE_BUCKET: /,
    );
  });
});

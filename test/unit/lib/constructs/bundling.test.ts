/**
 * The bundling options every function ships with (lib/constructs/eventflow-function.ts
 * FUNCTION_BUNDLING), on a real bundle: an SQS client built with them and run in a fresh
 * Node process. The profile-file credential providers (and the nested STS/SSO clients they
 * bring) are left out, yet a client still finds Lambda's credentials in the environment;
 * a function given a profile fails loudly instead of silently using something else.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FUNCTION_BUNDLING,
  PROFILE_CREDENTIAL_PROVIDERS,
  REPO_ROOT,
} from "../../../../lib/constructs/eventflow-function.js";
import { esbuildOptionsFor } from "../../../../load-testing/bench/coldstart.js";

// As the entries do: a client with no credentials given (lambdas/shared/sqs-client.ts).
const ENTRY = `
import { createSqsClient } from "./lambdas/shared/sqs-client.js";
const client = createSqsClient();
client.config.credentials().then(
  (c) => console.log(JSON.stringify({ accessKeyId: c.accessKeyId, sessionToken: c.sessionToken })),
  (e) => { console.log(JSON.stringify({ error: String(e && e.message) })); },
);
`;

let dir: string;
let file: string;
let inputs: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "eventflow-bundling-"));
  file = join(dir, "index.js");
  const result = await esbuild.build({
    ...esbuildOptionsFor(FUNCTION_BUNDLING),
    sourcemap: false,
    absWorkingDir: REPO_ROOT,
    stdin: { contents: ENTRY, resolveDir: REPO_ROOT, loader: "ts" },
    outfile: file,
    metafile: true,
  });
  inputs = Object.keys(result.metafile.inputs);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the bundle with only the given environment (no AWS settings of this machine). */
function run(env: Record<string, string>): { accessKeyId?: string; error?: string } {
  const out = spawnSync(process.execPath, [file], {
    env: { PATH: process.env.PATH ?? "", AWS_REGION: "us-east-1", HOME: dir, ...env },
    encoding: "utf8",
  });
  return JSON.parse(out.stdout.trim().split("\n").pop() ?? "{}");
}

describe("FUNCTION_BUNDLING and the SDK's credential chain", () => {
  it("leaves the profile-file providers and the nested clients out of the bundle", () => {
    for (const pkg of [...PROFILE_CREDENTIAL_PROVIDERS, "@aws-sdk/nested-clients"]) {
      expect(inputs.filter((p) => p.includes(`node_modules/${pkg}/`))).toEqual([]);
    }
    // The chain itself, and the container/instance metadata providers after the profile
    // ones, are still bundled.
    expect(inputs.some((p) => p.includes("node_modules/@aws-sdk/credential-provider-node/"))).toBe(
      true,
    );
    expect(inputs.some((p) => p.includes("node_modules/@smithy/credential-provider-imds/"))).toBe(
      true,
    );
  });

  it("finds Lambda's credentials in the environment (the chain's first provider)", () => {
    const got = run({
      AWS_ACCESS_KEY_ID: "AKIDLAMBDAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_SESSION_TOKEN: "token",
    });
    expect(got).toEqual({ accessKeyId: "AKIDLAMBDAEXAMPLE", sessionToken: "token" });
  });

  it("fails loudly, naming the missing provider, when a function is given a profile", () => {
    const got = run({ AWS_PROFILE: "someone" });
    expect(got.error).toMatch(/@aws-sdk\/credential-provider-(sso|ini)/);
  });
});

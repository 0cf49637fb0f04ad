/**
 * What the LocalStack scripts (deploy.sh, test.sh beside this file) need to know about
 * LocalStack and the stack deployed there: whether LocalStack answers, the URL the API
 * is reachable at, and the API key deploy.sh created.
 *
 *   tsx local/localstack/outputs.ts ready                    LocalStack answers, services up
 *   tsx local/localstack/outputs.ts api-url <outputs.json>   the API's base URL on LocalStack
 *   tsx local/localstack/outputs.ts api-key <key.json>       the key `npm run keys -- create --json` wrote
 *   tsx local/localstack/outputs.ts preflight <url> <key>    GET /v1/health answers 200 with that key
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { STACK_OUTPUT, selectStack } from "../../lib/contracts/stack-outputs.js";

/** The stack outputs these scripts and `npm run keys -- --stack-outputs` read. */
export const REQUIRED_OUTPUTS = [
  STACK_OUTPUT.apiUrl,
  STACK_OUTPUT.keysTableName,
  STACK_OUTPUT.usagePlanId,
] as const;

/** The services the stack and `cdklocal bootstrap` use (docker-compose.yml's SERVICES). */
export const REQUIRED_SERVICES = [
  "apigateway",
  "cloudformation",
  "cloudwatch",
  "dynamodb",
  "events",
  "iam",
  "kms",
  "lambda",
  "logs",
  "s3",
  "sns",
  "sqs",
  "ssm",
  "sts",
] as const;

export const DEFAULT_ENDPOINT = "http://localhost:4566";

class ScriptError extends Error {}

/** The one stack in a `cdk deploy --outputs-file` document that has every required output. */
export function stackOutputs(doc: unknown, file = "the outputs file"): Record<string, string> {
  const selection = selectStack(doc, REQUIRED_OUTPUTS);
  if (selection.kind !== "found") {
    throw new ScriptError(
      selection.kind === "none"
        ? `${file} has no stack with the outputs ${REQUIRED_OUTPUTS.join(", ")}: run npm run localstack:deploy`
        : `${file} holds several EventFlow stacks (${selection.names.join(", ")}): keep one`,
    );
  }
  return { ...selection.outputs };
}

/**
 * The API's base URL on LocalStack. CloudFormation's ApiUrl names the AWS host
 * (https://<id>.execute-api.<region>.<suffix>/<stage>), which does not resolve to
 * LocalStack; LocalStack serves every REST API at <endpoint>/_aws/execute-api/<id>/<stage>
 * as well, with no DNS involved.
 */
export function localstackApiUrl(apiUrl: string, endpoint = DEFAULT_ENDPOINT): string {
  const m = /^https?:\/\/([a-z0-9]+)\.execute-api\.[^/]+\/([^/?#]+)\/?$/.exec(apiUrl);
  if (!m) throw new ScriptError(`ApiUrl ${apiUrl} is not an API Gateway stage URL`);
  return `${endpoint.replace(/\/+$/, "")}/_aws/execute-api/${m[1]}/${m[2]}`;
}

/** The secret from the JSON `npm run keys -- create --json` printed. */
export function apiKeyOf(doc: unknown): string {
  const key = doc && typeof doc === "object" ? (doc as Record<string, unknown>).key : undefined;
  if (typeof key !== "string" || !key.startsWith("efk_")) {
    throw new ScriptError("the key file holds no key: run npm run localstack:deploy");
  }
  return key;
}

/** States of a usable service in LocalStack's /_localstack/health (services start lazily). */
const USABLE = new Set(["available", "initialized", "starting", "running"]);

/** The required services that /_localstack/health reports missing, disabled or failed. */
export function missingServices(health: unknown): string[] {
  const services =
    health && typeof health === "object"
      ? ((health as Record<string, unknown>).services as Record<string, unknown> | undefined)
      : undefined;
  return REQUIRED_SERVICES.filter((s) => !USABLE.has(String(services?.[s])));
}

/** What a failed GET /v1/health most likely means on LocalStack. */
export function preflightAdvice(status: number): string {
  if (status === 401 || status === 403) {
    return [
      "LocalStack refused the key before any function ran. LocalStack's community image does not",
      "run Lambda authorizers (a paid feature), so it never sees the usage plan key the EventFlow",
      "authorizer returns and answers 403 on every route. Use an image and LOCALSTACK_AUTH_TOKEN",
      "that run Lambda authorizers (see local/localstack/README.md), or the local runtime (npm start).",
    ].join("\n");
  }
  if (status === 404) return "No such API or stage: redeploy with npm run localstack:deploy.";
  return "The API answers but is not healthy: read the function logs (docker compose logs).";
}

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ScriptError(
      `cannot read ${file} (${error instanceof Error ? error.message : error}): run npm run localstack:deploy`,
    );
  }
};

export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<void> {
  const endpoint = env.AWS_ENDPOINT_URL || DEFAULT_ENDPOINT;
  const [command, first, second] = argv;
  switch (command) {
    case "ready": {
      let health: unknown;
      try {
        const res = await fetch(`${endpoint}/_localstack/health`, {
          signal: AbortSignal.timeout(5_000),
        });
        health = await res.json();
      } catch (error) {
        throw new ScriptError(
          `LocalStack does not answer on ${endpoint} (${error instanceof Error ? error.message : error}): start it with npm run localstack:up`,
        );
      }
      const missing = missingServices(health);
      if (missing.length > 0) {
        throw new ScriptError(`LocalStack on ${endpoint} lacks ${missing.join(", ")}`);
      }
      const h = health as { version?: string; edition?: string };
      out(`LocalStack ${h.version ?? "?"} (${h.edition ?? "?"}) on ${endpoint}`);
      return;
    }
    case "api-url":
      if (!first) throw new ScriptError("api-url <outputs.json>");
      out(localstackApiUrl(stackOutputs(readJson(first), first).ApiUrl ?? "", endpoint));
      return;
    case "api-key":
      if (!first) throw new ScriptError("api-key <key.json>");
      out(apiKeyOf(readJson(first)));
      return;
    case "preflight": {
      if (!first || !second) throw new ScriptError("preflight <url> <key>");
      const res = await fetch(`${first}/v1/health`, {
        headers: { authorization: `Bearer ${second}` },
        signal: AbortSignal.timeout(60_000),
      });
      const body = (await res.text()).slice(0, 500);
      if (res.status !== 200) {
        throw new ScriptError(
          `GET ${first}/v1/health answered ${res.status}: ${body}\n${preflightAdvice(res.status)}`,
        );
      }
      out(`GET /v1/health: 200 ${body}`);
      return;
    }
    default:
      throw new ScriptError(
        `unknown command ${command ?? "(none)"}: ready | api-url | api-key | preflight`,
      );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    await main(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ScriptError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = 1;
  }
}

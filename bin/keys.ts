#!/usr/bin/env node
/**
 * Manage API keys: create, list, revoke and rotate a tenant's keys, in the local
 * runtime (its data folder's runtime.json, or a DynamoDB endpoint) or in a deployed
 * stack (`cdk deploy --outputs-file`, AWS credentials from the environment).
 *
 *   npm run keys -- create --tenant acme --scopes events:write
 *   npm run keys -- list --tenant acme
 *   npm run keys -- revoke --tenant acme --key efk_k7d2mq4xa3bfp6ne
 *   npm run keys -- rotate --tenant acme --key efk_k7d2mq4xa3bfp6ne --grace 24h
 *   npm run keys -- list --tenant acme --stack-outputs cdk-outputs.json
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ApiGatewayUsagePlans } from "../lambdas/adapters/apigateway-usage-plans.js";
import { localUsagePlans } from "../lambdas/adapters/local-usage-plans.js";
import { SCOPES } from "../lambdas/domain/api-keys.js";
import type { KeyStore, UsagePlans } from "../lambdas/ports/api-keys.js";
import {
  type CreatedKey,
  createKey,
  KeyManagementError,
  type KeyView,
  keyView,
  listKeys,
  revokeKey,
  rotateKey,
} from "../lambdas/use-cases/manage-keys.js";
import { resolveSettings } from "../lib/config.js";
import { LOCAL_RUNTIME } from "../lib/contracts/local-runtime.js";
import { STACK_OUTPUT } from "../lib/contracts/stack-outputs.js";
import { type AuthorizerCache, stageAuthorizerCache } from "./tools/authorizer-cache.js";
import { type AwsClients, defaultClients, keyStoreOn, localDynamoDb } from "./tools/aws.js";
import { type CliIo, DEFAULT_CLI_IO, printTable } from "./tools/cli-io.js";
import { durationSecondsOption } from "./tools/durations.js";
import { localDynamoTarget } from "./tools/local-runtime.js";
import { readStackOutputs, stackRegion } from "./tools/stack-outputs.js";
import { UsageError } from "./tools/usage-error.js";

const API_KEY_VARIABLE = LOCAL_RUNTIME.apiKeyVariable;
const DEFAULT_KEYS_TABLE_NAME = LOCAL_RUNTIME.keysTableName;
const CACHE_NOTE = `answers the API cached for it keep working up to authorizerCacheSeconds (${resolveSettings().authorizerCacheSeconds} s by default)`;

const USAGE = `Usage: npm run keys -- <command> --tenant <tenant> [options]

Commands:
  create --scopes S [--name N]   a new key for the tenant; printed once, only its hash is kept
  list                           the tenant's keys: prefix, scopes, state (never a secret)
  revoke --key K                 stops the key; on a deployed stack also flushes the API
                                 stage's authorizer cache, so it stops at once (locally
                                 cached answers last up to authorizerCacheSeconds)
  rotate --key K [--grace D]     a new key with the same scopes and name; the old one works
                                 for the grace period (default 24h; 0 revokes it now)

  --tenant T     1-63 characters of a-z 0-9 -
  --scopes S     comma-separated: ${SCOPES.join(", ")}
                 events:write: POST /v1/events; events:read: GET /v1/events, /v1/events/{id},
                 /v1/stats, /v1/failed; admin: POST /v1/failed/replay; any key: /v1/health,
                 /v1/openapi.json
  --key K        the key's prefix efk_<id> (as list shows it), its id, or the whole key
  --grace D      30m, 24h, 7d... or 0

Where (default: the local runtime started with npm start):
  --data-dir D          the local runtime's data folder (default .eventflow): its runtime.json
  --endpoint URL        a DynamoDB endpoint instead, e.g. a --memory runtime's (its ready line's
                        "dynamodb"); --keys-table names the table (default ${DEFAULT_KEYS_TABLE_NAME})
  --stack-outputs F     a deployed stack: the file of cdk deploy --outputs-file F (KeysTableName,
                        UsagePlanId, ApiUrl, RestApiId, ApiStageName); credentials and region
                        from the AWS environment
  --stack NAME          the stack in F when it holds several

  --json                machine-readable output
  -h, --help
`;

export type Io = Pick<CliIo, "out" | "err" | "env" | "now" | "readFile" | "isAlive">;

const defaultIo: Io = DEFAULT_CLI_IO;

/** Where the keys live, and how a new tenant gets its usage plan key. */
export interface Target {
  store: KeyStore;
  usage: UsagePlans;
  describe: string;
  /**
   * The API stage's authorizer cache (a deployed stack), flushed after a revoke or rotate;
   * a string says why there is none to flush.
   */
  authorizerCache: AuthorizerCache | string;
  close(): void;
}

/** Test seam: build the target from the parsed options. */
export type TargetFactory = (options: TargetOptions, io: Io) => Target;

interface TargetOptions {
  dataDir?: string;
  endpoint?: string;
  keysTable?: string;
  stackOutputs?: string;
  stack?: string;
}

export async function main(
  argv: string[],
  io: Io = defaultIo,
  targetOf: TargetFactory = openTarget,
): Promise<number> {
  let target: Target | undefined;
  try {
    const { values, positionals } = parse(argv);
    if (values.help || positionals.length === 0) {
      io.out(USAGE);
      return values.help ? 0 : 2;
    }
    const [command, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument(s): ${extra.join(" ")}`);
    const tenantId = values.tenant;
    if (!tenantId) throw new UsageError("--tenant is required");
    const need = (flag: "scopes" | "key") => {
      const value = values[flag];
      if (!value) throw new UsageError(`${command} needs --${flag}`);
      return value;
    };
    const allowed: Record<string, string[]> = {
      create: ["scopes", "name"],
      list: [],
      revoke: ["key"],
      rotate: ["key", "grace"],
    };
    const flags = allowed[command ?? ""];
    if (!flags)
      throw new UsageError(`unknown command "${command}": create, list, revoke or rotate`);
    for (const flag of ["scopes", "name", "key", "grace"] as const) {
      if (values[flag] !== undefined && !flags.includes(flag)) {
        throw new UsageError(`--${flag} does not apply to ${command}`);
      }
    }
    const grace =
      command === "rotate" ? durationSecondsOption("--grace", values.grace ?? "24h") : 0;
    if (command === "create") need("scopes");
    if (command === "revoke" || command === "rotate") need("key");

    target = targetOf(
      {
        ...(values["data-dir"] ? { dataDir: values["data-dir"] } : {}),
        ...(values.endpoint ? { endpoint: values.endpoint } : {}),
        ...(values["keys-table"] ? { keysTable: values["keys-table"] } : {}),
        ...(values["stack-outputs"] ? { stackOutputs: values["stack-outputs"] } : {}),
        ...(values.stack ? { stack: values.stack } : {}),
      },
      io,
    );
    const deps = { store: target.store, usage: target.usage, now: io.now };
    const json = values.json ?? false;
    const print = (value: unknown) => io.out(JSON.stringify(value, null, 2));

    switch (command) {
      case "create": {
        const created = await createKey(
          { tenantId, scopes: need("scopes"), ...(values.name ? { name: values.name } : {}) },
          deps,
        );
        if (json) print(createdJson(created, io.now()));
        else printCreated(io, created, target.describe);
        return 0;
      }
      case "list": {
        const keys = await listKeys(tenantId, deps);
        if (json) print(keys);
        else printList(io, tenantId, keys);
        return 0;
      }
      case "revoke": {
        const view = await revokeKey(tenantId, need("key"), deps);
        if (json) print(view);
        else io.out(`Revoked ${view.prefix} (tenant ${tenantId}).`);
        return await flushCache(target, io, json, `${view.prefix} is revoked`);
      }
      default: {
        const { created, old } = await rotateKey(tenantId, need("key"), grace, deps);
        if (json) print({ created: createdJson(created, io.now()), old });
        else {
          printCreated(io, created, target.describe);
          io.out(
            old.state === "revoked"
              ? `The old key ${old.prefix} is revoked.`
              : `The old key ${old.prefix} keeps working until ${old.expiresAt}, then stops.`,
          );
        }
        return await flushCache(target, io, json, `${old.prefix} is rotated`);
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}`);
      io.err("Run with --help for the options.");
      return 2;
    }
    if (error instanceof KeyManagementError) {
      io.err(`error: ${error.message}`);
      return 2;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    target?.close();
  }
}

const parse = (argv: string[]) =>
  (() => {
    try {
      return parseArgs({
        args: argv,
        strict: true,
        allowPositionals: true,
        options: {
          tenant: { type: "string" },
          scopes: { type: "string" },
          name: { type: "string" },
          key: { type: "string" },
          grace: { type: "string" },
          "data-dir": { type: "string" },
          endpoint: { type: "string" },
          "keys-table": { type: "string" },
          "stack-outputs": { type: "string" },
          stack: { type: "string" },
          json: { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
      });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  })();

/**
 * After a revoke or rotate: the gateway's cached answers for the key would let it work on
 * (a revoked key, or a rotated one past its new expiry) until they end. Notes go to stderr
 * with --json, so stdout stays one JSON document.
 */
async function flushCache(target: Target, io: Io, json: boolean, done: string): Promise<number> {
  const note = json ? io.err : io.out;
  const cache = target.authorizerCache;
  if (typeof cache === "string") {
    note(`${cache}: ${CACHE_NOTE}.`);
    return 0;
  }
  try {
    await cache.flush();
  } catch (error) {
    io.err(
      `error: ${done}, but flushing the authorizer cache of ${cache.describe} failed (${error instanceof Error ? error.message : String(error)}): ${CACHE_NOTE}. Retry, or check the apigateway:DELETE permission on the stage's cache/authorizers.`,
    );
    return 1;
  }
  note(
    `Flushed the authorizer cache of ${cache.describe}: the change applies to the next request.`,
  );
  return 0;
}

function createdJson(created: CreatedKey, now: Date) {
  return { key: created.key, ...keyView(created.record, now) };
}

function printCreated(io: Io, created: CreatedKey, where: string): void {
  const { record } = created;
  io.out(
    `Created key efk_${record.keyId} for tenant ${record.tenantId} (${record.scopes.join(", ")}) in ${where}:`,
  );
  io.out("");
  io.out(`  ${created.key}`);
  io.out("");
  io.out("This is the only time it is shown: only its hash is stored. Use it as");
  io.out(`  export ${API_KEY_VARIABLE}=${created.key}`);
  io.out(
    `  curl -H "Authorization: Bearer $${API_KEY_VARIABLE}" ...   (or curl -u "$${API_KEY_VARIABLE}:")`,
  );
}

function printList(io: Io, tenantId: string, keys: KeyView[]): void {
  if (keys.length === 0) {
    io.out(`Tenant ${tenantId} has no keys.`);
    return;
  }
  const rows = keys.map((k) => [
    k.prefix,
    k.state,
    k.scopes.join(","),
    k.createdAt,
    k.state === "revoked"
      ? `revoked ${k.revokedAt ?? ""}`
      : k.expiresAt
        ? `until ${k.expiresAt}`
        : "",
    k.name ?? "",
  ]);
  const header = ["KEY", "STATE", "SCOPES", "CREATED", "ENDS", "NAME"];
  printTable(io.out, header, rows);
}

/** The local runtime (runtime.json or an endpoint), or a deployed stack (outputs file). */
export function openTarget(
  options: TargetOptions,
  io: Io,
  clients: AwsClients = defaultClients,
): Target {
  const chosen = [options.stackOutputs, options.endpoint, options.dataDir].filter(Boolean);
  if (chosen.length > 1) {
    throw new UsageError("--stack-outputs, --endpoint and --data-dir exclude each other: pick one");
  }
  if (options.stackOutputs) return stackTarget(options.stackOutputs, options.stack, io, clients);
  const { endpoint, region, describe, info } = localDynamoTarget(options, io);
  const tableName = info?.keysTableName ?? options.keysTable ?? DEFAULT_KEYS_TABLE_NAME;
  const dynamodb = localDynamoDb(clients, endpoint, region, io.env);
  return {
    store: keyStoreOn(dynamodb, tableName),
    usage: localUsagePlans,
    describe,
    authorizerCache: "No API Gateway here (the local runtime does not flush its cache)",
    close: () => dynamodb.destroy(),
  };
}

function stackTarget(file: string, stack: string | undefined, io: Io, clients: AwsClients): Target {
  const outputs = readStackOutputs(file, io.readFile, [STACK_OUTPUT.keysTableName], stack);
  const tableName = outputs.get(STACK_OUTPUT.keysTableName);
  const usagePlanId = outputs.get(STACK_OUTPUT.usagePlanId);
  const region = stackRegion(outputs, io.env);
  const { stackName } = outputs;
  const dynamodb = clients.dynamodb({ region });
  const apigateway = clients.apigateway({ region });
  const restApiId = outputs.find(STACK_OUTPUT.restApiId);
  const stageName = outputs.find(STACK_OUTPUT.apiStageName);
  return {
    store: keyStoreOn(dynamodb, tableName),
    usage: new ApiGatewayUsagePlans(apigateway as never, { usagePlanId, stackName }),
    describe: `stack ${stackName} (${region})`,
    authorizerCache:
      restApiId && stageName
        ? stageAuthorizerCache(apigateway, restApiId, stageName)
        : `${file}: ${stackName} has no ${STACK_OUTPUT.restApiId} and ${STACK_OUTPUT.apiStageName} outputs (deployed before this version: redeploy), so its authorizer cache was not flushed`,
    close: () => {
      dynamodb.destroy();
      apigateway.destroy();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}

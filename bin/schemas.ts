#!/usr/bin/env node
/**
 * The schema registry from the command line, in the local runtime (its data folder's
 * runtime.json, or a DynamoDB endpoint) or in a deployed stack (`cdk deploy --outputs-file`,
 * AWS credentials from the environment). The same use cases as the API
 * (lambdas/use-cases/manage-schemas.ts), on the configuration table directly, like
 * `npm run keys`: compatibility checks and limits apply exactly as over HTTP.
 *
 *   npm run schemas -- register --tenant acme --type purchase --file purchase.schema.json
 *   npm run schemas -- list --tenant acme
 *   npm run schemas -- show --tenant acme --type purchase [--version 1]
 *   npm run schemas -- check --tenant acme --type purchase [--file F] [--event E]
 *   npm run schemas -- infer --tenant acme --type purchase [--out F]
 *   npm run schemas -- types --tenant acme --out src/event-types.ts
 */
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDbEventReader } from "../lambdas/adapters/dynamodb-event-reader.js";
import { DynamoDbSchemaStore } from "../lambdas/adapters/dynamodb-schema-store.js";
import { TENANT_ID_PATTERN } from "../lambdas/domain/event.js";
import {
  COMPATIBILITY_MODES,
  ENFORCEMENT_MODES,
  eventTypeParam,
} from "../lambdas/domain/schemas.js";
import type { EventReader } from "../lambdas/ports/event-store.js";
import type { SchemaStore } from "../lambdas/ports/schema-store.js";
import { inferFromEvents } from "../lambdas/use-cases/infer-schema.js";
import {
  checkSchema,
  getSchema,
  getSchemaVersion,
  listSchemas,
  registerSchema,
} from "../lambdas/use-cases/manage-schemas.js";
import { resolveSettings } from "../lib/config.js";
import { LOCAL_RUNTIME } from "../lib/contracts/local-runtime.js";
import { STACK_OUTPUT } from "../lib/contracts/stack-outputs.js";
import { type AwsClients, defaultClients, localDynamoDb } from "./tools/aws.js";
import { type CliIo, DEFAULT_CLI_IO } from "./tools/cli-io.js";
import { localDynamoTarget } from "./tools/local-runtime.js";
import { generateTypes } from "./tools/schema-types.js";
import { readStackOutputs, stackRegion } from "./tools/stack-outputs.js";
import { UsageError } from "./tools/usage-error.js";

/** The local runtime's events table (local/resources.ts). */
const LOCAL_EVENTS_TABLE = "eventflow-events";

const USAGE = `Usage: npm run schemas -- <command> --tenant <tenant> [options]

Commands:
  register --type X --file F     register a version: F is a JSON Schema 2020-12 for the events'
           [--compatibility M]   \`data\`, or a PUT /v1/schemas/{type} body ({"schema": ...,
           [--enforcement E]     "subject"?, "source"?}); prints the version (exit 1 when refused:
                                 incompatible, or a schema that cannot be used)
  list                           the tenant's types, latest versions, modes
  show --type X [--version N]    a type's latest version (or version N)
  check --type X [--file F] [--event E]
                                 would F register (compatibility)? does event E (JSON: an event or
                                 its data) validate against F, or the latest version? Changes nothing
  infer --type X [--out F]       a schema proposed from the type's stored events (up to 500)
  types [--out F]                TypeScript for the tenant's types, from their latest schemas:
                                 export interface EventTypes { "<type>": <data type>; ... }

  --tenant T           1-63 characters of a-z 0-9 - (the local runtime's key is tenant "local")
  --compatibility M    ${COMPATIBILITY_MODES.join(", ")} (default BACKWARD)
  --enforcement E      ${ENFORCEMENT_MODES.join(", ")} (default enforce)

Where (default: the local runtime started with npm start):
  --data-dir D          the local runtime's data folder (default .eventflow): its runtime.json
  --endpoint URL        a DynamoDB endpoint instead, e.g. a --memory runtime's (its ready line's
                        "dynamodb"); tables ${LOCAL_RUNTIME.configTableName} and ${LOCAL_EVENTS_TABLE}
  --stack-outputs F     a deployed stack: the file of cdk deploy --outputs-file F (ConfigTableName,
                        EventsTableName); credentials and region from the AWS environment
  --stack NAME          the stack in F when it holds several

  --json                machine-readable output
  -h, --help

Ingest applies a new version within schemaCacheSeconds (${resolveSettings().schemaCacheSeconds} s by default).
`;

export type Io = Pick<CliIo, "out" | "err" | "env" | "now" | "readFile" | "writeFile" | "isAlive">;

const defaultIo: Io = DEFAULT_CLI_IO;

export interface Target {
  store: SchemaStore;
  reader: EventReader;
  describe: string;
  close(): void;
}

interface TargetOptions {
  dataDir?: string;
  endpoint?: string;
  stackOutputs?: string;
  stack?: string;
}

const COMMANDS: Record<string, readonly string[]> = {
  register: ["type", "file", "compatibility", "enforcement"],
  list: [],
  show: ["type", "version"],
  check: ["type", "file", "event", "compatibility"],
  infer: ["type", "out"],
  types: ["out"],
};

const OPTIONAL = ["file", "event", "compatibility", "enforcement", "version", "out"] as const;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: "string" },
      type: { type: "string" },
      file: { type: "string" },
      event: { type: "string" },
      version: { type: "string" },
      out: { type: "string" },
      compatibility: { type: "string" },
      enforcement: { type: "string" },
      "data-dir": { type: "string" },
      endpoint: { type: "string" },
      "stack-outputs": { type: "string" },
      stack: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

const REGISTER_KEYS = new Set(["schema", "subject", "source", "compatibility", "enforcement"]);

/** A file: a registration body when it looks like one, else the `data` schema itself. */
function registrationOf(text: string, path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.includes("schema") && keys.every((k) => REGISTER_KEYS.has(k))) {
      return value as Record<string, unknown>;
    }
  }
  return { schema: value };
}

export async function main(
  argv: string[],
  io: Io = defaultIo,
  targetOf: (options: TargetOptions, io: Io) => Target = openTarget,
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
    const flags = COMMANDS[command ?? ""];
    if (!flags) {
      throw new UsageError(`unknown command "${command}": ${Object.keys(COMMANDS).join(", ")}`);
    }
    for (const flag of [...OPTIONAL, "type"] as const) {
      if (values[flag] !== undefined && !flags.includes(flag)) {
        throw new UsageError(`--${flag} does not apply to ${command}`);
      }
    }
    const tenantId = values.tenant;
    if (!tenantId) throw new UsageError("--tenant is required");
    if (!TENANT_ID_PATTERN.test(tenantId))
      throw new UsageError("--tenant: 1-63 characters of a-z 0-9 -");
    const type = values.type;
    if (flags.includes("type")) {
      if (!type) throw new UsageError(`${command} needs --type`);
      if (!eventTypeParam.safeParse(type).success) {
        throw new UsageError("--type: 1-128 characters of A-Z a-z 0-9 . _ : / -");
      }
    }
    if (
      values.compatibility &&
      !(COMPATIBILITY_MODES as readonly string[]).includes(values.compatibility)
    ) {
      throw new UsageError(`--compatibility: one of ${COMPATIBILITY_MODES.join(", ")}`);
    }
    if (
      values.enforcement &&
      !(ENFORCEMENT_MODES as readonly string[]).includes(values.enforcement)
    ) {
      throw new UsageError(`--enforcement: one of ${ENFORCEMENT_MODES.join(", ")}`);
    }
    if (command === "register" && !values.file) throw new UsageError("register needs --file");
    if (command === "check" && !values.file && !values.event) {
      throw new UsageError("check needs --file (a schema), --event (an event) or both");
    }
    const read = (path: string) => {
      try {
        return io.readFile(path);
      } catch (error) {
        throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
      }
    };

    target = targetOf(
      {
        ...(values["data-dir"] ? { dataDir: values["data-dir"] } : {}),
        ...(values.endpoint ? { endpoint: values.endpoint } : {}),
        ...(values["stack-outputs"] ? { stackOutputs: values["stack-outputs"] } : {}),
        ...(values.stack ? { stack: values.stack } : {}),
      },
      io,
    );
    const deps = { store: target.store, now: io.now };
    const json = values.json ?? false;
    const print = (value: unknown) => io.out(JSON.stringify(value, null, 2));
    const emit = (text: string) => {
      if (values.out) {
        io.writeFile(values.out, text);
        io.err(`Wrote ${values.out}`);
      } else io.out(text);
    };

    switch (command) {
      case "register": {
        const body = {
          ...registrationOf(read(values.file as string), values.file as string),
          ...(values.compatibility ? { compatibility: values.compatibility } : {}),
          ...(values.enforcement ? { enforcement: values.enforcement } : {}),
        };
        const r = await registerSchema(tenantId, type as string, body, deps);
        if ("view" in r) {
          const { view } = r;
          if (json) print(view);
          else {
            io.out(
              r.kind === "created"
                ? `Registered ${type} version ${view.version} (tenant ${tenantId}, ${target.describe}).`
                : `${type} version ${view.version} is identical: nothing new (settings applied).`,
            );
          }
          return 0;
        }
        const details = r.kind === "conflict" ? [] : r.details;
        const message =
          r.kind === "incompatible"
            ? `Refused: the schema breaks ${type}'s ${r.mode} compatibility`
            : r.message;
        if (json) print({ refused: r.kind, message, details });
        else {
          io.err(message);
          for (const d of details) io.err(`  ${d.path}: ${d.message}`);
        }
        return 1;
      }
      case "list": {
        const listed = await listSchemas(tenantId, deps);
        if (json) print(listed);
        else {
          io.out(
            `Tenant ${tenantId}: unregistered types are ${listed.settings.unregistered === "allow" ? "allowed" : "rejected"}`,
          );
          for (const t of listed.types) {
            io.out(
              `  ${t.type}  v${t.version}  ${t.compatibility}  ${t.enforcement}  ${t.updatedAt}`,
            );
          }
          if (listed.types.length === 0) io.out("  (no schemas)");
        }
        return 0;
      }
      case "show": {
        const shown = values.version
          ? await getSchemaVersion(tenantId, type as string, values.version, deps)
          : await getSchema(tenantId, type as string, deps);
        const view =
          shown && "kind" in shown ? (shown.kind === "found" ? shown.view : undefined) : shown;
        if (shown && "kind" in shown && shown.kind === "invalid")
          throw new UsageError("--version: 1, 2, ...");
        if (!view) {
          io.err(`No ${values.version ? `version ${values.version} of ` : "schema for "}${type}`);
          return 1;
        }
        print(view);
        return 0;
      }
      case "check": {
        const body: Record<string, unknown> = {};
        if (values.file) Object.assign(body, registrationOf(read(values.file), values.file));
        if (values.compatibility) body.compatibility = values.compatibility;
        if (values.event) {
          const event = JSON.parse(read(values.event)) as Record<string, unknown>;
          body.event = typeof event.data === "object" ? event : { data: event };
        }
        const r = await checkSchema(tenantId, type as string, body, deps);
        if (r.kind === "invalid") {
          io.err(r.message);
          for (const d of r.details) io.err(`  ${d.path}: ${d.message}`);
          return 1;
        }
        const { kind: _, ...answer } = r;
        print(answer);
        return (r.schema && !r.schema.compatible) || (r.event && !r.event.valid) ? 1 : 0;
      }
      case "infer": {
        const inferred = await inferFromEvents(tenantId, type as string, target.reader);
        if (inferred.sampled === 0) {
          io.err(`No stored events of ${type} (tenant ${tenantId})`);
          return 1;
        }
        io.err(`Inferred from ${inferred.sampled} events (${inferred.from} .. ${inferred.to})`);
        const body = {
          schema: inferred.schema,
          ...(inferred.subject ? { subject: inferred.subject } : {}),
          ...(inferred.source ? { source: inferred.source } : {}),
        };
        emit(`${JSON.stringify(body, null, 2)}\n`);
        return 0;
      }
      case "types": {
        const listed = await listSchemas(tenantId, deps);
        const text = await generateTypes(
          listed.types.map((t) => ({ type: t.type, version: t.version, schema: t.schema })),
          `Generated by \`npm run schemas -- types --tenant ${tenantId}\` from the latest registered schemas (${io.now().toISOString()}). Do not edit: generate again after registering a version.`,
        );
        emit(text);
        return 0;
      }
    }
    return 2;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n(npm run schemas -- --help)`);
      return 2;
    }
    io.err(`Failed: ${(error as Error).message}`);
    return 1;
  } finally {
    target?.close();
  }
}

const defaults = resolveSettings();

function onDynamoDb(dynamodb: DynamoDBClient, configTable: string, eventsTable: string) {
  const doc = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  // Inference pages through one request's events only: its cursors never leave this
  // process, so any key signs them.
  const cursorKey = randomBytes(32).toString("hex");
  return {
    store: new DynamoDbSchemaStore(doc, configTable),
    // The index sharding of the default settings: a stack deployed with other shard counts
    // is read partly (infer through GET /v1/schemas/{type}/inferred there).
    reader: new DynamoDbEventReader(doc, dynamodb, {
      tableName: eventsTable,
      timeShards: defaults.timeShards,
      typeShards: defaults.typeShards,
      statsShards: defaults.statsShards,
      failedShards: defaults.failedShards,
      cursorKey: async () => cursorKey,
    }),
  };
}

export function openTarget(
  options: TargetOptions,
  io: Io,
  clients: AwsClients = defaultClients,
): Target {
  const chosen = [options.stackOutputs, options.endpoint, options.dataDir].filter(Boolean);
  if (chosen.length > 1) {
    throw new UsageError("--stack-outputs, --endpoint and --data-dir exclude each other: pick one");
  }
  if (options.stackOutputs) {
    const outputs = readStackOutputs(
      options.stackOutputs,
      io.readFile,
      [STACK_OUTPUT.configTableName, STACK_OUTPUT.eventsTableName],
      options.stack,
    );
    const region = stackRegion(outputs, io.env);
    const dynamodb = clients.dynamodb({ region });
    return {
      ...onDynamoDb(
        dynamodb,
        outputs.get(STACK_OUTPUT.configTableName),
        outputs.get(STACK_OUTPUT.eventsTableName),
      ),
      describe: `stack ${outputs.stackName} (${region})`,
      close: () => dynamodb.destroy(),
    };
  }
  const { endpoint, region, describe } = localDynamoTarget(options, io);
  const dynamodb = localDynamoDb(clients, endpoint, region, io.env);
  return {
    ...onDynamoDb(dynamodb, LOCAL_RUNTIME.configTableName, LOCAL_EVENTS_TABLE),
    describe,
    close: () => dynamodb.destroy(),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}

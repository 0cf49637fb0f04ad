/**
 * The schema gate as ingest and replay build it from their environment record: the
 * registry on the configuration table, cached SCHEMA_CACHE_SECONDS (the schemaCacheSeconds
 * setting). One gate per execution environment: its caches are what make validation cheap.
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ENV } from "../../lib/contracts/environment.js";
import { DynamoDbSchemaStore } from "../adapters/dynamodb-schema-store.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import { SchemaGate, type SchemaLookupError } from "../use-cases/schema-gate.js";

export function schemaGateFrom(
  env: EnvRecord,
  documentClient: DynamoDBDocumentClient,
  failOpen?: (error: SchemaLookupError) => void,
): SchemaGate {
  const config = parseEnv(
    {
      [ENV.configTableName]: envVars[ENV.configTableName],
      [ENV.schemaCacheSeconds]: envVars[ENV.schemaCacheSeconds],
    },
    env,
  );
  return new SchemaGate(new DynamoDbSchemaStore(documentClient, config[ENV.configTableName]), {
    maxAgeMs: config[ENV.schemaCacheSeconds] * 1000,
    ...(failOpen ? { failOpen } : {}),
  });
}

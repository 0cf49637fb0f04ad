/**
 * The synthetic canary (on when canaryIntervalMinutes > 0): a schedule invokes it, it sends
 * one `eventflow.canary` event for the `eventflow-canary` tenant through the public API
 * and reads it back until processed; use-cases/run-canary.ts.
 *
 * Emits CanarySuccess (1/0) and, on success, CanaryLatency (ms), and logs the outcome. It
 * never throws for a failed run: the metric is the signal (alarms in
 * lib/constructs/monitoring.ts), and a thrown error would only be retried.
 *
 * Least privilege: PutItem on the keys table (its own short-lived key, hash only) and
 * apigateway:GET on its tenant's usage plan key (lib/constructs/canary.ts).
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { APIGatewayClient } from "@aws-sdk/client-api-gateway";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import * as z from "zod";
import { CANARY } from "../../lib/contracts/canary.js";
import { ENV } from "../../lib/contracts/environment.js";
import { ApiGatewayUsageKey } from "../adapters/apigateway-usage-key.js";
import { DynamoDbKeyStore } from "../adapters/dynamodb-key-store.js";
import { HttpCanaryApi } from "../adapters/http-canary-api.js";
import type { CanaryApi } from "../ports/canary.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import { logger, metrics } from "../shared/powertools.js";
import {
  CanaryKeyring,
  type CanaryOutcome,
  canaryMetrics,
  runCanary,
} from "../use-cases/run-canary.js";

export interface CanaryDeps {
  keyring: CanaryKeyring;
  api: CanaryApi;
  deadlineMs: number;
}

export function canaryDeps(
  env: EnvRecord,
  clients: { documentClient: DynamoDBDocumentClient; apigateway: APIGatewayClient },
): CanaryDeps {
  const config = parseEnv(
    {
      [ENV.keysTableName]: envVars[ENV.keysTableName],
      [ENV.apiUrl]: z.url(),
      [ENV.canaryUsageKeyId]: z.string().min(1),
      [ENV.canaryDeadlineSeconds]: z.coerce.number().int().min(1),
    },
    env,
  );
  return {
    keyring: new CanaryKeyring({
      store: new DynamoDbKeyStore(clients.documentClient, {
        tableName: config[ENV.keysTableName],
      }),
      usage: new ApiGatewayUsageKey(clients.apigateway, config[ENV.canaryUsageKeyId]),
      now: () => new Date(),
    }),
    api: new HttpCanaryApi(config[ENV.apiUrl]),
    deadlineMs: config[ENV.canaryDeadlineSeconds] * 1000,
  };
}

const UNITS = { Count: MetricUnit.Count, Milliseconds: MetricUnit.Milliseconds } as const;

export function createCanaryHandler({ keyring, api, deadlineMs }: CanaryDeps) {
  async function lambdaHandler(_event: unknown, _context: Context): Promise<CanaryOutcome> {
    const outcome = await runCanary({
      keyring,
      api,
      now: () => new Date(),
      clock: () => performance.now(),
      sleep: (ms) => sleep(ms),
      deadlineMs,
    });
    for (const m of canaryMetrics(outcome)) metrics.addMetric(m.name, UNITS[m.unit], m.value);
    logger.appendKeys({ tenantId: CANARY.tenantId });
    if (outcome.ok) logger.info("Canary event processed", { ...outcome });
    else logger.error("Canary run failed", { ...outcome });
    // The answer carries no key (CanaryOutcome has only its id): safe in a test invoke.
    return outcome;
  }
  return middy(lambdaHandler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

/**
 * The sweep function (use-cases/sweep-windows.ts): on AWS an EventBridge rule invokes it
 * once a minute with `{"passes": N}` and it makes N passes windowSweepSeconds apart (the
 * finest schedule EventBridge offers is a minute); the local runtime invokes it every
 * windowSweepSeconds with `{"passes": 1}`.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { ENV } from "../../lib/contracts/environment.js";
import { SqsEventQueue } from "../adapters/sqs-event-queue.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import { logger, metrics } from "../shared/powertools.js";
import { type SweepDeps, type SweepReport, SweepWindows } from "../use-cases/sweep-windows.js";
import { windowStoresFrom } from "./store-wiring.js";

export interface SweepHandlerDeps extends SweepDeps {
  sweepSeconds: number;
}

export function sweepDeps(
  env: EnvRecord,
  clients: { documentClient: DynamoDBDocumentClient; sqs: SQSClient },
): SweepHandlerDeps {
  const config = parseEnv({ [ENV.queueUrl]: envVars[ENV.queueUrl] }, env);
  const stores = windowStoresFrom(env, clients.documentClient);
  return {
    declarations: stores.declarations,
    contributions: stores.contributions,
    queue: new SqsEventQueue(clients.sqs, config[ENV.queueUrl], {
      onError: (message, detail) => logger.error(message, detail),
    }),
    fenceMs: stores.fenceMs,
    sweepSeconds: stores.sweepSeconds,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createSweepHandler(deps: SweepHandlerDeps) {
  const sweep = new SweepWindows(deps);
  async function lambdaHandler(
    event: { passes?: unknown } | undefined,
    context: Context,
  ): Promise<{ passes: number; emitted: number; failed: number }> {
    const requested = typeof event?.passes === "number" ? Math.floor(event.passes) : 1;
    const passes = Math.min(Math.max(requested, 1), 60);
    const total = { passes: 0, emitted: 0, failed: 0 };
    for (let i = 0; i < passes; i++) {
      const started = Date.now();
      const report: SweepReport = await sweep.pass();
      total.passes++;
      total.emitted += report.emitted;
      total.failed += report.failed;
      if (report.emitted > 0 || report.failed > 0) {
        logger.info("Sweep pass", {
          ...report,
          lagsMs: undefined,
          emittedLagMaxMs: Math.max(0, ...report.lagsMs),
        });
      }
      if (i === passes - 1) break;
      const wait = deps.sweepSeconds * 1000 - (Date.now() - started);
      // Leave the invocation before its timeout, whatever was asked.
      if (context.getRemainingTimeInMillis() < wait + 15_000) break;
      if (wait > 0) await sleep(wait);
    }
    return total;
  }
  return middy(lambdaHandler).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}

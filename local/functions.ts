/**
 * The platform's functions as the local runtime runs them: their limits from the
 * settings, each function's own environment record (functionEnvironment, as in AWS),
 * and handlers built on first use (a cold start) by the same wiring as the Lambda entry
 * modules (lambdas/entry), with the SDK clients the runtime injects. Nothing is read
 * from or written to process.env.
 */
import type { APIGatewayClient } from "@aws-sdk/client-api-gateway";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SESv2Client } from "@aws-sdk/client-sesv2";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { SecretReader } from "../lambdas/ports/secrets.js";
import type { EnvRecord } from "../lambdas/shared/env.js";
import type { EventFlowSettings } from "../lib/config.js";
import {
  type AnyFunctionName,
  FUNCTION_ENTRIES,
  type FunctionName,
  functionSizing,
} from "../lib/contracts/functions.js";
import type { AnyHandler, FunctionConfig } from "./lambda.js";

export const FUNCTION_NAMES = Object.keys(FUNCTION_ENTRIES) as FunctionName[];

/** Prefix of the local function names (what handlers see as context.functionName). */
export const FUNCTION_PREFIX = "eventflow-";

export function functionConfig(
  name: FunctionName,
  settings: EventFlowSettings,
  region: string,
): FunctionConfig {
  return {
    name,
    functionName: `${FUNCTION_PREFIX}${name}`,
    region,
    ...functionSizing(name, settings),
  };
}

/** The SDK clients a function's handler is built with (the runtime's, or a test's). */
export interface HandlerClients {
  dynamodb: DynamoDBClient;
  /** Built on `dynamodb`, sharing its middleware (fault injection included). */
  documentClient: DynamoDBDocumentClient;
  sqs: SQSClient;
  /** Where query and replay read the cursors' key (local/secrets.ts locally). */
  secrets: SecretReader;
  /** The archive bucket's S3 (the embedded one locally). */
  s3: S3Client;
  apigateway?: APIGatewayClient;
  /** The deliver function's targets: SNS on fauxqs; SES and EventBridge the local outbox. */
  sns?: Pick<SNSClient, "send">;
  eventBridge?: Pick<EventBridgeClient, "send">;
  ses?: Pick<SESv2Client, "send">;
}

/** What a handler is built from: the function's environment record and the clients. */
export interface FunctionSetup {
  name: FunctionName;
  environment: EnvRecord;
  clients: HandlerClients;
}

/** Tests: builds a handler in place of a function's own (it gets the same setup). */
export type HandlerFactory = (setup: FunctionSetup) => AnyHandler | Promise<AnyHandler>;

/**
 * Environment record + clients -> handler, per function: the same `xDeps` the entry
 * modules call with process.env. Imported on first use, as Lambda loads a module.
 */
const WIRING: Record<AnyFunctionName, (env: EnvRecord, c: HandlerClients) => Promise<AnyHandler>> =
  {
    ingest: async (env, c) => {
      const m = await import("../lambdas/handlers/ingest.js");
      return m.createIngestHandler(m.ingestDeps(env, c)) as AnyHandler;
    },
    query: async (env, c) => {
      const m = await import("../lambdas/handlers/query.js");
      return m.createQueryHandler(m.queryDeps(env, c)) as AnyHandler;
    },
    process: async (env, c) => {
      const m = await import("../lambdas/handlers/process.js");
      return m.createProcessHandler(m.processDeps(env, c)) as AnyHandler;
    },
    dlq: async (env, c) => {
      const m = await import("../lambdas/handlers/dlq.js");
      return m.createDlqHandler(m.dlqDeps(env, c)) as AnyHandler;
    },
    replay: async (env, c) => {
      const m = await import("../lambdas/handlers/replay.js");
      return m.createReplayHandler(m.replayDeps(env, c)) as AnyHandler;
    },
    schemas: async (env, c) => {
      const m = await import("../lambdas/handlers/schemas.js");
      return m.createSchemasHandler(m.schemasDeps(env, c)) as AnyHandler;
    },
    rules: async (env, c) => {
      const m = await import("../lambdas/handlers/rules.js");
      return m.createRulesHandler(m.rulesDeps(env, c)) as AnyHandler;
    },
    authorizer: async (env, c) => {
      const m = await import("../lambdas/handlers/authorizer.js");
      return m.createAuthorizerHandler(m.authorizerDeps(env, c)) as AnyHandler;
    },
    archive: async (env, c) => {
      const m = await import("../lambdas/handlers/archive.js");
      return m.createArchiveHandler(m.archiveDeps(env, c)) as AnyHandler;
    },
    history: async (env, c) => {
      const m = await import("../lambdas/handlers/history.js");
      return m.createHistoryHandler(m.historyDeps(env, c)) as AnyHandler;
    },
    jobs: async (env, c) => {
      const m = await import("../lambdas/handlers/jobs.js");
      return m.createJobsHandler(m.jobsDeps(env, c)) as AnyHandler;
    },
    destinations: async (env, c) => {
      const m = await import("../lambdas/handlers/destinations.js");
      return m.createDestinationsHandler(m.destinationsDeps(env, c)) as AnyHandler;
    },
    deliver: async (env, c) => {
      const { sns, eventBridge, ses } = c;
      if (!sns || !eventBridge || !ses)
        throw new Error("the deliver function needs SNS, EventBridge and SES clients");
      const m = await import("../lambdas/handlers/deliver.js");
      return m.createDeliverHandler(
        m.deliverDeps(env, { ...c, sns, eventBridge, ses }),
      ) as AnyHandler;
    },
    windows: async (env, c) => {
      const m = await import("../lambdas/handlers/windows.js");
      return m.createWindowsHandler(m.windowsDeps(env, c)) as AnyHandler;
    },
    sweep: async (env, c) => {
      const m = await import("../lambdas/handlers/sweep.js");
      return m.createSweepHandler(m.sweepDeps(env, c)) as AnyHandler;
    },
    canary: async (env, c) => {
      if (!c.apigateway) throw new Error("the canary needs an API Gateway client");
      const m = await import("../lambdas/handlers/canary.js");
      return m.createCanaryHandler(
        m.canaryDeps(env, { documentClient: c.documentClient, apigateway: c.apigateway }),
      ) as AnyHandler;
    },
  };

/** A function's handler, built as its Lambda entry module builds it. */
export const buildHandler = (
  name: AnyFunctionName,
  environment: EnvRecord,
  clients: HandlerClients,
): Promise<AnyHandler> => WIRING[name](environment, clients);

/** Builds a handler on first use; an init error is reported like Lambda's, and retried. */
export class HandlerLoader {
  private readonly loaded = new Map<FunctionName, Promise<AnyHandler>>();

  constructor(
    private readonly setup: (name: FunctionName) => FunctionSetup,
    /** Test seam: handlers built instead of the functions' own. */
    private readonly overrides: Partial<Record<FunctionName, HandlerFactory>> = {},
    /** Wraps each handler once built (fault injection: local/faults.ts). */
    private readonly wrap: (name: FunctionName, handler: AnyHandler) => AnyHandler = (_, h) => h,
  ) {}

  get(name: FunctionName): Promise<AnyHandler> {
    let pending = this.loaded.get(name);
    if (!pending) {
      pending = this.load(name);
      this.loaded.set(name, pending);
      // A failed init is retried on the next invocation (a new environment in Lambda).
      pending.catch(() => this.loaded.delete(name));
    }
    return pending;
  }

  private async load(name: FunctionName): Promise<AnyHandler> {
    const setup = this.setup(name);
    const override = this.overrides[name];
    const handler = override
      ? await override(setup)
      : await buildHandler(name, setup.environment, setup.clients);
    return this.wrap(name, handler);
  }
}

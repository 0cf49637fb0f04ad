/**
 * The EventFlow stack: stateful storage, the API, asynchronous processing and
 * monitoring, composed from settings that come from CDK context.
 */
import { type App, CfnOutput, Stack, type StackProps, Tags, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { Construct } from "constructs";
import {
  CONTEXT_PREFIX,
  type EventFlowSettings,
  SettingsError,
  settingsFromContext,
  settingsSchema,
} from "./config.js";
import { EventApi } from "./constructs/api.js";
import { EventCanary } from "./constructs/canary.js";
import { EventDelivery } from "./constructs/delivery.js";
import type { EventFlowFunction } from "./constructs/eventflow-function.js";
import { EventHistory } from "./constructs/history.js";
import { EventMonitoring } from "./constructs/monitoring.js";
import { EventProcessing } from "./constructs/processing.js";
import { EventStorage } from "./constructs/storage.js";
import { EventWindows } from "./constructs/windows.js";
import type { FunctionName, ResourceRefs } from "./contracts/functions.js";
import { STACK_OUTPUT } from "./contracts/stack-outputs.js";

export const DEFAULT_STACK_NAME = "EventFlow";
/** Context keys outside the settings schema: they shape the app, not the platform. */
export const STACK_NAME_CONTEXT = "eventflow:stackName";
export const STAGE_NAME_CONTEXT = "eventflow:apiStageName";

/** Why the API authorizes with API keys and a Lambda authorizer rather than Cognito. */
export const COGNITO_REASON =
  "callers are event producers and services with per-source write keys (as Segment/RudderStack/PostHog SDKs send them: Bearer or Basic), not users who sign in; every method has the Lambda REQUEST authorizer that checks the key (hash in DynamoDB), its tenant and scopes, and returns the tenant's usage plan key. A Cognito user pool would add a sign-in flow no producer can follow";

export interface EventFlowStackProps extends StackProps {
  settings: EventFlowSettings;
  /** Where the handlers are bundled from (tests use stubs); see EventFlowFunctionProps. */
  projectRoot?: string;
  /** API Gateway stage; routes carry their own /v1 prefix. */
  apiStageName?: string;
}

export class EventFlowStack extends Stack {
  public readonly settings: EventFlowSettings;
  public readonly storage: EventStorage;
  public readonly api: EventApi;
  public readonly processing: EventProcessing;
  public readonly delivery: EventDelivery;
  public readonly monitoring: EventMonitoring;
  /** Archive, compaction, history jobs, Glue table and Athena workgroup (README "History"). */
  public readonly history: EventHistory;
  /** Windows and patterns: the windows API function and the scheduled sweep. */
  public readonly windows: EventWindows;
  public readonly functions: Readonly<Record<FunctionName, EventFlowFunction>>;
  /** The synthetic canary, deployed when canaryIntervalMinutes > 0. */
  public readonly canary?: EventCanary;

  constructor(scope: Construct, id: string, props: EventFlowStackProps) {
    const { settings, projectRoot, apiStageName, ...stackProps } = props;
    super(scope, id, {
      description: "EventFlow: HTTPS ingest, SQS, Lambda, DynamoDB, dead-letter handling",
      ...stackProps,
    });
    this.settings = settings;
    Tags.of(this).add("project", "eventflow");
    if (settings.deliveryAllowLoopback) {
      throw new SettingsError(
        "Invalid EventFlow settings: deliveryAllowLoopback is for the local runtime only; a deployed stack never lets webhooks reach loopback",
      );
    }

    this.storage = new EventStorage(this, "Storage", { settings });
    const refs: ResourceRefs = {
      tableName: this.storage.table.tableName,
      queueUrl: this.storage.queue.queueUrl,
      dlqUrl: this.storage.deadLetterQueue.queueUrl,
      keysTableName: this.storage.keysTable.tableName,
      configTableName: this.storage.configTable.tableName,
      cursorSecretId: this.storage.cursorKey.secretArn,
      archiveBucketName: this.storage.archiveBucket.bucketName,
      jobsQueueUrl: this.storage.jobsQueue.queueUrl,
      deliveryQueueUrl: this.storage.deliveryQueue.queueUrl,
      deliveryFifoQueueUrl: this.storage.deliveryFifoQueue.queueUrl,
      deliveryDlqUrl: this.storage.deliveryDeadLetterQueue.queueUrl,
      deliveriesTableName: this.storage.deliveriesTable.tableName,
      destinationSecretId: this.storage.destinationKey.secretArn,
    };
    this.windows = new EventWindows(this, "Windows", {
      settings,
      storage: this.storage,
      refs,
      projectRoot,
    });
    this.api = new EventApi(this, "Api", {
      settings,
      storage: this.storage,
      refs,
      projectRoot,
      stageName: apiStageName,
      windows: this.windows,
    });
    this.processing = new EventProcessing(this, "Processing", {
      settings,
      storage: this.storage,
      refs,
      projectRoot,
    });
    this.history = new EventHistory(this, "History", {
      settings,
      storage: this.storage,
      refs,
      projectRoot,
    });
    this.delivery = new EventDelivery(this, "Delivery", {
      settings,
      storage: this.storage,
      refs,
      projectRoot,
    });
    // The only senders to the events queue: a message's tenantId is trusted downstream.
    // The sweep sends derived events (window.closed, pattern.matched) under their tenant, the
    // jobs function replays archived events, the deliver function eventflow.destination.disabled.
    this.storage.restrictQueueSenders([
      this.api.ingestFunction.role,
      this.api.replayFunction.role,
      this.windows.sweepFunction.role,
      this.history.jobsFunction.role,
      this.delivery.deliverFunction.role,
    ]);
    // Deliveries carry their tenant too: enqueued by the process function (a rule's
    // route), the destinations API (retry, replay) and the jobs function (a history
    // replay to one destination) only.
    this.storage.restrictDeliverySenders([
      this.processing.processFunction.role,
      this.api.destinationsFunction.role,
      this.history.jobsFunction.role,
    ]);
    this.functions = {
      ingest: this.api.ingestFunction,
      query: this.api.queryFunction,
      process: this.processing.processFunction,
      dlq: this.processing.dlqFunction,
      replay: this.api.replayFunction,
      authorizer: this.api.authorizerFunction,
      archive: this.history.archiveFunction,
      history: this.api.historyFunction,
      jobs: this.history.jobsFunction,
      schemas: this.api.schemasFunction,
      destinations: this.api.destinationsFunction,
      deliver: this.delivery.deliverFunction,
      rules: this.api.rulesFunction,
      windows: this.windows.windowsFunction,
      sweep: this.windows.sweepFunction,
    };
    if (settings.canaryIntervalMinutes > 0) {
      this.canary = new EventCanary(this, "Canary", {
        settings,
        storage: this.storage,
        api: this.api,
        refs,
        projectRoot,
      });
    }
    this.monitoring = new EventMonitoring(this, "Monitoring", {
      settings,
      storage: this.storage,
      // The canary's own errors and throttles are watched like every function's.
      functions: [
        ...Object.values(this.functions),
        ...(this.canary ? [this.canary.canaryFunction] : []),
      ],
      apiStage: this.api.restApi.deploymentStage,
      history: this.history,
      ...(this.canary ? { canary: this.canary } : {}),
    });

    this.suppressNagFindings();

    new CfnOutput(this, STACK_OUTPUT.apiUrl, {
      description: "Base URL of the API, stage included, no trailing slash; routes start with /v1",
      value: this.api.url,
    });
    // What `npm run keys -- revoke|rotate` flushes: the stage's authorizer cache.
    new CfnOutput(this, STACK_OUTPUT.restApiId, {
      description: "The REST API (npm run keys flushes its stage's authorizer cache)",
      value: this.api.restApi.restApiId,
    });
    new CfnOutput(this, STACK_OUTPUT.apiStageName, {
      value: this.api.restApi.deploymentStage.stageName,
    });
    new CfnOutput(this, STACK_OUTPUT.eventsTableName, { value: this.storage.table.tableName });
    // What `npm run keys -- --stack-outputs <file>` needs to manage keys on this stack.
    new CfnOutput(this, STACK_OUTPUT.keysTableName, {
      description: "API keys (hashes) and tenants' usage plan keys: npm run keys",
      value: this.storage.keysTable.tableName,
    });
    // What `npm run schemas -- --stack-outputs <file>` needs: the schemas live in it.
    new CfnOutput(this, STACK_OUTPUT.configTableName, {
      description: "Tenant configuration (event schemas): npm run schemas",
      value: this.storage.configTable.tableName,
    });
    new CfnOutput(this, STACK_OUTPUT.usagePlanId, {
      description: "The default per-tenant usage plan each tenant's API Gateway API key joins",
      value: this.api.usagePlan.usagePlanId,
    });
    new CfnOutput(this, STACK_OUTPUT.queueUrl, { value: this.storage.queue.queueUrl });
    new CfnOutput(this, STACK_OUTPUT.dlqUrl, { value: this.storage.deadLetterQueue.queueUrl });
    new CfnOutput(this, STACK_OUTPUT.dashboardName, {
      value: this.monitoring.dashboard.dashboardName,
    });
    new CfnOutput(this, STACK_OUTPUT.alarmTopicArn, {
      value: this.monitoring.alarmTopic.topicArn,
    });
    // What `npm run history` needs on AWS: Athena's workgroup and database, the bucket.
    new CfnOutput(this, STACK_OUTPUT.archiveBucketName, {
      description: "The archive bucket (history: events as Parquet, exports)",
      value: this.storage.archiveBucket.bucketName,
    });
    new CfnOutput(this, STACK_OUTPUT.historyDatabase, { value: this.history.databaseName });
    new CfnOutput(this, STACK_OUTPUT.historyWorkGroup, {
      value: this.history.workGroup.name,
    });
    if (this.canary) {
      new CfnOutput(this, STACK_OUTPUT.canaryFunctionName, {
        description: "The synthetic canary: invoke it for one run now (README#runbook-canary)",
        value: this.canary.canaryFunction.function.functionName,
      });
    }
  }

  /** Each accepted finding, scoped to the resource it concerns, with its reason. */
  private suppressNagFindings(): void {
    // Acknowledged on the API construct: covers its methods, stage and deployment. No
    // acknowledgement of APIG4 (authorization): every method has the key authorizer.
    Validations.of(this.api.restApi).acknowledge(
      { id: "AwsSolutions-COG4", reason: COGNITO_REASON },
      {
        id: "AwsSolutions-APIG2",
        reason:
          "the ingest handler validates every body (schema, sizes, batch limits) and answers in the same error shape in AWS and in the local runtime; an API Gateway model would answer malformed bodies in a different shape",
      },
      {
        id: "AwsSolutions-APIG3",
        reason:
          "a WAFv2 web ACL is a per-account cost and rule-set decision; every method needs an API key, per-tenant usage plans and stage throttling bound abuse, and an ACL can be associated with the stage without changing this stack",
      },
      {
        id: "AwsSolutions-APIG6",
        reason:
          "execution logging needs the account-wide API Gateway CloudWatch role (AWS::ApiGateway::Account), which one stack per account must own; this stack does not, so stages can share an account. JSON access logs, detailed metrics and X-Ray tracing are on",
      },
    );
  }
}

export interface CreateEventFlowOptions {
  /** See EventFlowFunctionProps.projectRoot. */
  projectRoot?: string;
}

/**
 * Adds the stack to an app from the app's context (settings, stack name, stage) and
 * applies cdk-nag, exactly as bin/eventflow.ts does; the tests call it too.
 */
export function createEventFlowStack(
  app: App,
  options: CreateEventFlowOptions = {},
): EventFlowStack {
  rejectUnknownContextKeys(app);
  const settings = settingsFromContext((key) => app.node.tryGetContext(key));
  const stackId = contextString(app, STACK_NAME_CONTEXT) ?? DEFAULT_STACK_NAME;
  const stack = new EventFlowStack(app, stackId, {
    settings,
    projectRoot: options.projectRoot,
    apiStageName: contextString(app, STAGE_NAME_CONTEXT),
  });
  // cdk-nag 3 runs as a policy-validation plugin: any unacknowledged finding fails synth.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}

/** A misspelt `-c eventflow:procesBatchSize=50` would otherwise be ignored silently. */
function rejectUnknownContextKeys(app: App): void {
  const known = new Set([
    ...Object.keys(settingsSchema.shape).map((key) => `${CONTEXT_PREFIX}${key}`),
    STACK_NAME_CONTEXT,
    STAGE_NAME_CONTEXT,
  ]);
  const context: Record<string, unknown> = app.node.getAllContext();
  const unknown = Object.keys(context).filter(
    (key) => key.startsWith(CONTEXT_PREFIX) && !known.has(key),
  );
  if (unknown.length > 0) {
    throw new SettingsError(
      `Invalid EventFlow settings: unknown context key(s) ${unknown.join(", ")}; known keys: ${[...known].join(", ")}`,
    );
  }
}

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new SettingsError(`Context ${key} must be a string`);
  return value;
}

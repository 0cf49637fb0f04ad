/**
 * The one place where function defaults live: runtime, architecture, bundling,
 * tracing, sizing, environment, an explicit log group and an explicit role.
 * Every EventFlow function is built here, so no setting is copied per function.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import type { IApiKey } from "aws-cdk-lib/aws-apigateway";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { type BundlingOptions, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { EventFlowSettings } from "../config.js";
import { ENV } from "../contracts/environment.js";
import {
  type AnyFunctionName,
  entryOf,
  functionEnvironment,
  functionSizing,
  type ResourceRefs,
} from "../contracts/functions.js";
import { KEYS_TABLE, TABLE } from "../contracts/tables.js";

/** The repository root: FUNCTION_ENTRIES and the lock file are relative to it. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The SDK default credential chain's providers that read the shared config files
 * (~/.aws/config and credentials: profiles, SSO, credential_process, a web identity token
 * file). The chain imports each lazily, only when the ones before it found nothing, and they
 * bring the nested STS, SSO, SSO-OIDC and sign-in clients (~117 KB of every bundle,
 * measured by `npm run bench -- --only coldstart`). On Lambda the chain's first provider,
 * the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, which Lambda
 * and LocalStack's Lambda set from the execution role), always answers, so the bundles leave
 * these out: the chain itself is unchanged, and the container and instance metadata
 * providers after them stay in. Only a function given AWS_PROFILE by hand would reach one,
 * and fail loudly ("Cannot find package '@aws-sdk/credential-provider-ini'"). Clients given
 * `credentials` (the local runtime, the tests) never run the chain.
 * test/unit/lib/constructs/bundling.test.ts runs a bundled client both ways.
 */
export const PROFILE_CREDENTIAL_PROVIDERS = [
  "@aws-sdk/credential-provider-ini",
  "@aws-sdk/credential-provider-process",
  "@aws-sdk/credential-provider-sso",
  "@aws-sdk/credential-provider-web-identity",
] as const;

/** A module shipped as a second file next to a function's `index.js`, loaded lazily. */
export interface SideBundle {
  /** The source, relative to the project root. */
  entry: string;
  /** Its file in the asset; the main file imports it as `./<file>` (left external). */
  file: string;
  /** The functions whose main file imports it (a bundle that imports it must ship it). */
  functions: readonly AnyFunctionName[];
}

/**
 * Modules that leave the main file of the functions that rarely need them:
 * - the schema validator (ajv, ajv-formats, re2js: ~290 KB), loaded the first time a
 *   tenant's type has a schema (lambdas/domain/schema-validator-loader.ts);
 * - the OpenAPI document's builder (~60 KB of the query function), loaded the first time
 *   GET /v1/openapi.json is asked for (lambdas/http/openapi-document-loader.ts);
 * - the expression engine (jsonata and re2js: ~234 KB of the process and rules functions),
 *   loaded the first time a tenant's rules have an expression outside the fast path's
 *   shapes (lambdas/domain/expression-engine-loader.ts);
 * - the sns, eventbridge and email destination kinds' transports with their SDK clients
 *   (~130 KB of the deliver function), each loaded on the first delivery of its kind
 *   (lambdas/adapters/delivery-sender-loaders.ts);
 * - the history API's archive store (the S3 client, hyparquet, hyparquet-writer: ~280 KB),
 *   loaded by the first route that reads the archive or signs a download
 *   (lambdas/handlers/archive-store-loader.ts);
 * - the Parquet reader (hyparquet, ~55 KB of the archive function), loaded by the first
 *   splitter or compaction run: stream batches only write (lambdas/adapters/parquet-reader-loader.ts).
 */
export const SIDE_BUNDLES: readonly SideBundle[] = [
  {
    entry: "lambdas/domain/schema-validator.ts",
    file: "schema-validator.js",
    functions: ["ingest", "replay", "schemas"],
  },
  {
    entry: "lambdas/http/openapi-document.ts",
    file: "openapi-document.js",
    functions: ["query"],
  },
  {
    entry: "lambdas/domain/expression-engine.ts",
    file: "expression-engine.js",
    functions: ["process", "rules"],
  },
  {
    entry: "lambdas/adapters/sns-sender.ts",
    file: "sns-sender.js",
    functions: ["deliver"],
  },
  {
    entry: "lambdas/adapters/eventbridge-sender.ts",
    file: "eventbridge-sender.js",
    functions: ["deliver"],
  },
  {
    entry: "lambdas/adapters/email-sender.ts",
    file: "email-sender.js",
    functions: ["deliver"],
  },
  {
    entry: "lambdas/handlers/archive-store-wiring.ts",
    file: "archive-store-wiring.js",
    functions: ["history"],
  },
  {
    entry: "lambdas/adapters/parquet-reader.ts",
    file: "parquet-reader.js",
    functions: ["archive"],
  },
];

/**
 * How every function is bundled (esbuild through NodejsFunction). Exported so the
 * benchmarks (load-testing/bench) build byte-identical bundles to measure.
 */
export const FUNCTION_BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  minify: true,
  sourceMap: true,
  // The handlers' own sources are not shipped; stack traces still map to file:line.
  sourcesContent: false,
  // CommonJS, not ESM (issue 20, cold start): an ESM bundle imports node:http through an ESM
  // facade that reads every export of the built-in, and Node 24's http loads undici lazily
  // behind one of them: +12 ms of init per function for nothing. No entry uses top-level
  // await; `npm run bench -- --only coldstart` measures both formats' difference.
  format: OutputFormat.CJS,
  target: "node24",
  mainFields: ["module", "main"],
  // The SDK version the tests ran against, not whatever the runtime ships that week.
  bundleAwsSDK: true,
  externalModules: [...PROFILE_CREDENTIAL_PROVIDERS, ...SIDE_BUNDLES.map((b) => `./${b.file}`)],
};

/**
 * esbuild command lines that build a function's side bundles into `outputDir` with the
 * options the main file gets, its external modules included (a side file with an SDK client
 * leaves out the same profile-file credential providers; one side file may load another).
 * NodejsFunction's local bundling runs them through bash in the project root, after the main
 * file (`commandHooks.afterBundling`). The bench runs the same commands, so it measures what
 * ships.
 */
export function sideBundleCommands(
  name: AnyFunctionName,
  inputDir: string,
  outputDir: string,
  bundling: BundlingOptions = FUNCTION_BUNDLING,
): string[] {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  return SIDE_BUNDLES.filter((b) => (b.functions as readonly string[]).includes(name)).map((b) =>
    [
      "npx --no-install esbuild --bundle",
      quote(join(inputDir, b.entry)),
      `--target=${bundling.target ?? "node24"}`,
      "--platform=node",
      ...(bundling.format ? [`--format=${bundling.format}`] : []),
      `--outfile=${quote(join(outputDir, b.file))}`,
      ...(bundling.minify ? ["--minify"] : []),
      ...(bundling.sourceMap ? ["--sourcemap"] : []),
      ...(bundling.sourcesContent === false ? ["--sources-content=false"] : []),
      ...(bundling.mainFields ? [`--main-fields=${bundling.mainFields.join(",")}`] : []),
      ...(bundling.externalModules ?? []).map((m) => `--external:${quote(m)}`),
      "--log-level=warning",
    ].join(" "),
  );
}

/**
 * What a function may do with the table.
 * - read: look items up and query the table and its indexes (the query API).
 * - write: conditional writes plus the GetItem that reads an item before deciding;
 *   no deletes, no scans, no index reads.
 */
export type TableAccess = "read" | "write";

const TABLE_ACTIONS: Record<TableAccess, readonly string[]> = {
  read: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable"],
  write: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
};

/**
 * What a function may do with the tenant configuration table (CONFIG_TABLE).
 * - read: a tenant's declarations (Query on its partition);
 * - manage: read + PutItem/DeleteItem (the declaring API);
 * - sweep: every tenant's declarations (Scan) and GetItem.
 */
/**
 * What a function may do with the tenant configuration table. DynamoDB has no IAM condition
 * on sort keys, so none can be narrowed to one kind of item. `lookup`: GetItem only (ingest
 * and replay read a type's schema item by its key); `registry`: the schemas function (Get,
 * Query, conditional Put of new versions; soft deletes are puts: no DeleteItem).
 */
export type ConfigAccess = "read" | "lookup" | "registry" | "manage" | "sweep" | "jobs";

const CONFIG_ACTIONS: Record<ConfigAccess, readonly string[]> = {
  read: ["dynamodb:Query"],
  lookup: ["dynamodb:GetItem"],
  registry: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
  manage: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"],
  sweep: ["dynamodb:GetItem", "dynamodb:Scan"],
  // History jobs (exports, replays, erasures) are items there: written with UpdateItem.
  jobs: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
};

/** What a function may do with a queue; consuming is granted by the event source mapping. */
export type QueueAccess = "send" | "inspect";

const QUEUE_ACTIONS: Record<QueueAccess, readonly string[]> = {
  send: ["sqs:SendMessage"],
  inspect: ["sqs:GetQueueAttributes"],
};

export interface EventFlowFunctionProps {
  name: AnyFunctionName;
  settings: EventFlowSettings;
  refs: ResourceRefs;
  /**
   * Where handler entries (entryOf) and package-lock.json are looked up and bundling
   * runs (tests point it at a folder of stub handlers).
   * @default REPO_ROOT
   */
  projectRoot?: string;
  /** @default RetentionDays.ONE_MONTH */
  logRetention?: RetentionDays;
}

export class EventFlowFunction extends Construct {
  public readonly name: AnyFunctionName;
  public readonly function: NodejsFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: EventFlowFunctionProps) {
    super(scope, id);
    const { name, settings, refs } = props;
    const projectRoot = props.projectRoot ?? REPO_ROOT;
    const entry = resolve(projectRoot, entryOf(name));
    if (!existsSync(entry)) {
      throw new Error(`EventFlow function "${name}": handler entry ${entry} does not exist`);
    }
    const sizing = functionSizing(name, settings);

    this.name = name;
    // Logs are operational data, not the platform's data: they go with the stack.
    this.logGroup = new LogGroup(this, "LogGroup", {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole: it may write to its own
    // log group only, and every other permission is granted by name below.
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `EventFlow ${name} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, "Function", {
      description: `EventFlow ${name}`,
      entry,
      handler: "handler",
      projectRoot,
      depsLockFilePath: resolve(projectRoot, "package-lock.json"),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: sizing.memoryMb,
      timeout: Duration.seconds(sizing.timeoutSeconds),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: functionEnvironment(name, settings, refs),
      bundling: {
        ...FUNCTION_BUNDLING,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) => sideBundleCommands(name, inputDir, outputDir),
        },
      },
    });
    // Active tracing adds xray:PutTraceSegments/PutTelemetryRecords on "*".
    Validations.of(this.role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions; the wildcard covers only those two actions, added by active tracing",
    });
  }

  /** Grants table access by name; `read` also covers every index (queries run on them). */
  public bindTable(table: ITable, access: TableAccess, indexNames: readonly string[] = []): void {
    const resources = [table.tableArn];
    if (access === "read") {
      // Each index by name rather than `<table>/index/*`: no wildcard to justify.
      for (const index of indexNames) resources.push(`${table.tableArn}/index/${index}`);
    }
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...TABLE_ACTIONS[access]], resources }),
    );
  }

  /**
   * Replay: Query the failed index (it projects every attribute, so no BatchGetItem), and
   * GetItem plus conditional UpdateItem of failed items; no puts, deletes or scans.
   */
  public bindFailedReplay(table: ITable): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        resources: [table.tableArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:Query"],
        resources: [`${table.tableArn}/index/${TABLE.failedIndex.name}`],
      }),
    );
  }

  /**
   * Tenant rules on the configuration table: `read` (the process function) may only Query
   * (the newest RULE#V# item of a tenant); `write` (the rules function) may also PutItem a
   * new version (conditional, never an overwrite). No update, delete, scan or index.
   */
  public bindRules(configTable: ITable, access: "read" | "write"): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: access === "read" ? ["dynamodb:Query"] : ["dynamodb:Query", "dynamodb:PutItem"],
        resources: [configTable.tableArn],
      }),
    );
  }

  /** The authorizer: GetItem of one key by its hash, on the keys table only (no index). */
  public bindKeyLookup(keysTable: ITable): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["dynamodb:GetItem"], resources: [keysTable.tableArn] }),
    );
  }

  /**
   * The canary: PutItem of its own new keys on the keys table (conditional, never an
   * overwrite), and only under the canary keys' partition prefix (dynamodb:LeadingKeys):
   * it cannot write another tenant's key or a tenant item, and the authorizer answers
   * those items as the canary tenant with the canary's scopes only
   * (lambdas/domain/api-keys.ts asCanaryKey). No read, update, delete or index query.
   */
  public bindKeyIssue(keysTable: ITable): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:PutItem"],
        resources: [keysTable.tableArn],
        conditions: {
          "ForAllValues:StringLike": {
            "dynamodb:LeadingKeys": [`${KEYS_TABLE.canaryKeyPrefix}*`],
          },
        },
      }),
    );
  }

  /** The canary: where the public API is (it calls it over HTTPS, with its key; no IAM). */
  public bindApiUrl(url: string): void {
    this.function.addEnvironment(ENV.apiUrl, url);
  }

  /** The canary: reads the value of this one API Gateway API key (its usage plan key). */
  public bindUsageKey(apiKey: IApiKey): void {
    this.function.addEnvironment(ENV.canaryUsageKeyId, apiKey.keyId);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["apigateway:GET"], resources: [apiKey.keyArn] }),
    );
  }

  /**
   * S3 access to objects under the archive bucket's prefixes (events/, exports/): object ARNs
   * end in `<prefix>*`, the only way to grant a prefix, which cdk-nag reports as a wildcard.
   */
  public bindArchive(
    bucket: IBucket,
    actions: readonly string[],
    prefixes: readonly string[],
  ): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...actions],
        resources: prefixes.map((p) => bucket.arnForObjects(`${p}*`)),
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["s3:ListBucket"],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { "s3:prefix": prefixes.map((p) => `${p}*`) } },
      }),
    );
    const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
    for (const prefix of prefixes) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `S3 grants a key prefix only as an object ARN ending in '*': this role may touch the archive bucket's ${prefix} objects and no other`,
      });
    }
  }

  /** The configuration table: its name in the environment is set by functionEnvironment. */
  public bindConfigTable(table: ITable, access: ConfigAccess): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...CONFIG_ACTIONS[access]], resources: [table.tableArn] }),
    );
  }

  /**
   * The configuration table's destination items: `manage` (the destinations API: create,
   * read, change, delete, list a tenant's) or `health` (the deliver function: read one,
   * update its health or disable it). No scans, no other table.
   */
  public bindDestinations(configTable: ITable, access: "manage" | "health"): void {
    const actions =
      access === "manage"
        ? [
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query",
          ]
        : ["dynamodb:GetItem", "dynamodb:UpdateItem"];
    this.function.addEnvironment(ENV.configTableName, configTable.tableName);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions, resources: [configTable.tableArn] }),
    );
  }

  /**
   * The deliveries log: `write` (the deliver function: claim and record, GetItem and
   * UpdateItem) or `read` (the destinations API: also Query its indexes and BatchGetItem the
   * page's items, and UpdateItem to re-arm a retry). No PutItem, delete or scan.
   */
  public bindDeliveriesLog(
    table: ITable,
    access: "read" | "write",
    indexNames: readonly string[],
  ): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        resources: [table.tableArn],
      }),
    );
    if (access === "read") {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["dynamodb:Query"],
          resources: indexNames.map((i) => `${table.tableArn}/index/${i}`),
        }),
      );
      // A list's page: the indexes project only keys and status.
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ["dynamodb:BatchGetItem"], resources: [table.tableArn] }),
      );
    }
  }

  /**
   * Where deliveries may go on AWS: SQS queues, SNS topics and EventBridge buses of this
   * account and region named with `prefix` (deliveryTargetPrefix; the API refuses others),
   * and SES from one identity (deliveryEmailFrom) when set. The platform's own queues never
   * carry the prefix, so no destination can write into them.
   */
  public bindDeliveryTargets(prefix: string, emailFrom: string): void {
    const { account, region, partition } = Stack.of(this);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["sqs:SendMessage"],
        resources: [`arn:${partition}:sqs:${region}:${account}:${prefix}*`],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["sns:Publish"],
        resources: [`arn:${partition}:sns:${region}:${account}:${prefix}*`],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["events:PutEvents"],
        resources: [`arn:${partition}:events:${region}:${account}:event-bus/${prefix}*`],
      }),
    );
    if (emailFrom) {
      const domain = emailFrom.split("@").pop() ?? emailFrom;
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["ses:SendEmail"],
          resources: [
            `arn:${partition}:ses:${region}:${account}:identity/${emailFrom}`,
            `arn:${partition}:ses:${region}:${account}:identity/${domain}`,
          ],
        }),
      );
    }
    const reason =
      "destinations are tenants' own queues, topics and buses, created after deploy; the name prefix (deliveryTargetPrefix), which the destinations API enforces, bounds them";
    Validations.of(this.role).acknowledge(
      ...[
        `sqs:<AWS::Region>:<AWS::AccountId>:${prefix}*`,
        `sns:<AWS::Region>:<AWS::AccountId>:${prefix}*`,
        `events:<AWS::Region>:<AWS::AccountId>:event-bus/${prefix}*`,
      ].map((resource) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:${resource}]`,
        reason,
      })),
    );
  }

  public bindQueue(queue: IQueue, access: QueueAccess): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...QUEUE_ACTIONS[access]], resources: [queue.queueArn] }),
    );
  }
}

/**
 * History (README "History"): the archive function on the events table's change stream,
 * its daily compaction schedule, the jobs function on the jobs queue, and the SQL side on
 * AWS: a Glue table over the archive's Parquet files with partition projection (tenant
 * injected, day a date), and an Athena workgroup with a bytes-scanned limit. The bucket and
 * the jobs queue are stateful (lib/constructs/storage.ts); the history API function is the
 * API's (lib/constructs/api.ts).
 */
import { Duration, Stack, Validations } from "aws-cdk-lib";
import { CfnWorkGroup } from "aws-cdk-lib/aws-athena";
import { Rule, RuleTargetInput, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { CfnDatabase, CfnTable } from "aws-cdk-lib/aws-glue";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { FilterCriteria, FilterRule, StartingPosition } from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq, SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { EventFlowSettings } from "../config.js";
import {
  ARCHIVE,
  ARCHIVE_COLUMNS,
  type ArchiveColumnType,
  STAGED_COLUMNS,
  splitEvent,
} from "../contracts/archive.js";
import {
  JOBS_BATCH_SIZE,
  JOBS_MAX_CONCURRENCY,
  type ResourceRefs,
} from "../contracts/functions.js";
import { CONFIG_TABLE, DELIVERIES_TABLE, WINDOW_KEYS } from "../contracts/tables.js";
import { EventFlowFunction } from "./eventflow-function.js";
import type { EventStorage } from "./storage.js";

export interface EventHistoryProps {
  settings: EventFlowSettings;
  storage: EventStorage;
  refs: ResourceRefs;
  projectRoot?: string;
}

const GLUE_TYPE: Record<ArchiveColumnType, string> = {
  string: "string",
  int: "int",
  timestamp: "timestamp",
  json: "string",
};

/** The first day partition projection enumerates (days before it are not queried). */
export const PROJECTION_START_DAY = "2024-01-01";

export class EventHistory extends Construct {
  public readonly archiveFunction: EventFlowFunction;
  public readonly jobsFunction: EventFlowFunction;
  /** Stream batches the archive function gave up on (their stream positions, not the events). */
  public readonly archiveFailures: Queue;
  public readonly database: CfnDatabase;
  public readonly table: CfnTable;
  public readonly stagedTable: CfnTable;
  public readonly workGroup: CfnWorkGroup;
  public readonly databaseName: string;

  constructor(scope: Construct, id: string, props: EventHistoryProps) {
    super(scope, id);
    const { settings, storage, refs, projectRoot } = props;
    const bucket = storage.archiveBucket;

    this.archiveFunction = new EventFlowFunction(this, "Archive", {
      name: "archive",
      settings,
      refs,
      projectRoot,
    });
    // Writes staged files; reads and deletes them (the splitter) and writes, reads and
    // deletes by-tenant files (the splitter, compaction): under staging/ and events/ only.
    this.archiveFunction.bindArchive(
      bucket,
      ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
      [ARCHIVE.stagingPrefix, ARCHIVE.eventsPrefix],
    );
    this.archiveFailures = new Queue(this, "ArchiveFailures", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.archiveFailures).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "this queue is the archive event source's on-failure destination (a dead-letter queue of stream batch positions); an alarm watches its depth",
    });
    this.archiveFunction.function.addEventSource(
      new DynamoEventSource(storage.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: settings.archiveBatchSize,
        maxBatchingWindow: Duration.seconds(settings.archiveBatchingWindowSeconds),
        // A poison batch is halved until the bad record is alone; after 10 tries its
        // position goes to the failures queue (an alarm watches it) and the stream moves on.
        bisectBatchOnError: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(this.archiveFailures),
        // Event items only (not statistics); removals (TTL, erasure) leave the archive alone.
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.or("INSERT", "MODIFY"),
            dynamodb: { Keys: { sk: { S: FilterRule.isEqual("EVENT") } } },
          }),
        ],
      }),
    );
    new Rule(this, "DailyCompaction", {
      description: "EventFlow: merge each finished day's archive files into few large ones",
      schedule: Schedule.cron({ minute: "15", hour: "2" }),
      targets: [
        new LambdaFunction(this.archiveFunction.function, {
          event: RuleTargetInput.fromObject({ compact: true }),
        }),
      ],
    });

    // The splitter: staged batch files (every tenant) -> one file per tenant and day, every
    // archiveSplitMinutes; its settings travel in the event. One target per shard (a rule
    // takes at most 5 targets).
    const shards = settings.archiveSplitShards;
    for (let first = 0; first < shards; first += 5) {
      new Rule(this, first === 0 ? "Splitter" : `Splitter${first / 5}`, {
        description: "EventFlow: file the archive's staged batch files by tenant",
        schedule: Schedule.rate(Duration.minutes(settings.archiveSplitMinutes)),
        targets: Array.from(
          { length: Math.min(5, shards - first) },
          (_, i) =>
            new LambdaFunction(this.archiveFunction.function, {
              event: RuleTargetInput.fromObject(splitEvent(settings, first + i)),
              // A run that fails is not retried by EventBridge: the next one takes its files.
              retryAttempts: 0,
            }),
        ),
      });
    }

    this.jobsFunction = new EventFlowFunction(this, "Jobs", {
      name: "jobs",
      settings,
      refs,
      projectRoot,
    });
    const jobs = this.jobsFunction;
    // Reads and rewrites (erasure) the archive, both layouts; writes and deletes (erasure)
    // exports.
    jobs.bindArchive(
      bucket,
      ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      [ARCHIVE.stagingPrefix, ARCHIVE.eventsPrefix, ARCHIVE.exportsPrefix],
    );
    jobs.bindConfigTable(storage.configTable, "jobs");
    // Erasure deletes events and their window/pattern contributions by key; no read or scan.
    jobs.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem"],
        resources: [storage.table.tableArn],
      }),
    );
    jobs.bindQueue(storage.queue, "send");
    jobs.bindQueue(storage.jobsQueue, "send");
    // A replay to one destination enqueues deliveries (the delivery engine's queues).
    jobs.bindQueue(storage.deliveryQueue, "send");
    jobs.bindQueue(storage.deliveryFifoQueue, "send");
    // A replay to one aggregation writes contributions (conditional PutItem), and only
    // those: their partition keys are T#<tenant>#W#A#..., never an event's T#<tenant>#E#...
    jobs.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:PutItem"],
        resources: [storage.table.tableArn],
        conditions: {
          "ForAllValues:StringLike": {
            "dynamodb:LeadingKeys": [
              `${CONFIG_TABLE.tenantPrefix}*${WINDOW_KEYS.contributionInfix}${WINDOW_KEYS.aggregation}#*`,
            ],
          },
        },
      }),
    );
    // Erasure makes the subject's deliveries tombstones: found by event (the byEvent index),
    // changed with UpdateItem; no read, put, delete or scan of the log.
    jobs.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:UpdateItem"],
        resources: [storage.deliveriesTable.tableArn],
      }),
    );
    jobs.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:Query"],
        resources: [
          `${storage.deliveriesTable.tableArn}/index/${DELIVERIES_TABLE.byEventIndex.name}`,
        ],
      }),
    );
    jobs.function.addEventSource(
      new SqsEventSource(storage.jobsQueue, {
        batchSize: JOBS_BATCH_SIZE,
        maxConcurrency: JOBS_MAX_CONCURRENCY,
        reportBatchItemFailures: true,
      }),
    );

    // SQL over history on AWS: `npm run history -- sql ... --stack-outputs cdk-outputs.json`.
    const stackName = Stack.of(this).stackName;
    this.databaseName = `${stackName.toLowerCase().replace(/[^a-z0-9_]/g, "_")}_history`;
    this.database = new CfnDatabase(this, "Database", {
      catalogId: Stack.of(this).account,
      databaseInput: {
        name: this.databaseName,
        description: "EventFlow history: the archive's events (README History)",
      },
    });
    const location = `s3://${bucket.bucketName}/${ARCHIVE.eventsPrefix}`;
    this.table = new CfnTable(this, "EventsTable", {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name: ARCHIVE.glueTable,
        description:
          "Archived events filed by tenant, one row per revision (with events_staged: the events_archive and events views)",
        tableType: "EXTERNAL_TABLE",
        partitionKeys: [
          { name: "tenant", type: "string" },
          { name: "day", type: "string" },
        ],
        parameters: {
          classification: "parquet",
          EXTERNAL: "TRUE",
          // Partition projection: no crawler, no partition list to maintain. Every query must
          // name its tenant (injected), so a query cannot scan every tenant's files.
          "projection.enabled": "true",
          "projection.tenant.type": "injected",
          "projection.day.type": "date",
          "projection.day.format": "yyyy-MM-dd",
          "projection.day.range": `${PROJECTION_START_DAY},NOW`,
          "projection.day.interval": "1",
          "projection.day.interval.unit": "DAYS",
          "storage.location.template": `${location}tenant=\${tenant}/day=\${day}/`,
        },
        storageDescriptor: {
          location,
          columns: ARCHIVE_COLUMNS.map((c) => ({ name: c.name, type: GLUE_TYPE[c.type] })),
          inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
          outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
          serdeInfo: {
            serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
          },
        },
      },
    });
    this.table.addResourceDependency(this.database);
    // The staged files (one per stream batch and day, every tenant): queryable until the
    // splitter files them by tenant. `tenant` is a column here, so only `day` is projected;
    // `npm run history -- sql` unions this table with the one above (withEventsView).
    const stagedLocation = `s3://${bucket.bucketName}/${ARCHIVE.stagingPrefix}`;
    this.stagedTable = new CfnTable(this, "StagedEventsTable", {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name: ARCHIVE.glueStagedTable,
        description:
          "Archived events not yet filed by tenant (stream batches, every tenant; a tenant column)",
        tableType: "EXTERNAL_TABLE",
        partitionKeys: [{ name: "day", type: "string" }],
        parameters: {
          classification: "parquet",
          EXTERNAL: "TRUE",
          "projection.enabled": "true",
          "projection.day.type": "date",
          "projection.day.format": "yyyy-MM-dd",
          "projection.day.range": `${PROJECTION_START_DAY},NOW`,
          "projection.day.interval": "1",
          "projection.day.interval.unit": "DAYS",
          "storage.location.template": `${stagedLocation}day=\${day}/`,
        },
        storageDescriptor: {
          location: stagedLocation,
          columns: STAGED_COLUMNS.map((c) => ({ name: c.name, type: GLUE_TYPE[c.type] })),
          inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
          outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
          serdeInfo: {
            serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
          },
        },
      },
    });
    this.stagedTable.addResourceDependency(this.database);
    this.workGroup = new CfnWorkGroup(this, "WorkGroup", {
      name: `${stackName}-history`,
      description: "EventFlow history queries (npm run history -- sql)",
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        bytesScannedCutoffPerQuery: settings.athenaBytesScannedCutoffMb * 1024 * 1024,
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: "Athena engine version 3" },
        resultConfiguration: {
          outputLocation: `s3://${bucket.bucketName}/${ARCHIVE.athenaResultsPrefix}`,
          encryptionConfiguration: { encryptionOption: "SSE_S3" },
        },
      },
    });
  }
}

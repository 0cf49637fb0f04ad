/**
 * Alarms that page (through an encrypted SNS topic) and one dashboard that reads the
 * pipeline left to right: API, ingest, queue, processing, latency, DLQ, functions.
 */
import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import type { Stage } from "aws-cdk-lib/aws-apigateway";
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import type { EventFlowSettings } from "../config.js";
import { METRIC, OBSERVABILITY } from "../contracts/observability.js";
import type { EventCanary } from "./canary.js";
import type { EventFlowFunction } from "./eventflow-function.js";
import type { EventHistory } from "./history.js";
import type { EventStorage } from "./storage.js";

/** README anchors of the runbooks the alarm descriptions point at. */
export const RUNBOOK = {
  dlqDepth: "runbook-dlq-depth",
  deadLettered: "runbook-dead-lettered",
  queueAge: "runbook-queue-age",
  functionErrors: "runbook-function-errors",
  functionThrottles: "runbook-function-throttles",
  api5xx: "runbook-api-5xx",
  apiLatency: "runbook-api-latency",
  endToEndLatency: "runbook-end-to-end-latency",
  canary: "runbook-canary",
  malformedMessages: "runbook-malformed-messages",
  statsWriteFailed: "runbook-stats-write-failed",
  dynamodbThrottles: "runbook-dynamodb-throttles",
  scalingLimit: "runbook-scaling-limit",
  schemaLookupFailed: "runbook-schema-lookup-failed",
  deliveryDlq: "runbook-delivery-dlq",
  deliveriesFailed: "runbook-deliveries-failed",
  destinationDisabled: "runbook-destination-disabled",
  sweep: "runbook-sweep",
  archiveBehind: "runbook-archive-behind",
  historyJobs: "runbook-history-jobs",
  ruleErrors: "runbook-rule-errors",
} as const;

/** Share of a limit at which the "near a limit" alarms fire, before the limit throttles. */
export const NEAR_LIMIT_SHARE = 0.8;

/**
 * Consecutive canary periods (one run each) that must fail, or be missing, before the
 * canary alarms fire: one run lost to a cold start or a run landing on a period boundary
 * does not page; two in a row do.
 */
export const CANARY_ALARM_PERIODS = 2;

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/** A metric the handlers publish through Powertools (which adds the `service` dimension). */
export function appMetric(metricName: string, statistic: string, period = ONE_MINUTE): Metric {
  return new Metric({
    namespace: OBSERVABILITY.metricsNamespace,
    metricName,
    dimensionsMap: { service: OBSERVABILITY.serviceName },
    statistic,
    period,
  });
}

export interface EventMonitoringProps {
  settings: EventFlowSettings;
  storage: EventStorage;
  functions: readonly EventFlowFunction[];
  apiStage: Stage;
  /** History: the archive's stream lag and failures, the jobs' DLQ. */
  history?: EventHistory;
  /** The synthetic canary, when on: its two alarms and a dashboard row. */
  canary?: EventCanary;
}

interface AlarmSpec {
  metric: IMetric;
  threshold: number;
  summary: string;
  runbook: (typeof RUNBOOK)[keyof typeof RUNBOOK];
  /** Consecutive breaching periods that fire the alarm. @default 1 */
  evaluationPeriods?: number;
  /** @default GREATER_THAN_THRESHOLD */
  comparisonOperator?: ComparisonOperator;
  /** @default NOT_BREACHING (no data means no traffic, which is not a failure) */
  treatMissingData?: TreatMissingData;
}

export class EventMonitoring extends Construct {
  public readonly alarmTopic: Topic;
  public readonly alarmTopicKey: Key;
  public readonly dashboard: Dashboard;
  public readonly alarms: Alarm[] = [];
  private readonly alarmAction: SnsAction;

  constructor(scope: Construct, id: string, props: EventMonitoringProps) {
    super(scope, id);
    const { settings, storage, functions, apiStage, canary, history } = props;
    const { account, region, partition } = Stack.of(this);

    // CloudWatch cannot publish to a topic under the AWS-managed SNS key, so the topic
    // gets its own key that CloudWatch may use.
    const key = new Key(this, "AlarmTopicKey", {
      description: "Encrypts the EventFlow alarm topic",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.alarmTopicKey = key;
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
      }),
    );
    this.alarmTopic = new Topic(this, "AlarmTopic", {
      displayName: "EventFlow alarms",
      masterKey: key,
      enforceSSL: true,
    });
    // The TLS-only policy replaces SNS's default policy, so CloudWatch needs its own allow.
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          ArnLike: { "aws:SourceArn": `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
          StringEquals: { "aws:SourceAccount": account },
        },
      }),
    );
    if (settings.alarmEmail) {
      this.alarmTopic.addSubscription(new EmailSubscription(settings.alarmEmail));
    }
    this.alarmAction = new SnsAction(this.alarmTopic);

    const { queue, deadLetterQueue } = storage;

    this.addAlarm("DlqDepth", {
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: Stats.MAXIMUM,
        period: ONE_MINUTE,
      }),
      threshold: 0,
      summary: "Messages are waiting in the dead-letter queue.",
      runbook: RUNBOOK.dlqDepth,
    });
    this.addAlarm("EventsDeadLettered", {
      metric: appMetric(METRIC.deadLettered, Stats.SUM),
      threshold: 0,
      summary: "Events exhausted their retries and were recorded as failed.",
      runbook: RUNBOOK.deadLettered,
    });
    this.addAlarm("MessagesMalformed", {
      metric: appMetric(METRIC.messagesMalformed, Stats.SUM),
      threshold: 0,
      summary:
        "Queue messages could not be read as events and name no tenant to record them under.",
      runbook: RUNBOOK.malformedMessages,
    });
    this.addAlarm("StatsWriteFailed", {
      metric: appMetric(METRIC.statsWriteFailed, Stats.SUM),
      threshold: 0,
      summary: "Statistics updates failed: GET /v1/stats undercounts (the events are stored).",
      runbook: RUNBOOK.statsWriteFailed,
    });
    // Ingest accepts events unchecked when it cannot read their type's schema and has none
    // cached (it stays available): schemas are not enforced meanwhile, worth a look.
    this.addAlarm("SchemaLookupFailed", {
      metric: appMetric(METRIC.schemaLookupFailed, Stats.SUM),
      threshold: 0,
      summary:
        "Ingest could not read event schemas from the configuration table and accepted events unchecked.",
      runbook: RUNBOOK.schemaLookupFailed,
    });
    // Windows and patterns: the sweep failing, or emitting too late (each derived event's lag
    // behind its deadline includes the declaration's allowed lateness + windowFenceSeconds).
    this.addAlarm("SweepFailed", {
      metric: appMetric(METRIC.sweepFailed, Stats.SUM),
      threshold: 0,
      summary: "A windows/patterns sweep pass failed or hit its read bound: emission waits.",
      runbook: RUNBOOK.sweep,
    });
    this.addAlarm("DerivedEventLag", {
      metric: appMetric(METRIC.derivedEventLag, Stats.p(99), FIVE_MINUTES),
      threshold: settings.alarmWindowLagSeconds * 1000,
      summary: "window.closed / pattern.matched events are emitted late (p99 lag behind deadline).",
      runbook: RUNBOOK.sweep,
    });
    // A tenant's expression failing on its events (stored without that result): worth a
    // look, not a page per event, hence a threshold over 5 minutes.
    this.addAlarm("RuleErrors", {
      metric: appMetric(METRIC.ruleErrors, Stats.SUM, FIVE_MINUTES),
      threshold: settings.alarmRuleErrors,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      summary: `Rule expressions failed at run time at least ${settings.alarmRuleErrors} times in 5 minutes: those events were stored without the failed enrichment or route.`,
      runbook: RUNBOOK.ruleErrors,
    });
    this.addAlarm("QueueAge", {
      metric: queue.metricApproximateAgeOfOldestMessage({
        statistic: Stats.MAXIMUM,
        period: ONE_MINUTE,
      }),
      threshold: settings.alarmQueueAgeSeconds,
      summary: `The oldest queued event has waited more than ${settings.alarmQueueAgeSeconds} s: processing is behind or stuck.`,
      runbook: RUNBOOK.queueAge,
      evaluationPeriods: 3,
    });
    for (const fn of functions) {
      const label = capitalize(fn.name);
      this.addAlarm(`${label}Errors`, {
        metric: fn.function.metricErrors({ statistic: Stats.SUM, period: ONE_MINUTE }),
        threshold: 0,
        summary: `The ${fn.name} function failed invocations.`,
        runbook: RUNBOOK.functionErrors,
      });
      this.addAlarm(`${label}Throttles`, {
        metric: fn.function.metricThrottles({ statistic: Stats.SUM, period: ONE_MINUTE }),
        threshold: 0,
        summary: `The ${fn.name} function was throttled.`,
        runbook: RUNBOOK.functionThrottles,
      });
    }
    this.addQuotaAlarms(settings, storage, functions, apiStage);
    // 5XXError is 0 or 1 per request, so its average is the error fraction.
    const api5xxRate = new MathExpression({
      expression: "100 * errors",
      usingMetrics: {
        errors: apiStage.metricServerError({ statistic: Stats.AVERAGE, period: FIVE_MINUTES }),
      },
      label: "API 5XX rate (%)",
      period: FIVE_MINUTES,
    });
    this.addAlarm("Api5xxRate", {
      metric: api5xxRate,
      threshold: settings.alarmApi5xxRatePercent,
      summary: `More than ${settings.alarmApi5xxRatePercent}% of API requests failed with a 5XX.`,
      runbook: RUNBOOK.api5xx,
    });
    this.addAlarm("ApiLatencyP99", {
      metric: apiStage.metricLatency({ statistic: Stats.p(99), period: FIVE_MINUTES }),
      threshold: settings.alarmApiLatencyP99Ms,
      summary: `API p99 latency is above ${settings.alarmApiLatencyP99Ms} ms.`,
      runbook: RUNBOOK.apiLatency,
    });
    this.addAlarm("EndToEndLatencyP99", {
      metric: appMetric(METRIC.endToEndLatency, Stats.p(99), FIVE_MINUTES),
      threshold: settings.alarmEndToEndP99Ms,
      summary: `p99 time from API acceptance to stored result is above ${settings.alarmEndToEndP99Ms} ms.`,
      runbook: RUNBOOK.endToEndLatency,
    });

    if (history) this.addHistoryAlarms(storage, history);
    const { deliveryDeadLetterQueue, deliveryQueue, deliveryFifoQueue } = storage;
    this.addAlarm("DeliveryDlqDepth", {
      metric: deliveryDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: Stats.MAXIMUM,
        period: ONE_MINUTE,
      }),
      threshold: 0,
      summary: "Deliveries failed for good and wait in the delivery DLQ.",
      runbook: RUNBOOK.deliveryDlq,
    });
    this.addAlarm("DeliveriesFailed", {
      metric: appMetric(METRIC.deliveriesFailed, Stats.SUM, FIVE_MINUTES),
      threshold: settings.alarmDeliveryFailures,
      summary: `More than ${settings.alarmDeliveryFailures} deliveries failed for good in 5 minutes.`,
      runbook: RUNBOOK.deliveriesFailed,
    });
    this.addAlarm("DestinationsDisabled", {
      metric: appMetric(METRIC.destinationsDisabled, Stats.SUM),
      threshold: 0,
      summary: "A destination was disabled after failing continuously.",
      runbook: RUNBOOK.destinationDisabled,
    });

    const canaryMetrics = canary ? this.addCanaryAlarms(settings, canary) : undefined;

    this.dashboard = new Dashboard(this, "Dashboard", { defaultInterval: Duration.hours(3) });
    const fnMetrics = (make: (fn: EventFlowFunction) => IMetric) => functions.map(make);
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          "## EventFlow: API → ingest → queue → process → table; exhausted retries → DLQ → dlq function",
        width: 24,
        height: 1,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        "API requests",
        [
          apiStage.metricCount({ statistic: Stats.SUM, label: "Requests" }),
          apiStage.metricClientError({ statistic: Stats.SUM, label: "4XX" }),
          apiStage.metricServerError({ statistic: Stats.SUM, label: "5XX" }),
        ],
        // Keys the authorizer refused (401): a leaked or rotated-out key still in use shows here.
        [appMetric(METRIC.keysRejected, Stats.SUM)],
      ),
      graph("API latency (ms)", [
        apiStage.metricLatency({ statistic: Stats.p(50), label: "p50" }),
        apiStage.metricLatency({ statistic: Stats.p(99), label: "p99" }),
        apiStage.metricIntegrationLatency({ statistic: Stats.p(99), label: "integration p99" }),
      ]),
      graph(
        "Ingest",
        [
          METRIC.eventsReceived,
          METRIC.eventsQueued,
          METRIC.eventsRejected,
          METRIC.enqueueFailed,
        ].map((name) => appMetric(name, Stats.SUM)),
        // The schema registry at the door: refused (enforce), quarantined, lookups failed.
        [METRIC.schemaRejected, METRIC.schemaQuarantined, METRIC.schemaLookupFailed].map((name) =>
          appMetric(name, Stats.SUM),
        ),
      ),
      graph(
        "Queue",
        [
          queue.metricApproximateNumberOfMessagesVisible({ label: "visible" }),
          queue.metricApproximateNumberOfMessagesNotVisible({ label: "in flight" }),
        ],
        [queue.metricApproximateAgeOfOldestMessage({ label: "oldest age (s)" })],
      ),
    );
    this.dashboard.addWidgets(
      graph(
        "Processing outcomes",
        [
          METRIC.eventsProcessed,
          METRIC.eventsDuplicate,
          METRIC.eventsConflict,
          METRIC.eventsFailed,
          METRIC.eventsRetried,
          METRIC.deadLettered,
        ].map((name) => appMetric(name, Stats.SUM)),
        // Trouble signals (each behind an alarm) and operator replays, on their own axis.
        [
          METRIC.messagesMalformed,
          METRIC.statsWriteFailed,
          METRIC.eventsReplayed,
          METRIC.eventsArchived,
          METRIC.archiveStagedLeft,
          METRIC.historyJobsFailed,
          METRIC.eventsRejectedByRule,
          METRIC.ruleErrors,
          METRIC.rulesChanged,
        ].map((name) => appMetric(name, Stats.SUM)),
        8,
      ),
      graph(
        "Latency (ms)",
        [METRIC.processingLatency, METRIC.endToEndLatency, METRIC.archiveLag].flatMap((name) => [
          appMetric(name, Stats.p(50)).with({ label: `${name} p50` }),
          appMetric(name, Stats.p(99)).with({ label: `${name} p99` }),
        ]),
        [],
        8,
      ),
      graph(
        "Dead-letter queue",
        [deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: "DLQ depth" })],
        [deadLetterQueue.metricApproximateAgeOfOldestMessage({ label: "oldest age (s)" })],
        8,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        "Deliveries",
        [
          METRIC.deliveriesSucceeded,
          METRIC.deliveriesRetried,
          METRIC.deliveriesFailed,
          METRIC.deliveriesDeferred,
        ].map((name) => appMetric(name, Stats.SUM)),
        [appMetric(METRIC.destinationsDisabled, Stats.SUM)],
        8,
      ),
      graph(
        "Delivery latency (ms)",
        [METRIC.deliveryLatency, METRIC.deliveryAttemptLatency].flatMap((name) => [
          appMetric(name, Stats.p(50)).with({ label: `${name} p50` }),
          appMetric(name, Stats.p(99)).with({ label: `${name} p99` }),
        ]),
        [],
        8,
      ),
      graph(
        "Delivery queues",
        [
          deliveryQueue.metricApproximateNumberOfMessagesVisible({ label: "unordered visible" }),
          deliveryQueue.metricApproximateNumberOfMessagesNotVisible({ label: "unordered waiting" }),
          deliveryFifoQueue.metricApproximateNumberOfMessagesVisible({ label: "ordered visible" }),
          deliveryFifoQueue.metricApproximateNumberOfMessagesNotVisible({
            label: "ordered waiting",
          }),
        ],
        [deliveryDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: "DLQ depth" })],
        8,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        "Windows and patterns: derived events",
        [appMetric(METRIC.derivedEventsEmitted, Stats.SUM)],
        [appMetric(METRIC.sweepFailed, Stats.SUM)],
        12,
      ),
      graph(
        "Windows and patterns: lag behind deadline (ms)",
        [
          appMetric(METRIC.derivedEventLag, Stats.p(50)).with({ label: "p50" }),
          appMetric(METRIC.derivedEventLag, Stats.p(99)).with({ label: "p99" }),
        ],
        [],
        12,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        "Function errors",
        fnMetrics((fn) => fn.function.metricErrors({ statistic: Stats.SUM, label: fn.name })),
      ),
      graph(
        "Function throttles",
        fnMetrics((fn) => fn.function.metricThrottles({ statistic: Stats.SUM, label: fn.name })),
      ),
      graph(
        "Concurrent executions",
        fnMetrics((fn) =>
          fn.function.metric("ConcurrentExecutions", { statistic: Stats.MAXIMUM, label: fn.name }),
        ),
      ),
      graph(
        "Duration p99 (ms)",
        fnMetrics((fn) => fn.function.metricDuration({ statistic: Stats.p(99), label: fn.name })),
      ),
    );
    if (canaryMetrics) {
      this.dashboard.addWidgets(
        graph(
          "Synthetic canary: success (1 = its event came back processed)",
          [canaryMetrics.success],
          [],
          12,
        ),
        new GraphWidget({
          title: "Synthetic canary: end-to-end latency (ms)",
          left: [canaryMetrics.latency],
          leftAnnotations: [
            { value: settings.alarmCanaryLatencyMs, label: "alarmCanaryLatencyMs" },
          ],
          width: 12,
          height: 6,
        }),
      );
    }
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: "Alarms", alarms: this.alarms, width: 24, height: 4 }),
    );
  }

  /**
   * One run per period (the canary's interval): its success (the minimum, so one failed run
   * in a period counts) and its latency (the maximum: a period holds one or two runs).
   */
  private addCanaryAlarms(
    settings: EventFlowSettings,
    canary: EventCanary,
  ): { success: IMetric; latency: IMetric } {
    const period = Duration.minutes(canary.intervalMinutes);
    const success = appMetric(METRIC.canarySuccess, Stats.MINIMUM, period);
    const latency = appMetric(METRIC.canaryLatency, Stats.MAXIMUM, period);
    const runs = `${CANARY_ALARM_PERIODS} canary runs in a row (every ${canary.intervalMinutes} min)`;
    this.addAlarm("CanaryFailing", {
      metric: success,
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: CANARY_ALARM_PERIODS,
      // A canary that does not run, or dies before reporting, is as bad as one that fails.
      treatMissingData: TreatMissingData.BREACHING,
      summary: `The synthetic canary's event was not processed within ${settings.canaryDeadlineSeconds} s, or the canary did not report, for ${runs}.`,
      runbook: RUNBOOK.canary,
    });
    this.addAlarm("CanaryLatency", {
      metric: latency,
      threshold: settings.alarmCanaryLatencyMs,
      evaluationPeriods: CANARY_ALARM_PERIODS,
      summary: `The synthetic canary's end-to-end latency was above ${settings.alarmCanaryLatencyMs} ms for ${runs}.`,
      runbook: RUNBOOK.canary,
    });
    return { success, latency };
  }

  /**
   * Alarms before a quota or a scaling setting binds (issue 20, README "How far it scales"):
   * DynamoDB throttles on the table and each index (a hot partition or the table quota),
   * process concurrency at its MaximumConcurrency, the account's Lambda concurrency, and
   * API requests near the stage throttle.
   */
  private addQuotaAlarms(
    settings: EventFlowSettings,
    storage: EventStorage,
    functions: readonly EventFlowFunction[],
    apiStage: Stage,
  ): void {
    const tableName = storage.table.tableName;
    const targets: [string, Record<string, string>][] = [
      ["Table", { TableName: tableName }],
      ...storage.indexNames.map((index): [string, Record<string, string>] => [
        capitalize(index),
        { TableName: tableName, GlobalSecondaryIndexName: index },
      ]),
    ];
    for (const [label, dimensionsMap] of targets) {
      this.addAlarm(`${label}WriteThrottles`, {
        metric: new Metric({
          namespace: "AWS/DynamoDB",
          metricName: "WriteThrottleEvents",
          dimensionsMap,
          statistic: Stats.SUM,
          period: ONE_MINUTE,
        }),
        threshold: 0,
        summary: `DynamoDB throttled writes to ${label === "Table" ? "the events table" : `the ${label} index`}: a hot partition key or the table's throughput quota.`,
        runbook: RUNBOOK.dynamodbThrottles,
        evaluationPeriods: 2,
      });
    }
    const process = functions.find((fn) => fn.name === "process");
    if (process) {
      const near = Math.max(1, Math.floor(NEAR_LIMIT_SHARE * settings.processMaxConcurrency));
      this.addAlarm("ProcessConcurrencyNearMax", {
        metric: process.function.metric("ConcurrentExecutions", {
          statistic: Stats.MAXIMUM,
          period: ONE_MINUTE,
        }),
        threshold: near,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        summary: `Process ran at ${near}+ concurrent batches (processMaxConcurrency ${settings.processMaxConcurrency}) for 5 minutes: the queue will back up past ${settings.processMaxConcurrency} x processBatchSize per invocation time.`,
        runbook: RUNBOOK.scalingLimit,
        evaluationPeriods: 5,
      });
    }
    const accountNear = Math.floor(NEAR_LIMIT_SHARE * settings.lambdaAccountConcurrency);
    this.addAlarm("AccountConcurrencyNearQuota", {
      metric: new Metric({
        namespace: "AWS/Lambda",
        metricName: "ConcurrentExecutions",
        statistic: Stats.MAXIMUM,
        period: ONE_MINUTE,
      }),
      threshold: accountNear,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      summary: `The account ran ${accountNear}+ Lambda executions at once (quota ${settings.lambdaAccountConcurrency}, setting lambdaAccountConcurrency): new invocations will be throttled at the quota.`,
      runbook: RUNBOOK.scalingLimit,
      evaluationPeriods: 3,
    });
    const apiNear = Math.floor(NEAR_LIMIT_SHARE * settings.apiThrottleRateLimit * 60);
    this.addAlarm("ApiNearStageThrottle", {
      metric: apiStage.metricCount({ statistic: Stats.SUM, period: ONE_MINUTE }),
      threshold: apiNear,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      summary: `API requests reached ${NEAR_LIMIT_SHARE * 100}% of the stage throttle (apiThrottleRateLimit ${settings.apiThrottleRateLimit}/s): clients will get 429.`,
      runbook: RUNBOOK.scalingLimit,
      evaluationPeriods: 3,
    });
  }

  /**
   * The archive falls behind (the stream's iterator age: stored -> archived), gives up on a
   * batch (its failures queue), or a history job exhausts its retries (the jobs DLQ).
   */
  private addHistoryAlarms(storage: EventStorage, history: EventHistory): void {
    this.addAlarm("ArchiveBehind", {
      metric: history.archiveFunction.function.metric("IteratorAge", {
        statistic: Stats.MAXIMUM,
        period: FIVE_MINUTES,
      }),
      // An hour behind: the stream keeps records 24 h, so there is time to act.
      threshold: 3_600_000,
      summary: "The archive is more than an hour behind the events table's change stream.",
      runbook: RUNBOOK.archiveBehind,
    });
    this.addAlarm("ArchiveFailures", {
      metric: history.archiveFailures.metricApproximateNumberOfMessagesVisible({
        statistic: Stats.MAXIMUM,
        period: ONE_MINUTE,
      }),
      threshold: 0,
      summary: "The archive function gave up on a batch of the events table's changes.",
      runbook: RUNBOOK.archiveBehind,
    });
    this.addAlarm("ArchiveSplitBehind", {
      // A split run that reached its deadline left staged files (every tenant's reads of
      // the day scan them); a run every archiveSplitMinutes, so an hour of runs in a row.
      metric: appMetric(METRIC.archiveStagedLeft, Stats.MINIMUM, Duration.hours(1)),
      threshold: 0,
      summary:
        "The archive's splitter left staged files behind for an hour: raise archiveSplitShards.",
      runbook: RUNBOOK.archiveBehind,
    });
    this.addAlarm("HistoryJobsDlqDepth", {
      metric: storage.jobsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: Stats.MAXIMUM,
        period: ONE_MINUTE,
      }),
      threshold: 0,
      summary: "A history job (export, replay or erasure) failed five times and stopped.",
      runbook: RUNBOOK.historyJobs,
    });
  }

  private addAlarm(id: string, spec: AlarmSpec): Alarm {
    const alarm = new Alarm(this, id, {
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator ?? ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      // By default no data means no traffic, which is not a failure.
      treatMissingData: spec.treatMissingData ?? TreatMissingData.NOT_BREACHING,
      alarmDescription: `${spec.summary} See README#${spec.runbook}`,
    });
    alarm.addAlarmAction(this.alarmAction);
    alarm.addOkAction(this.alarmAction);
    this.alarms.push(alarm);
    return alarm;
  }
}

function graph(title: string, left: IMetric[], right: IMetric[] = [], width = 6): GraphWidget {
  return new GraphWidget({ title, left, right, width, height: 6 });
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * AWS quotas a mix meets on its way in, and the rate (events a second) at which each binds.
 * Defaults as documented by AWS (us-east-1, checked 2026-12-06 from the AWS documentation
 * pages named in `source`; the build machine has no AWS account to read Service Quotas).
 */
import type { EventFlowSettings } from "../../lib/config.js";
import type { Assumptions, ModelResult } from "./model.js";

export interface QuotaRow {
  name: string;
  limit: string;
  /** What the mix asks of it. */
  demand: string;
  /** Share of the quota the mix uses (>1: over). */
  use: number;
  /** Events a second (this mix's shape) at which the quota is reached. */
  bindsAt: number;
  raisable: string;
  action: string;
  source: string;
}

export const AWS_QUOTAS = {
  apiGatewayAccountRps: 10_000,
  lambdaAccountConcurrency: 1_000,
  lambdaScalingPer10s: 1_000,
  esmMaxConcurrencyCap: 1_000,
  esmScaleUpPerMinute: 300,
  sqsInFlight: 120_000,
  dynamodbTableWru: 40_000,
  dynamodbNewTableWru: 4_000,
} as const;

export function quotaRows(
  result: ModelResult,
  settings: Pick<
    EventFlowSettings,
    "processBatchSize" | "processMaxConcurrency" | "apiThrottleRateLimit" | "tenantRateLimit"
  >,
  assumptions: Assumptions,
): QuotaRow[] {
  const { mix } = result;
  const rate = mix.rate;
  const rps = rate / mix.ingestBatch;
  const tenantRps = result.hottestTenantRate / mix.ingestBatch;
  const batches = rate / settings.processBatchSize;
  const processConcurrency = batches * (assumptions.processMs / 1000);
  const ingestConcurrency = rps * (assumptions.ingestMs / 1000);
  const perEvent = (n: number) => n / rate;
  const row = (
    r: Omit<QuotaRow, "use" | "bindsAt"> & { demandValue: number; limitValue: number },
  ) => {
    const { demandValue, limitValue, ...rest } = r;
    const use = demandValue / limitValue;
    return { ...rest, use, bindsAt: use > 0 ? rate / use : Number.POSITIVE_INFINITY };
  };
  const eventsPerConcurrency = settings.processBatchSize / (assumptions.processMs / 1000);
  const tableWcu = result.totals.tableWcu;
  const maxIndexWcu = Math.max(0, ...Object.values(result.totals.indexWcu));
  const rampDoublings = Math.max(
    0,
    Math.ceil(Math.log2(Math.max(tableWcu, maxIndexWcu) / AWS_QUOTAS.dynamodbNewTableWru)),
  );
  return [
    row({
      name: "API Gateway throttle per account and Region",
      limit: `${AWS_QUOTAS.apiGatewayAccountRps.toLocaleString("en-US")} requests/s`,
      demand: `${fmt(rps)} requests/s (${mix.ingestBatch} events/request)`,
      demandValue: rps,
      limitValue: AWS_QUOTAS.apiGatewayAccountRps,
      raisable: "yes (Service Quotas L-8A5B8E43)",
      action: "raise it; send bigger batches (up to 500 events/request)",
      source: "docs.aws.amazon.com/apigateway/latest/developerguide/limits.html",
    }),
    row({
      name: "API stage throttle (setting apiThrottleRateLimit)",
      limit: `${settings.apiThrottleRateLimit.toLocaleString("en-US")} requests/s`,
      demand: `${fmt(rps)} requests/s`,
      demandValue: rps,
      limitValue: settings.apiThrottleRateLimit,
      raisable: "setting (up to the account quota)",
      action: "-c eventflow:apiThrottleRateLimit=N (and apiThrottleBurstLimit)",
      source: "lib/config.ts",
    }),
    row({
      name: "usage plan per tenant (setting tenantRateLimit)",
      limit: `${settings.tenantRateLimit.toLocaleString("en-US")} requests/s per tenant`,
      demand: `${fmt(tenantRps)} requests/s from the hottest tenant`,
      demandValue: tenantRps,
      limitValue: settings.tenantRateLimit,
      raisable: "setting",
      action: "-c eventflow:tenantRateLimit=N (and tenantBurstLimit, tenantQuotaPerDay)",
      source: "lib/config.ts",
    }),
    row({
      name: "Lambda concurrent executions per account and Region",
      limit: AWS_QUOTAS.lambdaAccountConcurrency.toLocaleString("en-US"),
      demand: `${fmt(ingestConcurrency + processConcurrency)} (ingest ${fmt(ingestConcurrency)} at ${assumptions.ingestMs} ms, process ${fmt(processConcurrency)} at ${assumptions.processMs} ms per batch)`,
      demandValue: ingestConcurrency + processConcurrency,
      limitValue: AWS_QUOTAS.lambdaAccountConcurrency,
      raisable: "yes (Service Quotas L-B99A9384)",
      action: "raise it; bigger processBatchSize (with a batching window) needs fewer",
      source: "docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html",
    }),
    row({
      name: "event source mapping MaximumConcurrency (setting processMaxConcurrency)",
      limit: `${settings.processMaxConcurrency} concurrent batches`,
      demand: `${fmt(processConcurrency)} concurrent batches of ${settings.processBatchSize}`,
      demandValue: processConcurrency,
      limitValue: settings.processMaxConcurrency,
      raisable: "setting (2-1,000)",
      action: `-c eventflow:processMaxConcurrency=N: N x ${fmt(eventsPerConcurrency)} events/s`,
      source: "lib/config.ts; AWS::Lambda::EventSourceMapping ScalingConfig",
    }),
    row({
      name: "SQS event source mapping, standard mode: concurrent batches",
      limit: AWS_QUOTAS.esmMaxConcurrencyCap.toLocaleString("en-US"),
      demand: `${fmt(processConcurrency)}`,
      demandValue: processConcurrency,
      limitValue: AWS_QUOTAS.esmMaxConcurrencyCap,
      raisable: "no (provisioned mode pollers go further; or a second queue + mapping)",
      action: "bigger batches (processBatchSize with a batching window)",
      source: "docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html",
    }),
    row({
      name: "SQS in-flight messages per standard queue",
      limit: `~${AWS_QUOTAS.sqsInFlight.toLocaleString("en-US")}`,
      demand: `${fmt(processConcurrency * settings.processBatchSize)} (concurrency x batch)`,
      demandValue: processConcurrency * settings.processBatchSize,
      limitValue: AWS_QUOTAS.sqsInFlight,
      raisable: "yes (support request)",
      action: "keep visibility timeouts short; a backlog of retries counts too",
      source:
        "docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html",
    }),
    row({
      name: "DynamoDB on-demand table throughput (events table)",
      limit: `${AWS_QUOTAS.dynamodbTableWru.toLocaleString("en-US")} WRU/s`,
      demand: `${fmt(tableWcu)} WRU/s (${perEvent(tableWcu).toFixed(2)}/event, stats included)`,
      demandValue: tableWcu,
      limitValue: AWS_QUOTAS.dynamodbTableWru,
      raisable: "yes (Service Quotas, table-level write throughput)",
      action: "raise it; compact items (1 WRU/event) halve it",
      source: "docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html",
    }),
    row({
      name: "DynamoDB on-demand table throughput (busiest GSI)",
      limit: `${AWS_QUOTAS.dynamodbTableWru.toLocaleString("en-US")} WRU/s`,
      demand: `${fmt(maxIndexWcu)} WRU/s`,
      demandValue: maxIndexWcu,
      limitValue: AWS_QUOTAS.dynamodbTableWru,
      raisable: "yes (same quota)",
      action: "raise it",
      source: "docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html",
    }),
    row({
      name: "DynamoDB on-demand ramp: new table 4,000 WRU/s, then 2x the previous peak per 30 min",
      limit: `${AWS_QUOTAS.dynamodbNewTableWru.toLocaleString("en-US")} WRU/s at first`,
      demand: `${fmt(Math.max(tableWcu, maxIndexWcu))} WRU/s: ${rampDoublings} doubling(s), ~${rampDoublings * 30} min of ramp`,
      demandValue: Math.max(tableWcu, maxIndexWcu),
      limitValue: AWS_QUOTAS.dynamodbNewTableWru,
      raisable: "no, but pre-warm (warm throughput) before a launch or load test",
      action: "UpdateTable WarmThroughput to the expected peak a day before",
      source:
        "docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html",
    }),
    {
      name: "Lambda scaling rate per function",
      limit: "1,000 execution environments per 10 s",
      demand: `ingest needs ${fmt(ingestConcurrency)}: ~${Math.ceil(ingestConcurrency / AWS_QUOTAS.lambdaScalingPer10s) * 10} s from cold`,
      use: 0,
      bindsAt: Number.POSITIVE_INFINITY,
      raisable: "no",
      action: "ramp a test over minutes; ingestProvisionedConcurrency for steps",
      source: "docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html",
    },
    {
      name: "SQS event source mapping scale-up",
      limit: "+300 concurrent batches per minute (from 5)",
      demand: `${fmt(processConcurrency)} batches: ~${Math.ceil(Math.max(0, processConcurrency - 5) / AWS_QUOTAS.esmScaleUpPerMinute)} min to reach`,
      use: 0,
      bindsAt: Number.POSITIVE_INFINITY,
      raisable: "no (provisioned mode scales 3x faster)",
      action: "ramp a test over minutes; the queue absorbs the backlog meanwhile",
      source: "docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html",
    },
  ];
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return "-";
  if (n >= 100) return Math.round(n).toLocaleString("en-US");
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/**
 * AWS list prices used by `npm run bench` (load-testing/bench/cost-model.ts): the one
 * place they live. Change a figure here, with its date, and every cost printed changes.
 *
 * Free tiers are ignored on purpose: the figures are marginal costs at volume.
 */

export const PRICES = {
  region: "us-east-1",
  /** When these figures were copied. */
  asOf: "2026-11-22",
  source:
    "AWS pricing pages (aws.amazon.com/<service>/pricing), us-east-1, list prices as quoted in the issue 'Load testing and benchmarks'; copied 2026-11-22 and not re-checked online (the build machine has no network)",

  /** API Gateway REST API, per million requests (first 333 million a month). */
  apiGatewayRestPerMillionRequests: 3.5,
  /** API Gateway HTTP API, per million requests (first 300 million a month); for comparison only. */
  apiGatewayHttpPerMillionRequests: 1.0,

  /** SQS standard queue, per million requests; every 64 KiB chunk of a payload is one request. */
  sqsStandardPerMillionRequests: 0.4,
  sqsBillingChunkBytes: 64 * 1024,

  /** Lambda on arm64 (Graviton), per GB-second of billed duration (first 6 billion GB-s a month). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** Lambda, per million invocations. */
  lambdaPerMillionRequests: 0.2,

  /** DynamoDB on-demand (Standard table class), per million write / read request units. */
  dynamodbOnDemandPerMillionWru: 0.625,
  dynamodbOnDemandPerMillionRru: 0.125,
  /** DynamoDB provisioned capacity, per WCU-hour; for the "what would it take" comparison only. */
  dynamodbProvisionedPerWcuHour: 0.00065,
  /** DynamoDB storage (Standard table class) and continuous backups (PITR), per GB-month. */
  dynamodbStoragePerGbMonth: 0.25,
  dynamodbPitrPerGbMonth: 0.2,

  /**
   * CloudWatch Logs ingestion (Standard log class), per GB. Metrics sent as EMF cost no
   * PutMetricData call; their log lines are ingested (and billed) like any other line.
   */
  cloudwatchLogsIngestionPerGb: 0.5,
  /** CloudWatch custom metric, per metric-month (first 10,000): a fixed cost, not per event. */
  cloudwatchCustomMetricPerMonth: 0.3,

  /** X-Ray, per million traces recorded. */
  xrayPerMillionTracesRecorded: 5.0,
} as const;

/**
 * Assumptions that are not prices but turn usage into money; each is printed with the
 * figure it affects.
 */
export const ASSUMPTIONS = {
  /**
   * X-Ray default sampling rule: the first request each second, then 5 %. At volume the
   * 5 % dominates; API Gateway and both functions have tracing on (lib/constructs).
   */
  xraySampledShare: 0.05,
  /** Billing units: AWS bills GB as 2^30 bytes. */
  bytesPerGb: 1024 ** 3,
} as const;

/** The same shape with plain numbers, so a scenario can swap a price. */
type Widened<T> = { readonly [K in keyof T]: T[K] extends number ? number : T[K] };

export type Prices = Widened<typeof PRICES>;
export type Assumptions = Widened<typeof ASSUMPTIONS>;

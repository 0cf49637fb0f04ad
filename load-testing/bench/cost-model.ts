/**
 * Cost per million events from measured usage: requests, billed Lambda milliseconds,
 * DynamoDB units and log bytes counted during an end-to-end run, times the prices in
 * load-testing/prices.ts. Pure arithmetic, so it is unit-tested and a price change is a
 * one-line edit.
 */
import { ASSUMPTIONS, type Assumptions, PRICES, type Prices } from "../prices.js";

export interface FunctionUsage {
  invocations: number;
  /** Sum over invocations of the duration rounded up to 1 ms (Lambda's billing unit). */
  billedMs: number;
  memoryMb: number;
}

export interface SqsUsage {
  /** HTTP requests made. */
  requests: number;
  /** Requests as billed: every started 64 KiB chunk of a request's payload counts as one. */
  billedRequests: number;
}

/** What a run of `events` events used. */
export interface DesignUsage {
  events: number;
  apiRequests: number;
  functions: Record<string, FunctionUsage>;
  /** By operation; includes what Lambda's event source mapping does (receive, delete). */
  sqs: Record<string, SqsUsage>;
  /** Write request units by target: "table", an index name, "stats". */
  wru: Record<string, number>;
  rru: number;
  /** Bytes written to CloudWatch Logs, by source. */
  logBytes: Record<string, number>;
  /** Requests and invocations that start an X-Ray trace, before sampling. */
  traceRoots: number;
  /** Bytes kept in DynamoDB (items and index entries with their overhead). */
  storedBytes: number;
}

export interface CostLine {
  service: string;
  item: string;
  /** Usage per event, in `unit`. */
  perEvent: number;
  unit: string;
  usdPerMillionEvents: number;
}

export interface CostBreakdown {
  lines: CostLine[];
  byService: Record<string, number>;
  totalPerMillionEvents: number;
  /** Not in the total: accrues per month while the events are kept. */
  storagePerMillionEventsPerMonth: number;
}

/** SQS bills each started 64 KiB of payload as a request. */
export function sqsBilledRequests(payloadBytes: number, chunkBytes = PRICES.sqsBillingChunkBytes) {
  return Math.max(1, Math.ceil(payloadBytes / chunkBytes));
}

export const gbSeconds = (billedMs: number, memoryMb: number): number =>
  (billedMs / 1000) * (memoryMb / 1024);

export function costPerMillionEvents(
  usage: DesignUsage,
  prices: Prices = PRICES,
  assumptions: Assumptions = ASSUMPTIONS,
): CostBreakdown {
  if (!(usage.events > 0)) throw new RangeError("usage must cover at least one event");
  const per = (n: number) => n / usage.events;
  const lines: CostLine[] = [];
  const add = (service: string, item: string, perEvent: number, unit: string, usd: number) =>
    lines.push({ service, item, perEvent, unit, usdPerMillionEvents: perEvent * usd });

  add(
    "API Gateway",
    "REST requests",
    per(usage.apiRequests),
    "requests",
    prices.apiGatewayRestPerMillionRequests,
  );

  const invocations = Object.values(usage.functions).reduce((s, f) => s + f.invocations, 0);
  add("Lambda", "invocations", per(invocations), "requests", prices.lambdaPerMillionRequests);
  for (const [name, f] of Object.entries(usage.functions)) {
    add(
      "Lambda",
      `${name} compute (${f.memoryMb} MB arm64)`,
      per(gbSeconds(f.billedMs, f.memoryMb)),
      "GB-s",
      prices.lambdaArmPerGbSecond * 1e6,
    );
  }

  for (const [operation, s] of Object.entries(usage.sqs)) {
    add("SQS", operation, per(s.billedRequests), "requests", prices.sqsStandardPerMillionRequests);
  }

  for (const [target, units] of Object.entries(usage.wru)) {
    add("DynamoDB", `writes: ${target}`, per(units), "WRU", prices.dynamodbOnDemandPerMillionWru);
  }
  if (usage.rru > 0) {
    add("DynamoDB", "reads", per(usage.rru), "RRU", prices.dynamodbOnDemandPerMillionRru);
  }

  const perGbToPerByte = (usdPerGb: number) => (usdPerGb / assumptions.bytesPerGb) * 1e6;
  for (const [source, bytes] of Object.entries(usage.logBytes)) {
    add(
      "CloudWatch Logs",
      source,
      per(bytes),
      "bytes",
      perGbToPerByte(prices.cloudwatchLogsIngestionPerGb),
    );
  }

  add(
    "X-Ray",
    `traces (${assumptions.xraySampledShare * 100}% sampled)`,
    per(usage.traceRoots) * assumptions.xraySampledShare,
    "traces",
    prices.xrayPerMillionTracesRecorded,
  );

  const byService: Record<string, number> = {};
  for (const line of lines) {
    byService[line.service] = (byService[line.service] ?? 0) + line.usdPerMillionEvents;
  }
  const totalPerMillionEvents = lines.reduce((s, l) => s + l.usdPerMillionEvents, 0);
  const storagePerMillionEventsPerMonth =
    per(usage.storedBytes) *
    perGbToPerByte(prices.dynamodbStoragePerGbMonth + prices.dynamodbPitrPerGbMonth);
  return { lines, byService, totalPerMillionEvents, storagePerMillionEventsPerMonth };
}

/** The same usage with some write targets removed (e.g. an index dropped). */
export function withoutWrites(usage: DesignUsage, targets: readonly string[]): DesignUsage {
  const wru = Object.fromEntries(Object.entries(usage.wru).filter(([k]) => !targets.includes(k)));
  return { ...usage, wru };
}

/** The same usage with each event's base-table write capped at `units` WRU. */
export function withTableWriteUnits(usage: DesignUsage, unitsPerEvent: number): DesignUsage {
  return { ...usage, wru: { ...usage.wru, table: unitsPerEvent * usage.events } };
}

/**
 * Price per million WRU of provisioned capacity kept `utilization` busy on average
 * (one WCU is one 1 KiB write per second).
 */
export function provisionedPerMillionWru(utilization: number, prices: Prices = PRICES): number {
  if (!(utilization > 0 && utilization <= 1)) throw new RangeError("utilization is 0-1");
  return (prices.dynamodbProvisionedPerWcuHour / 3600 / utilization) * 1e6;
}

const SQS_MAX_BATCH_BYTES = 256 * 1024;

/**
 * The same usage with `eventsPerRequest` events per API request: API requests, ingest
 * invocations, access log lines and traces scale down; ingest compute per event is kept.
 */
export function withEventsPerRequest(usage: DesignUsage, eventsPerRequest: number): DesignUsage {
  const requests = Math.ceil(usage.events / eventsPerRequest);
  const ratio = requests / usage.apiRequests;
  const functions = { ...usage.functions };
  const ingest = functions.ingest;
  if (ingest) functions.ingest = { ...ingest, invocations: requests };
  const logBytes = { ...usage.logBytes };
  for (const key of Object.keys(logBytes)) {
    if (key.startsWith("API Gateway")) logBytes[key] = (logBytes[key] ?? 0) * ratio;
  }
  return {
    ...usage,
    apiRequests: requests,
    functions,
    logBytes,
    traceRoots: usage.traceRoots - usage.apiRequests + requests,
  };
}

/**
 * SQS usage if ingest packed `eventsPerMessage` events into each message (sent 10 to a
 * batch within 256 KiB; received 10 messages per receive, deleted 10 per batch), billed
 * per 64 KiB chunk; process invocations fall to one per receive (compute per event kept),
 * and so do the statistics updates, which are one per type and hour in each batch.
 */
export function withEventsPerMessage(
  usage: DesignUsage,
  eventsPerMessage: number,
  payloadBytesPerEvent: number,
): DesignUsage {
  const messageBytes = eventsPerMessage * payloadBytesPerEvent;
  if (messageBytes > SQS_MAX_BATCH_BYTES) {
    throw new RangeError(`${eventsPerMessage} events of ${payloadBytesPerEvent} B exceed 256 KiB`);
  }
  const messages = Math.ceil(usage.events / eventsPerMessage);
  const perSend = Math.max(1, Math.min(10, Math.floor(SQS_MAX_BATCH_BYTES / messageBytes)));
  const sends = Math.ceil(messages / perSend);
  const receives = Math.ceil(messages / 10);
  const functions = { ...usage.functions };
  const process = functions.process;
  if (process) functions.process = { ...process, invocations: receives };
  const wru = { ...usage.wru };
  if (process && wru.stats !== undefined) wru.stats *= receives / process.invocations;
  return {
    ...usage,
    functions,
    wru,
    sqs: {
      "SendMessageBatch (ingest)": {
        requests: sends,
        billedRequests: sends * sqsBilledRequests(perSend * messageBytes),
      },
      "ReceiveMessage (event source mapping)": {
        requests: receives,
        billedRequests: receives * sqsBilledRequests(Math.min(10, messages) * messageBytes),
      },
      "DeleteMessageBatch (event source mapping)": { requests: receives, billedRequests: receives },
    },
    traceRoots: usage.traceRoots - (process?.invocations ?? 0) + receives,
  };
}

/**
 * The same usage with `eventsPerBatch` records per process invocation (processBatchSize, with
 * a batching window): invocations, their platform log lines and traces, and the statistics
 * updates (one per tenant and hour of a batch) fall in proportion; compute per event, SQS
 * requests (at most 10 messages per receive or delete) and writes per event are kept.
 */
export function withProcessBatch(
  usage: DesignUsage,
  eventsPerBatch: number,
  platformLogKey = "Lambda START/END/REPORT/XRAY lines",
): DesignUsage {
  const process = usage.functions.process;
  if (!process) return usage;
  const invocations = Math.ceil(usage.events / eventsPerBatch);
  const ratio = invocations / process.invocations;
  const wru = { ...usage.wru };
  if (wru.stats !== undefined) wru.stats *= ratio;
  const logBytes = { ...usage.logBytes };
  const platform = logBytes[platformLogKey];
  if (platform !== undefined) {
    const all = Object.values(usage.functions).reduce((n, f) => n + f.invocations, 0);
    const perInvocation = platform / all;
    logBytes[platformLogKey] = platform - (process.invocations - invocations) * perInvocation;
  }
  return {
    ...usage,
    functions: { ...usage.functions, process: { ...process, invocations } },
    wru,
    logBytes,
    traceRoots: usage.traceRoots - process.invocations + invocations,
  };
}

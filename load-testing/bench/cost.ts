/**
 * Section 3: cost per million events. Drives the real handlers in-process, end to end:
 * ingest -> fauxqs -> a receive / invoke / delete loop standing in for Lambda's event
 * source mapping -> process -> dynalite, counting every AWS request with an SDK
 * middleware (request-counter.ts), then prices the usage (cost-model.ts, prices.ts).
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { PRICES, type Prices } from "../prices.js";
import { benchAws } from "./bench-aws.js";
import {
  type CostBreakdown,
  costPerMillionEvents,
  type DesignUsage,
  type FunctionUsage,
  provisionedPerMillionWru,
  withEventsPerMessage,
  withEventsPerRequest,
  withoutWrites,
  withProcessBatch,
  withTableWriteUnits,
} from "./cost-model.js";
import { contextFor, eventSource, ingestRequest, OutputSink, recordOf } from "./fixtures.js";
import type { Method } from "./handlers.js";
import { type OperationCount, RequestCounter } from "./request-counter.js";
import { type Summary, summarize } from "./stats.js";

export interface DesignSpec {
  name: string;
  description: string;
  /** Events per POST /v1/events. */
  ingestBatch: number;
  /** Records per process invocation. */
  processBatch: number;
  events: number;
}

export interface DesignRun {
  spec: DesignSpec;
  usage: DesignUsage;
  cost: CostBreakdown;
  operations: OperationCount[];
  /** Empty receives of the polling loop, left out of the usage (idle polling is a fixed cost). */
  emptyReceives: number;
  invocationMs: Record<string, Summary>;
  /** Serialized size of the events sent (the "1 KiB"). */
  eventJsonBytes: Summary;
  /** Size of the stored event items as DynamoDB counts them. */
  itemBytes: Summary;
  /** Bytes per attribute of one stored item. */
  sampleItemAttributes: Record<string, number>;
}

export interface Scenario {
  name: string;
  totalPerMillionEvents: number;
}

export interface CostResult {
  designs: DesignRun[];
  scenarios: Scenario[];
  targetPerMillionEvents: number;
  leanTargetPerMillionEvents: number;
  /** Days events are kept (lib/config.ts eventRetentionDays): storage accrues that long. */
  retentionDays: number;
}

/** Issue 20's goals: the default configuration with every query, and the lean profile. */
export const TARGET_PER_MILLION_EVENTS = 1.5;
export const LEAN_TARGET_PER_MILLION_EVENTS = 0.8;

const LAMBDA_REQUEST_ID = "3f1c9a52-7d4e-4b8a-9c61-2e5f0a7b8d34";

/** What Lambda itself writes per invocation (text log format, active tracing). */
export const PLATFORM_LOG_LINES = [
  `START RequestId: ${LAMBDA_REQUEST_ID} Version: $LATEST\n`,
  `END RequestId: ${LAMBDA_REQUEST_ID}\n`,
  `REPORT RequestId: ${LAMBDA_REQUEST_ID}\tDuration: 23.45 ms\tBilled Duration: 24 ms\tMemory Size: 512 MB\tMax Memory Used: 112 MB\t\n`,
  "XRAY TraceId: 1-6740a1b2-0f1e2d3c4b5a69788796a5b4\tSegmentId: 4a3b2c1d0e9f8a7b\tSampled: false\t\n",
].join("");

/** One access log line, with the fields of lib/constructs/api.ts (ACCESS_LOG_FIELDS). */
export const ACCESS_LOG_LINE = `${JSON.stringify({
  requestId: "8b0f4c6e-2a1d-4e3f-9b7c-5d6e7f8a9b0c",
  extendedRequestId: "Bq1x2FdVIAMEb5A=",
  ip: "203.0.113.10",
  userAgent: "eventflow-client/1.0 node/24",
  requestTime: "22/Nov/2026:02:33:25 +0000",
  method: "POST",
  resourcePath: "/v1/events",
  path: "/prod/v1/events",
  protocol: "HTTP/1.1",
  status: "202",
  responseLength: "1843",
  latency: "38",
  integrationLatency: "35",
  integrationStatus: "200",
  errorMessage: "-",
  xrayTraceId: "Root=1-6740a1b2-0f1e2d3c4b5a69788796a5b4;Sampled=0",
})}\n`;

export function costMethod(): Method {
  return {
    summary: `ingest -> fauxqs -> receive/invoke/delete loop (the event source mapping) -> process -> dynalite, in-process; AWS requests counted by an SDK middleware (SQS billed per 64 KiB); WRU computed from the items written (+1 per index entry); Lambda GB-s from measured ms (local, emulators in-process); log bytes = handlers' stdout + Lambda platform lines + API access log; prices: load-testing/prices.ts (${PRICES.region}, ${PRICES.asOf})`,
    detail: [
      "all events are ingested first, then polled: ReceiveMessage up to the batch size, the process handler, DeleteMessageBatch of the records not in batchItemFailures; empty receives (idle polling) are left out",
      "requests: a middleware at the deserialize step (below the retry middleware: one count per HTTP attempt) on the shared clients and on the poller's own client",
      "DynamoDB WRU from each PutItem/UpdateItem body: 1 per started KiB of the item, 1 write per index entry (byType and byTime for every event, failed only for failed events; INCLUDE entries fit 1 KiB)",
      "Lambda: wall ms per invocation measured here (emulators in-process, not AWS latency), rounded up to 1 ms, at the memory in lib/config.ts, arm64 price",
      "logs: bytes the handlers printed (Powertools JSON logs at INFO, EMF metrics), Lambda's START/END/REPORT/XRAY lines per invocation, one API Gateway access log line per request (fields of lib/constructs/api.ts)",
      "X-Ray: API requests and process invocations start traces; the default rule samples 5 % at volume; free tiers ignored",
    ],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function functionUsage(durations: number[], memoryMb: number): FunctionUsage {
  return {
    invocations: durations.length,
    billedMs: durations.reduce((s, d) => s + Math.max(1, Math.ceil(d)), 0),
    memoryMb,
  };
}

async function runDesign(spec: DesignSpec, seed: number): Promise<DesignRun> {
  const aws = await benchAws();
  await aws.purgeQueue();
  const counter = new RequestCounter();
  const sink = new OutputSink();
  const poller = new SQSClient({
    endpoint: aws.emulators.sqsEndpoint,
    useQueueUrlAsEndpoint: false,
  });
  const detachPoller = counter.attach(poller, "event source mapping");
  const source = eventSource(`c${spec.name}${Date.now().toString(36)}`, seed);
  const ingestContext = contextFor("ingest", aws.settings.ingestMemoryMb);
  const processContext = contextFor("process", aws.settings.processMemoryMb);
  const { queueUrl, queueArn } = aws.resources;
  const ingestMs: number[] = [];
  const processMs: number[] = [];
  const eventBytes: number[] = [];
  let ingestLogBytes = 0;
  let processLogBytes = 0;
  try {
    // Ingest everything first: the poller then sees full batches, as under sustained load.
    let detach = counter.attach(aws.clients.sqs, "ingest");
    sink.install();
    try {
      for (let sent = 0; sent < spec.events; sent += spec.ingestBatch) {
        const events = Array.from({ length: Math.min(spec.ingestBatch, spec.events - sent) }, () =>
          source.next(),
        );
        for (const e of events) eventBytes.push(Buffer.byteLength(JSON.stringify(e)));
        const request = ingestRequest(events);
        const t = performance.now();
        const response = await aws.ingest(request, ingestContext);
        ingestMs.push(performance.now() - t);
        if (response.statusCode !== 202) {
          throw new Error(`ingest answered ${response.statusCode}: ${response.body}`);
        }
      }
    } finally {
      sink.restore();
      ingestLogBytes = sink.take();
      detach();
    }

    detach = counter.attach(aws.clients.sqs, "process");
    const detachDynamodb = counter.attach(aws.clients.dynamodb, "process");
    sink.install();
    try {
      let processed = 0;
      let idle = 0;
      while (processed < spec.events) {
        const messages: Message[] = [];
        while (messages.length < spec.processBatch) {
          const { Messages = [] } = await poller.send(
            new ReceiveMessageCommand({
              QueueUrl: queueUrl,
              MaxNumberOfMessages: Math.min(10, spec.processBatch - messages.length),
              MessageSystemAttributeNames: ["All"],
              MessageAttributeNames: ["All"],
              WaitTimeSeconds: 0,
            }),
          );
          if (Messages.length === 0) break;
          messages.push(...Messages);
        }
        if (messages.length === 0) {
          if (++idle > 100) throw new Error(`queue ran dry at ${processed}/${spec.events}`);
          await sleep(20);
          continue;
        }
        const records = messages.map((m) => recordOf(m, queueArn));
        const t = performance.now();
        const response = await aws.process({ Records: records }, processContext);
        processMs.push(performance.now() - t);
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        const done = records.filter((r) => !failed.has(r.messageId));
        for (let i = 0; i < done.length; i += 10) {
          await poller.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: done
                .slice(i, i + 10)
                .map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
            }),
          );
        }
        processed += done.length;
      }
    } finally {
      sink.restore();
      processLogBytes = sink.take();
      detach();
      detachDynamodb();
    }
  } finally {
    detachPoller();
    poller.destroy();
  }

  const operations = counter.summary();
  const emptyReceives = operations
    .filter((o) => o.operation === "ReceiveMessage" && o.caller === "event source mapping")
    .reduce((s, o) => s + o.empty, 0);
  const sqs: DesignUsage["sqs"] = {};
  for (const o of operations) {
    if (o.service !== "SQS") continue;
    sqs[`${o.operation} (${o.caller})`] = {
      requests: o.requests,
      billedRequests: o.billedRequests,
    };
  }
  const usage: DesignUsage = {
    events: spec.events,
    apiRequests: ingestMs.length,
    functions: {
      ingest: functionUsage(ingestMs, aws.settings.ingestMemoryMb),
      process: functionUsage(processMs, aws.settings.processMemoryMb),
    },
    sqs,
    wru: { ...counter.wru },
    rru: counter.rru,
    logBytes: {
      "ingest output (logs + EMF)": ingestLogBytes,
      "process output (logs + EMF)": processLogBytes,
      "Lambda START/END/REPORT/XRAY lines":
        (ingestMs.length + processMs.length) * Buffer.byteLength(PLATFORM_LOG_LINES),
      "API Gateway access log": ingestMs.length * Buffer.byteLength(ACCESS_LOG_LINE),
    },
    traceRoots: ingestMs.length + processMs.length,
    storedBytes: counter.storedBytes,
  };
  return {
    spec,
    usage,
    cost: costPerMillionEvents(usage),
    operations,
    emptyReceives,
    invocationMs: { ingest: summarize(ingestMs), process: summarize(processMs) },
    eventJsonBytes: summarize(eventBytes),
    itemBytes: summarize(counter.itemBytes),
    sampleItemAttributes: counter.sampleItemAttributes ?? {},
  };
}

/** The empty receives are idle polling, which the per-event figures leave out. */
function withoutEmptyReceives(run: DesignRun): DesignRun {
  if (run.emptyReceives === 0) return run;
  const key = "ReceiveMessage (event source mapping)";
  const receive = run.usage.sqs[key];
  if (!receive) return run;
  const sqs = {
    ...run.usage.sqs,
    [key]: {
      requests: receive.requests - run.emptyReceives,
      billedRequests: receive.billedRequests - run.emptyReceives,
    },
  };
  const usage = { ...run.usage, sqs };
  return { ...run, usage, cost: costPerMillionEvents(usage) };
}

export function scenarios(defaults: DesignRun): Scenario[] {
  const usage = defaults.usage;
  const total = (u: DesignUsage, prices: Prices = PRICES) =>
    costPerMillionEvents(u, prices).totalPerMillionEvents;
  const send = defaults.operations.find(
    (o) => o.operation === "SendMessageBatch" && o.caller === "ingest",
  );
  const payloadPerEvent = (send?.payloadBytes ?? 0) / usage.events;
  const http: Prices = {
    ...PRICES,
    apiGatewayRestPerMillionRequests: PRICES.apiGatewayHttpPerMillionRequests,
  };
  const provisioned = (p: Prices): Prices => ({
    ...p,
    dynamodbOnDemandPerMillionWru: provisionedPerMillionWru(0.7, p),
  });
  // The documented profiles (README "Cost"): settings that exist, priced on this run's usage.
  const provisionedDefault = total(usage, provisioned(PRICES));
  const leanProfile = total(
    withProcessBatch(withEventsPerRequest(withoutWrites(usage, ["byTime"]), 100), 100),
    provisioned(PRICES),
  );
  const lean = withEventsPerMessage(
    withEventsPerRequest(withTableWriteUnits(withoutWrites(usage, ["byType", "byTime"]), 1), 100),
    25,
    payloadPerEvent,
  );
  return [
    {
      name: "as measured (default settings: on demand, every query)",
      totalPerMillionEvents: total(usage),
    },
    {
      name: "PROFILE default + eventsTableCapacity=provisioned (every query)",
      totalPerMillionEvents: provisionedDefault,
    },
    {
      name: "PROFILE lean: provisioned + timeShards=0 (no byTime) + processBatchSize=100 + 100 events/request",
      totalPerMillionEvents: leanProfile,
    },
    { name: "drop byTime", totalPerMillionEvents: total(withoutWrites(usage, ["byTime"])) },
    {
      name: "drop byType + byTime",
      totalPerMillionEvents: total(withoutWrites(usage, ["byType", "byTime"])),
    },
    {
      name: "items <= 1 KiB (1 WRU per event write)",
      totalPerMillionEvents: total(withTableWriteUnits(usage, 1)),
    },
    {
      name: "100 events per API request (not 25)",
      totalPerMillionEvents: total(withEventsPerRequest(usage, 100)),
    },
    {
      name: "25 events per SQS message",
      totalPerMillionEvents: total(withEventsPerMessage(usage, 25, payloadPerEvent)),
    },
    { name: "HTTP API instead of REST", totalPerMillionEvents: total(usage, http) },
    {
      name: "provisioned WCU at 70% utilization",
      totalPerMillionEvents: total(usage, provisioned(PRICES)),
    },
    {
      name: "no indexes + 1 KiB items + 100/request + 25/message + HTTP API",
      totalPerMillionEvents: total(lean, http),
    },
    { name: "... + provisioned WCU at 70%", totalPerMillionEvents: total(lean, provisioned(http)) },
  ];
}

export async function benchCost(options: {
  defaultEvents: number;
  naiveEvents: number;
}): Promise<CostResult> {
  const aws = await benchAws();
  const defaults: DesignSpec = {
    name: "default",
    description: `REST API, ${25} events/request (load generator default), SendMessageBatch, process batch ${aws.settings.processBatchSize} (lib/config.ts)`,
    ingestBatch: 25,
    processBatch: aws.settings.processBatchSize,
    events: options.defaultEvents,
  };
  const naive: DesignSpec = {
    name: "naive",
    description:
      "REST API, 1 event/request, one send per event (a 1-entry SendMessageBatch, billed as a SendMessage), process batch 1",
    ingestBatch: 1,
    processBatch: 1,
    events: options.naiveEvents,
  };
  const designs = [
    withoutEmptyReceives(await runDesign(defaults, 11)),
    withoutEmptyReceives(await runDesign(naive, 12)),
  ];
  return {
    designs,
    scenarios: scenarios(designs[0] as DesignRun),
    targetPerMillionEvents: TARGET_PER_MILLION_EVENTS,
    leanTargetPerMillionEvents: LEAN_TARGET_PER_MILLION_EVENTS,
    retentionDays: aws.settings.eventRetentionDays,
  };
}

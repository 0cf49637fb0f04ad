/**
 * The stack's SQS event source mappings, locally: the events queue to the process
 * function (batch size, batching window, MaximumConcurrency from the settings), the
 * DLQ to the dlq function, and the two delivery queues (standard and FIFO) to the deliver
 * function. Each mapping is an SqsPoller (local/sqs-poller.ts).
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import type { EventFlowSettings } from "../lib/config.js";
import {
  DLQ_MAX_CONCURRENCY,
  JOBS_BATCH_SIZE,
  JOBS_MAX_CONCURRENCY,
} from "../lib/contracts/functions.js";
import type { DirectSqs } from "./emulators.js";
import type { InvokeOutcome } from "./lambda.js";
import type { RuntimeLogger } from "./log.js";
import type { LocalResources } from "./resources.js";
import { SqsPoller } from "./sqs-poller.js";

export interface EventSourceOptions {
  sqs: SQSClient;
  /**
   * The delivery pollers' own client: their long polls (deliverMaxConcurrency each) would
   * otherwise take the sockets the other pollers and /_local/status need (the SDK's
   * default agent has 50).
   */
  deliverySqs?: SQSClient;
  /**
   * The embedded SQS without HTTP (local/emulators.ts): every poller receives and deletes
   * through it. Undefined against an external SQS (LocalStack...): the clients above.
   */
  direct?: DirectSqs;
  resources: LocalResources;
  settings: EventFlowSettings;
  region: string;
  invokeProcess: (event: SQSEvent) => Promise<InvokeOutcome>;
  invokeDlq: (event: SQSEvent) => Promise<InvokeOutcome>;
  invokeJobs: (event: SQSEvent) => Promise<InvokeOutcome>;
  invokeDeliver: (event: SQSEvent) => Promise<InvokeOutcome>;
  logger: RuntimeLogger;
}

export interface EventSources {
  process: SqsPoller;
  dlq: SqsPoller;
  /** The history jobs queue to the jobs function (batch size 1, like the stack's). */
  jobs: SqsPoller;
  deliveries: SqsPoller;
  orderedDeliveries: SqsPoller;
  idle(): boolean;
  /**
   * Stops polling and waits for the batches in flight, until `deadline` at the latest
   * (an abandoned batch returns after its visibility timeout).
   */
  stop(deadline: number): Promise<void>;
}

export function startEventSources(options: EventSourceOptions): EventSources {
  const { sqs, resources, settings, region, logger } = options;
  const direct = options.direct ? { direct: options.direct } : {};
  const processPoller = new SqsPoller({
    name: "process",
    sqs,
    queueUrl: resources.queueUrl,
    queueArn: resources.queueArn,
    region,
    ...direct,
    batchSize: settings.processBatchSize,
    maxBatchingWindowSeconds: settings.processMaxBatchingWindowSeconds,
    maxConcurrency: settings.processMaxConcurrency,
    logger,
    invoke: options.invokeProcess,
  });
  const dlqPoller = new SqsPoller({
    name: "dlq",
    sqs,
    queueUrl: resources.dlqUrl,
    queueArn: resources.dlqArn,
    region,
    ...direct,
    batchSize: settings.dlqBatchSize,
    maxBatchingWindowSeconds: 0,
    maxConcurrency: DLQ_MAX_CONCURRENCY,
    deadLetterSourceArn: resources.queueArn,
    logger,
    invoke: options.invokeDlq,
  });
  const jobsPoller = new SqsPoller({
    name: "jobs",
    sqs,
    queueUrl: resources.jobsQueueUrl,
    queueArn: resources.jobsQueueArn,
    region,
    ...direct,
    batchSize: JOBS_BATCH_SIZE,
    maxBatchingWindowSeconds: 0,
    maxConcurrency: JOBS_MAX_CONCURRENCY,
    logger,
    invoke: options.invokeJobs,
  });
  const deliveryPoller = (name: string, queueUrl: string, queueArn: string) =>
    new SqsPoller({
      name,
      sqs: options.deliverySqs ?? sqs,
      queueUrl,
      queueArn,
      region,
      ...direct,
      batchSize: settings.deliverBatchSize,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: settings.deliverMaxConcurrency,
      logger,
      invoke: options.invokeDeliver,
    });
  const deliveries = deliveryPoller(
    "deliver",
    resources.deliveryQueueUrl,
    resources.deliveryQueueArn,
  );
  const orderedDeliveries = deliveryPoller(
    "deliver-ordered",
    resources.deliveryFifoQueueUrl,
    resources.deliveryFifoQueueArn,
  );
  const all = [processPoller, dlqPoller, jobsPoller, deliveries, orderedDeliveries];
  for (const poller of all) poller.start();
  return {
    process: processPoller,
    dlq: dlqPoller,
    jobs: jobsPoller,
    deliveries,
    orderedDeliveries,
    idle: () => all.every((p) => p.idle),
    stop: async (deadline) => {
      // In-flight batches end by their function timeout at the latest.
      const grace = Math.max(1_000, deadline - Date.now());
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(all.map((p) => p.stop())),
        new Promise((r) => {
          timer = setTimeout(r, grace);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

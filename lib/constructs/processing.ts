/**
 * The asynchronous half: the process function drains the queue, the dlq function
 * records what SQS gave up on. Both answer with partial batch responses.
 */
import { Duration } from "aws-cdk-lib";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Construct } from "constructs";
import type { EventFlowSettings } from "../config.js";
import { DLQ_MAX_CONCURRENCY, type ResourceRefs } from "../contracts/functions.js";
import { EventFlowFunction } from "./eventflow-function.js";
import type { EventStorage } from "./storage.js";

export interface EventProcessingProps {
  settings: EventFlowSettings;
  storage: EventStorage;
  refs: ResourceRefs;
  /** See EventFlowFunctionProps.projectRoot. */
  projectRoot?: string;
}

export class EventProcessing extends Construct {
  public readonly processFunction: EventFlowFunction;
  public readonly dlqFunction: EventFlowFunction;

  constructor(scope: Construct, id: string, props: EventProcessingProps) {
    super(scope, id);
    const { settings, storage, refs, projectRoot } = props;

    this.processFunction = new EventFlowFunction(this, "Process", {
      name: "process",
      settings,
      refs,
      projectRoot,
    });
    this.processFunction.bindTable(storage.table, "write");
    // A rule's route: SendMessage to the delivery queues (their policy admits process). The
    // destinations' `ordered` setting needs GetItem on the configuration table, which the
    // rules engine's own grant covers.
    this.processFunction.bindQueue(storage.deliveryQueue, "send");
    this.processFunction.bindQueue(storage.deliveryFifoQueue, "send");
    this.processFunction.bindRules(storage.configTable, "read");
    // Windows and patterns: a tenant's declarations (cached windowConfigCacheSeconds).
    this.processFunction.bindConfigTable(storage.configTable, "read");
    // The event source grants receive/delete/ChangeMessageVisibility on the queue; the
    // handler uses ChangeMessageVisibility itself to back off a transient failure.
    this.processFunction.function.addEventSource(
      new SqsEventSource(storage.queue, {
        batchSize: settings.processBatchSize,
        maxBatchingWindow:
          settings.processMaxBatchingWindowSeconds > 0
            ? Duration.seconds(settings.processMaxBatchingWindowSeconds)
            : undefined,
        maxConcurrency: settings.processMaxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    this.dlqFunction = new EventFlowFunction(this, "DeadLetter", {
      name: "dlq",
      settings,
      refs,
      projectRoot,
    });
    this.dlqFunction.bindTable(storage.table, "write");
    this.dlqFunction.bindConfigTable(storage.configTable, "read");
    this.dlqFunction.function.addEventSource(
      new SqsEventSource(storage.deadLetterQueue, {
        batchSize: settings.dlqBatchSize,
        maxConcurrency: DLQ_MAX_CONCURRENCY,
        reportBatchItemFailures: true,
      }),
    );
  }
}

/**
 * The delivery engine: the deliver function on the two delivery queues (standard and
 * FIFO), partial batch responses, its own MaximumConcurrency (deliverMaxConcurrency) apart
 * from the process function's, so a slow destination can hold at most the deliver
 * function's share and never ingest or processing.
 */
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Construct } from "constructs";
import type { EventFlowSettings } from "../config.js";
import type { ResourceRefs } from "../contracts/functions.js";
import { EventFlowFunction } from "./eventflow-function.js";
import type { EventStorage } from "./storage.js";

export interface EventDeliveryProps {
  settings: EventFlowSettings;
  storage: EventStorage;
  refs: ResourceRefs;
  projectRoot?: string;
}

export class EventDelivery extends Construct {
  public readonly deliverFunction: EventFlowFunction;

  constructor(scope: Construct, id: string, props: EventDeliveryProps) {
    super(scope, id);
    const { settings, storage, refs, projectRoot } = props;
    this.deliverFunction = new EventFlowFunction(this, "Deliver", {
      name: "deliver",
      settings,
      refs,
      projectRoot,
    });
    const fn = this.deliverFunction;
    fn.bindDestinations(storage.configTable, "health");
    fn.bindDeliveriesLog(storage.deliveriesTable, "write", storage.deliveriesIndexNames);
    fn.bindQueue(storage.deliveryDeadLetterQueue, "send");
    // eventflow.destination.disabled goes in as an event (the events queue lets it send).
    fn.bindQueue(storage.queue, "send");
    storage.destinationKey.grantRead(fn.function);
    fn.bindDeliveryTargets(settings.deliveryTargetPrefix, settings.deliveryEmailFrom);
    // The event sources grant receive, delete and ChangeMessageVisibility (the retries).
    for (const queue of [storage.deliveryQueue, storage.deliveryFifoQueue]) {
      fn.function.addEventSource(
        new SqsEventSource(queue, {
          batchSize: settings.deliverBatchSize,
          maxConcurrency: settings.deliverMaxConcurrency,
          reportBatchItemFailures: true,
        }),
      );
    }
  }
}

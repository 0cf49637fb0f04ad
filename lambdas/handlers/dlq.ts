/**
 * The DLQ consumer: records each dead-lettered event as `failed` (kind "dead_letter"),
 * idempotently. A record that cannot be stored throws and stays in the DLQ; see
 * use-cases/record-dead-event.ts. A full-batch failure throws (Powertools' default),
 * which leaves the whole batch in the DLQ: the same outcome as listing every id.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ENV } from "../../lib/contracts/environment.js";
import { SqsVisibilityRetryScheduler } from "../adapters/sqs-visibility.js";
import type { EventWriter } from "../ports/event-store.js";
import type { RetryScheduler } from "../ports/retry-scheduler.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import type { WindowApplier } from "../use-cases/apply-windows.js";
import { DeadLetterBatch } from "../use-cases/record-dead-event.js";
import { sqsBatchHandler, toQueueMessage } from "./sqs-record.js";
import { eventWriterFrom, windowApplierFrom } from "./store-wiring.js";

export interface DlqDeps {
  writer: EventWriter;
  windows?: WindowApplier;
  retries: RetryScheduler;
  maxReceiveCount: number;
}

export function dlqDeps(
  env: EnvRecord,
  clients: { documentClient: DynamoDBDocumentClient; sqs: SQSClient },
): DlqDeps {
  const config = parseEnv(
    {
      [ENV.dlqUrl]: envVars[ENV.dlqUrl],
      [ENV.maxReceiveCount]: envVars[ENV.maxReceiveCount],
    },
    env,
  );
  const writer = eventWriterFrom(env, clients.documentClient);
  return {
    writer,
    windows: windowApplierFrom(env, clients.documentClient, writer),
    retries: new SqsVisibilityRetryScheduler(clients.sqs, config[ENV.dlqUrl]),
    maxReceiveCount: config[ENV.maxReceiveCount],
  };
}

export function createDlqHandler(deps: DlqDeps) {
  return sqsBatchHandler(() => {
    const batch = new DeadLetterBatch(deps);
    return {
      handle: (record) => batch.handle(toQueueMessage(record)),
      finish: () => batch.finish(),
    };
  });
}

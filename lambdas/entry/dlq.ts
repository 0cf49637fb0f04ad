/** The dlq function's Lambda entry: environment and clients once per execution environment. */
import { createDlqHandler, dlqDeps } from "../handlers/dlq.js";
import { createDynamoDbClients, createSqsClient } from "../shared/clients.js";

const { documentClient } = createDynamoDbClients();
export const handler = createDlqHandler(
  dlqDeps(process.env, { documentClient, sqs: createSqsClient() }),
);

/** The process function's Lambda entry: environment and clients once per execution environment. */
import { createProcessHandler, processDeps } from "../handlers/process.js";
import { createDynamoDbClients, createSqsClient } from "../shared/clients.js";

const { documentClient } = createDynamoDbClients();
export const handler = createProcessHandler(
  processDeps(process.env, { documentClient, sqs: createSqsClient() }),
);

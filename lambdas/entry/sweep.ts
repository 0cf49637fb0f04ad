/** The sweep function's Lambda entry: environment and clients once per execution environment. */
import { createSweepHandler, sweepDeps } from "../handlers/sweep.js";
import { createDynamoDbClients, createSqsClient } from "../shared/clients.js";

const { documentClient } = createDynamoDbClients();
export const handler = createSweepHandler(
  sweepDeps(process.env, { documentClient, sqs: createSqsClient() }),
);

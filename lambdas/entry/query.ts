/** The query function's Lambda entry: environment and clients once per execution environment. */
import { createQueryHandler, queryDeps } from "../handlers/query.js";
import { createDynamoDbClients, createSqsClient } from "../shared/clients.js";

export const handler = createQueryHandler(
  queryDeps(process.env, { ...createDynamoDbClients(), sqs: createSqsClient() }),
);

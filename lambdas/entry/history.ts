/**
 * The history API function's Lambda entry: exports, replays, erasures. No S3 client here:
 * the archive store builds it on the first route that needs it (handlers/history.ts).
 */
import { createHistoryHandler, historyDeps } from "../handlers/history.js";
import { createDynamoDbClients, createSqsClient } from "../shared/clients.js";

export const handler = createHistoryHandler(
  historyDeps(process.env, { ...createDynamoDbClients(), sqs: createSqsClient() }),
);

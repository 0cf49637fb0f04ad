/** The history API function's Lambda entry: exports, replays, erasures. */
import { createHistoryHandler, historyDeps } from "../handlers/history.js";
import { createDynamoDbClients, createSqsClient } from "../shared/clients.js";
import { createS3Client } from "../shared/s3-client.js";

export const handler = createHistoryHandler(
  historyDeps(process.env, {
    ...createDynamoDbClients(),
    sqs: createSqsClient(),
    s3: createS3Client(),
  }),
);

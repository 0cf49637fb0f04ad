/** The replay function's Lambda entry: environment and clients once per execution environment. */
import { createReplayHandler, replayDeps } from "../handlers/replay.js";
import { createDynamoDbClients, createSqsClient } from "../shared/clients.js";

export const handler = createReplayHandler(
  replayDeps(process.env, { ...createDynamoDbClients(), sqs: createSqsClient() }),
);

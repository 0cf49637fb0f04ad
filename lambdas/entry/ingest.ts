/** The ingest function's Lambda entry: environment and clients once per execution environment. */
import { createIngestHandler, ingestDeps } from "../handlers/ingest.js";
import { createSqsClient } from "../shared/sqs-client.js";

export const handler = createIngestHandler(ingestDeps(process.env, { sqs: createSqsClient() }));

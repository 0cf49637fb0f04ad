/** The ingest function's Lambda entry: environment and clients once per execution environment. */
import { createIngestHandler, ingestDeps } from "../handlers/ingest.js";
import { createDynamoDbClients } from "../shared/clients.js";
import { createSqsClient } from "../shared/sqs-client.js";

// DynamoDB for the schema registry (GetItem of a type's schema, cached: handlers/schema-wiring.ts).
export const handler = createIngestHandler(
  ingestDeps(process.env, {
    sqs: createSqsClient(),
    documentClient: createDynamoDbClients().documentClient,
  }),
);

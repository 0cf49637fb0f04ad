/** The destinations function's Lambda entry: environment and clients once per execution environment. */
import { SecretsManagerReader } from "../adapters/secrets-manager-reader.js";
import { createDestinationsHandler, destinationsDeps } from "../handlers/destinations.js";
import { createDynamoDbClients, createSqsClient } from "../shared/clients.js";
import { createSecretsManagerClient } from "../shared/secrets-client.js";

export const handler = createDestinationsHandler(
  destinationsDeps(process.env, {
    ...createDynamoDbClients(),
    sqs: createSqsClient(),
    secrets: new SecretsManagerReader(createSecretsManagerClient()),
  }),
);

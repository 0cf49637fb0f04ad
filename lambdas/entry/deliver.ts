/**
 * The deliver function's Lambda entry: environment and clients once per execution environment.
 * The SNS, EventBridge and SES clients are not built here: each is built with its
 * destination kind's transport, on the first delivery of that kind.
 */
import { SecretsManagerReader } from "../adapters/secrets-manager-reader.js";
import { createDeliverHandler, deliverDeps } from "../handlers/deliver.js";
import { createDynamoDbClients, createSqsClient } from "../shared/clients.js";
import { createSecretsManagerClient } from "../shared/secrets-client.js";

export const handler = createDeliverHandler(
  deliverDeps(process.env, {
    documentClient: createDynamoDbClients().documentClient,
    sqs: createSqsClient(),
    secrets: new SecretsManagerReader(createSecretsManagerClient()),
  }),
);

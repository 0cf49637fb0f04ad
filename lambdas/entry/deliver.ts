/** The deliver function's Lambda entry: environment and clients once per execution environment. */
import { SecretsManagerReader } from "../adapters/secrets-manager-reader.js";
import { createDeliverHandler, deliverDeps } from "../handlers/deliver.js";
import { createDynamoDbClients, createSqsClient } from "../shared/clients.js";
import {
  createEventBridgeClient,
  createSesClient,
  createSnsClient,
} from "../shared/delivery-clients.js";
import { createSecretsManagerClient } from "../shared/secrets-client.js";

export const handler = createDeliverHandler(
  deliverDeps(process.env, {
    documentClient: createDynamoDbClients().documentClient,
    sqs: createSqsClient(),
    secrets: new SecretsManagerReader(createSecretsManagerClient()),
    sns: createSnsClient(),
    eventBridge: createEventBridgeClient(),
    ses: createSesClient(),
  }),
);

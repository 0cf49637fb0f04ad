/** The schemas function's Lambda entry: environment and clients once per execution environment. */
import { SecretsManagerReader } from "../adapters/secrets-manager-reader.js";
import { createSchemasHandler, schemasDeps } from "../handlers/schemas.js";
import { createDynamoDbClients } from "../shared/clients.js";
import { createSecretsManagerClient } from "../shared/secrets-client.js";

export const handler = createSchemasHandler(
  schemasDeps(process.env, {
    ...createDynamoDbClients(),
    secrets: new SecretsManagerReader(createSecretsManagerClient()),
  }),
);

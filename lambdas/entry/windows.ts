/** The windows function's Lambda entry: environment and clients once per execution environment. */
import { SecretsManagerReader } from "../adapters/secrets-manager-reader.js";
import { createWindowsHandler, windowsDeps } from "../handlers/windows.js";
import { createDynamoDbClients } from "../shared/clients.js";
import { createSecretsManagerClient } from "../shared/secrets-client.js";

export const handler = createWindowsHandler(
  windowsDeps(process.env, {
    ...createDynamoDbClients(),
    secrets: new SecretsManagerReader(createSecretsManagerClient()),
  }),
);

/** The rules function's Lambda entry: environment and clients once per execution environment. */
import { SecretsManagerReader } from "../adapters/secrets-manager-reader.js";
import { createRulesHandler, rulesDeps } from "../handlers/rules.js";
import { createDynamoDbClients } from "../shared/clients.js";
import { createSecretsManagerClient } from "../shared/secrets-client.js";

export const handler = createRulesHandler(
  rulesDeps(process.env, {
    ...createDynamoDbClients(),
    secrets: new SecretsManagerReader(createSecretsManagerClient()),
  }),
);

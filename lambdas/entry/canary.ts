/** The canary's Lambda entry: environment and clients once per execution environment. */
import { canaryDeps, createCanaryHandler } from "../handlers/canary.js";
import { createApiGatewayClient } from "../shared/apigateway.js";
import { createDynamoDbClients } from "../shared/clients.js";

const { documentClient } = createDynamoDbClients();
export const handler = createCanaryHandler(
  canaryDeps(process.env, { documentClient, apigateway: createApiGatewayClient() }),
);

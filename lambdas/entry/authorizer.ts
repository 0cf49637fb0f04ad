/** The authorizer's Lambda entry: environment and clients once per execution environment. */
import { authorizerDeps, createAuthorizerHandler } from "../handlers/authorizer.js";
import { createDynamoDbClients } from "../shared/clients.js";

const { documentClient } = createDynamoDbClients();
export const handler = createAuthorizerHandler(authorizerDeps(process.env, { documentClient }));

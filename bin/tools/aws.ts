/**
 * The AWS clients the tools use, built in one place so tests inject stubs (or clients on
 * the emulators) and nothing here reaches AWS unless a tool was pointed at a stack.
 */
import { APIGatewayClient } from "@aws-sdk/client-api-gateway";
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDbKeyStore } from "../../lambdas/adapters/dynamodb-key-store.js";

export interface AwsClients {
  dynamodb(config: DynamoDBClientConfig): DynamoDBClient;
  apigateway(config: { region: string }): Pick<APIGatewayClient, "send" | "destroy">;
}

export const defaultClients: AwsClients = {
  dynamodb: (config) => new DynamoDBClient(config),
  apigateway: (config) => new APIGatewayClient(config),
};

/**
 * A DynamoDB endpoint of the local runtime or an emulator: as the runtime does, its own
 * credentials when the environment sets some (DynamoDB Local keys data by them), else
 * dummy ones.
 */
export function localDynamoDb(
  clients: AwsClients,
  endpoint: string,
  region: string,
  env: Record<string, string | undefined>,
): DynamoDBClient {
  const own = Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY);
  return clients.dynamodb({
    endpoint,
    region,
    ...(own ? {} : { credentials: { accessKeyId: "local", secretAccessKey: "local" } }),
  });
}

/** The keys table through a DynamoDB client. */
export const keyStoreOn = (dynamodb: DynamoDBClient, tableName: string) =>
  new DynamoDbKeyStore(DynamoDBDocumentClient.from(dynamodb), { tableName });

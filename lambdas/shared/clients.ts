/**
 * DynamoDB client factories. Only the entry modules (lambdas/entry) keep module-level
 * instances, created once per execution environment; the local runtime and the tests
 * create their own with their endpoints. Their settings: sdk-options.ts.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type ClientConfig, clientSettings } from "./client-config.js";
import { DOCUMENT_CLIENT_OPTIONS, withoutSdkLogging } from "./sdk-options.js";

export interface DynamoDbClients {
  dynamodb: DynamoDBClient;
  /** Built on `dynamodb`: it shares its middleware stack (and so any fault injection). */
  documentClient: DynamoDBDocumentClient;
}

export function createDynamoDbClients(config: ClientConfig = {}): DynamoDbClients {
  const dynamodb = withoutSdkLogging(new DynamoDBClient(clientSettings(config)));
  return {
    dynamodb,
    documentClient: DynamoDBDocumentClient.from(dynamodb, DOCUMENT_CLIENT_OPTIONS),
  };
}

// The SQS client factory lives in sqs-client.ts so that SQS-only functions do not bundle DynamoDB.
export { createSqsClient } from "./sqs-client.js";

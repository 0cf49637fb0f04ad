/**
 * SDK clients, created once per execution environment and reused across invocations.
 * Endpoints come from the SDK's standard settings (AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_DYNAMODB), so the same code runs against
 * AWS, LocalStack or the embedded emulators. Their settings: sdk-options.ts.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DOCUMENT_CLIENT_OPTIONS, withoutSdkLogging } from "./sdk-options.js";

export const dynamodb = withoutSdkLogging(new DynamoDBClient({}));

export const documentClient = DynamoDBDocumentClient.from(dynamodb, DOCUMENT_CLIENT_OPTIONS);

// The SQS client lives in sqs-client.ts so that SQS-only functions do not bundle DynamoDB.
export { sqs } from "./sqs-client.js";

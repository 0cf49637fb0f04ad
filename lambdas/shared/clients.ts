/**
 * SDK clients, created once per execution environment and reused across invocations.
 * Endpoints come from the SDK's standard settings (AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_DYNAMODB), so the same code runs against
 * AWS, LocalStack or the embedded emulators. Their settings: sdk-options.ts.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DOCUMENT_CLIENT_OPTIONS, withoutSdkLogging } from "./sdk-options.js";

export const dynamodb = withoutSdkLogging(new DynamoDBClient({}));

export const documentClient = DynamoDBDocumentClient.from(dynamodb, DOCUMENT_CLIENT_OPTIONS);

// Send to the configured endpoint, not the host inside a queue URL: emulators hand out
// queue URLs whose host does not resolve (sqs.<region>.localhost); on AWS both agree.
export const sqs = withoutSdkLogging(new SQSClient({ useQueueUrlAsEndpoint: false }));

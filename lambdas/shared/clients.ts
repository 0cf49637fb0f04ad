/**
 * SDK clients, created once per execution environment and reused across invocations.
 * Endpoints come from the SDK's standard settings (AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_DYNAMODB), so the same code runs against
 * AWS, LocalStack or the embedded emulators.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export const dynamodb = new DynamoDBClient({});

export const documentClient = DynamoDBDocumentClient.from(dynamodb, {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  unmarshallOptions: { wrapNumbers: false },
});

// Send to the configured endpoint, not the host inside a queue URL: emulators hand out
// queue URLs whose host does not resolve (sqs.<region>.localhost); on AWS both agree.
export const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });

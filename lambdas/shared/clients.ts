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

/**
 * Numbers: the SDK refuses to write any number beyond 2^53 (even 1e20, which a double holds
 * exactly) and reads such numbers back as BigInt, which JSON.stringify cannot answer. Every
 * number we store passed domain/json.ts: its double prints back to the client's exact
 * decimal, so writing `String(n)` and reading with Number() loses nothing.
 */
export const documentClient = DynamoDBDocumentClient.from(dynamodb, {
  marshallOptions: {
    removeUndefinedValues: true,
    convertClassInstanceToMap: false,
    allowImpreciseNumbers: true,
  },
  unmarshallOptions: { wrapNumbers: (value: string) => Number(value) },
});

// Send to the configured endpoint, not the host inside a queue URL: emulators hand out
// queue URLs whose host does not resolve (sqs.<region>.localhost); on AWS both agree.
export const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });

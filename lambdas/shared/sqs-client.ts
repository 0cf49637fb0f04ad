/**
 * The SQS client factory alone, for functions that use no other service (ingest):
 * importing shared/clients.ts would bundle the DynamoDB client too (measured by
 * `npm run bench`: ~50 KB and a few ms of init).
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { type ClientConfig, clientSettings } from "./client-config.js";
import { withoutSdkLogging } from "./sdk-options.js";

export function createSqsClient(config: ClientConfig = {}): SQSClient {
  // Send to the configured endpoint, not the host inside a queue URL: emulators hand out
  // queue URLs whose host does not resolve (sqs.<region>.localhost); on AWS both agree.
  return withoutSdkLogging(
    new SQSClient({ ...clientSettings(config), useQueueUrlAsEndpoint: false }),
  );
}

/**
 * The SQS client alone, for functions that use no other service (ingest): importing
 * shared/clients.ts would bundle and construct the DynamoDB client too (measured by
 * `npm run bench`: ~50 KB and a few ms of init). clients.ts re-exports this instance,
 * so every importer shares one client per execution environment.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { withoutSdkLogging } from "./sdk-options.js";

// Send to the configured endpoint, not the host inside a queue URL: emulators hand out
// queue URLs whose host does not resolve (sqs.<region>.localhost); on AWS both agree.
export const sqs = withoutSdkLogging(new SQSClient({ useQueueUrlAsEndpoint: false }));

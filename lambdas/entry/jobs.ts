/** The history jobs function's Lambda entry: runs export, replay and erasure slices. */
import { createJobsHandler, jobsDeps } from "../handlers/jobs.js";
import { createDynamoDbClients, createSqsClient } from "../shared/clients.js";
import { createS3Client } from "../shared/s3-client.js";

export const handler = createJobsHandler(
  jobsDeps(process.env, {
    ...createDynamoDbClients(),
    sqs: createSqsClient(),
    s3: createS3Client(),
  }),
);

/** The S3 client factory (the archive bucket). Path-style when an endpoint is given (emulators). */
import { S3Client } from "@aws-sdk/client-s3";
import { type ClientConfig, clientSettings } from "./client-config.js";
import { withoutSdkLogging } from "./sdk-options.js";

export function createS3Client(config: ClientConfig = {}): S3Client {
  return withoutSdkLogging(
    new S3Client({ ...clientSettings(config), forcePathStyle: config.endpoint !== undefined }),
  );
}

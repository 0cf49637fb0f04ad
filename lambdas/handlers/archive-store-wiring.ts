/**
 * The history API's archive store: S3 and the Parquet code, the entry of a side file
 * (lib/constructs/eventflow-function.ts: SIDE_BUNDLES) that the history function loads
 * through archive-store-loader.ts on the first route that needs the archive.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { decodeArchiveRows } from "../adapters/parquet-archive.js";
import { S3ArchiveStore, type S3ArchiveStoreOptions } from "../adapters/s3-archive-store.js";
import type { ArchiveStore } from "../ports/archive.js";
import { createS3Client } from "../shared/s3-client.js";

/** `s3` absent (the Lambda entry): the SDK's standard client, built now. */
export function s3ArchiveStore(
  options: Omit<S3ArchiveStoreOptions, "readRows">,
  s3: S3Client = createS3Client(),
): ArchiveStore {
  return new S3ArchiveStore(s3, { ...options, readRows: decodeArchiveRows });
}

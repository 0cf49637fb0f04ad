/** The archive function's Lambda entry: the table's change stream (and compaction) -> S3. */
import { archiveDeps, createArchiveHandler } from "../handlers/archive.js";
import { createS3Client } from "../shared/s3-client.js";

export const handler = createArchiveHandler(archiveDeps(process.env, { s3: createS3Client() }));

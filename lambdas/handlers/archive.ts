/**
 * The archive function (README "History"): the events table's change stream (a DynamoDB
 * Streams event source mapping, filtered to event items) -> one staged Parquet file per day
 * a batch touches, every tenant's rows in it. The same function files staged rows by tenant
 * when its frequent schedule invokes it (`{"split": true, ...}`: the splitter's settings
 * come in the event, from lib/config.ts through the stack or the local runtime), and
 * compacts finished days when its daily schedule does (`{"compact": true}`). Locally the runtime drives it from a change feed
 * of the same writes (local/change-feed.ts): dynalite has no streams.
 *
 * A failed batch throws: the event source retries it (records are kept 24 h by the stream);
 * the files a failed attempt wrote hold the same revisions and collapse on read.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Context, DynamoDBStreamEvent } from "aws-lambda";
import { ENV } from "../../lib/contracts/environment.js";
import { METRIC } from "../../lib/contracts/observability.js";
import { decodeArchiveRowsOnFirstNeed } from "../adapters/parquet-reader-loader.js";
import { S3ArchiveStore } from "../adapters/s3-archive-store.js";
import type { ArchiveStore } from "../ports/archive.js";
import type { EnvRecord } from "../shared/env-base.js";
import { miniEnvVars, parseEnvMini } from "../shared/env-mini.js";
import { logger, metrics } from "../shared/powertools.js";
import {
  archiveChanges,
  compactArchive,
  type SplitOptions,
  splitStaged,
} from "../use-cases/archive-events.js";
import { tableChangeOf } from "./stream-record.js";

export interface ArchiveDeps {
  store: ArchiveStore;
}

export function archiveDeps(env: EnvRecord, clients: { s3: S3Client }): ArchiveDeps {
  // zod/mini: the archive uses zod for its environment only (shared/env-mini.ts).
  const config = parseEnvMini({ [ENV.archiveBucket]: miniEnvVars[ENV.archiveBucket] }, env);
  return {
    // Stream batches only write; the splitter and compaction runs load the reader.
    store: new S3ArchiveStore(clients.s3, {
      bucket: config[ENV.archiveBucket],
      readRows: decodeArchiveRowsOnFirstNeed,
    }),
  };
}

/** The splitter's schedule input (lib/constructs/history.ts, local/runtime.ts). */
export type SplitEvent = { split: true } & Pick<
  SplitOptions,
  "chunkFiles" | "bufferRows" | "shard" | "shards"
>;

export type ArchiveEvent = DynamoDBStreamEvent | { compact: true; tenant?: string } | SplitEvent;

/** Time kept back from a split run's timeout: the chunk under way must finish. */
export const SPLIT_RESERVE_MS = 5 * 60_000;

export const createArchiveHandler =
  ({ store }: ArchiveDeps) =>
  async (event: ArchiveEvent, context?: Pick<Context, "getRemainingTimeInMillis">) => {
    try {
      if ("split" in event) {
        const remaining = context?.getRemainingTimeInMillis();
        const outcome = await splitStaged(
          {
            chunkFiles: event.chunkFiles,
            bufferRows: event.bufferRows,
            ...(event.shards ? { shard: event.shard ?? 0, shards: event.shards } : {}),
            ...(remaining ? { deadline: Date.now() + remaining - SPLIT_RESERVE_MS } : {}),
          },
          { store },
        );
        metrics.addMetric(METRIC.archiveStagedLeft, MetricUnit.Count, outcome.left);
        logger.info("Archive split", { ...outcome });
        return outcome;
      }
      if ("compact" in event) {
        const outcome = await compactArchive({
          store,
          ...(event.tenant ? { tenant: event.tenant } : {}),
        });
        logger.info("Archive compacted", { ...outcome });
        return outcome;
      }
      const changes = event.Records.flatMap((r) => {
        const change = tableChangeOf(r);
        return change ? [change] : [];
      });
      const outcome = await archiveChanges(changes, { store });
      metrics.addMetric(METRIC.eventsArchived, MetricUnit.Count, outcome.archived);
      const oldest = Math.min(...changes.map((c) => c.changedAtMs));
      if (Number.isFinite(oldest)) {
        metrics.addMetric(METRIC.archiveLag, MetricUnit.Milliseconds, Date.now() - oldest);
      }
      return outcome;
    } finally {
      metrics.publishStoredMetrics();
    }
  };

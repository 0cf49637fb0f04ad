/**
 * Where the archive function loads the Parquet reader from, the first time it reads a file
 * (issue 20, cold start): its stream batches only write staged files; its splitter and
 * compaction runs read them. The reader is ~55 KB of hyparquet.
 *
 * As lambdas/domain/schema-validator-loader.ts: the relative specifier names
 * parquet-reader.ts from the sources (tsx, vitest) and, in the Lambda bundle, the side file
 * `parquet-reader.js` next to `index.js` (lib/constructs/eventflow-function.ts:
 * SIDE_BUNDLES).
 */
import type { ParquetDecoder } from "../ports/archive.js";

export type ParquetReaderModule = typeof import("./parquet-reader.js");

let loading: Promise<ParquetReaderModule> | undefined;

export const loadParquetReader = (): Promise<ParquetReaderModule> => {
  loading ??= import("./parquet-reader.js");
  return loading;
};

/** decodeArchiveRows, from the reader loaded on the first call. */
export const decodeArchiveRowsOnFirstNeed: ParquetDecoder = async (bytes, columns) =>
  (await loadParquetReader()).decodeArchiveRows(bytes, columns);

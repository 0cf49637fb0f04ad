/**
 * The Parquet reader alone (hyparquet's reading half, ~55 KB), the entry of a side file
 * (lib/constructs/eventflow-function.ts: SIDE_BUNDLES). Load it through
 * parquet-reader-loader.ts.
 */
export { decodeArchiveRows } from "./parquet-archive.js";

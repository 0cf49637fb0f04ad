/**
 * The archive (README "History"): Parquet files of archived events in an object store, and
 * export files beside them. S3 on AWS; the local runtime's emulated S3 (fauxqs) locally.
 */
import type { ArchiveRow, StagedRow } from "../domain/archive.js";

export interface ArchiveObject {
  key: string;
  size: number;
}

export interface ArchiveStore {
  /**
   * Writes one Parquet file of archived events; a staged key (lib/contracts/archive.ts
   * `isStagedKey`) also gets the rows' `tenant` column (they are StagedRows then).
   */
  writeEvents(key: string, rows: readonly ArchiveRow[]): Promise<void>;
  /** Reads a Parquet file of archived events (all columns, or those named). */
  readEvents(key: string, columns?: readonly (keyof StagedRow)[]): Promise<ArchiveRow[]>;
  /** Whether an object is there (the splitter's check that its inputs were not taken meanwhile). */
  exists(key: string): Promise<boolean>;
  /** Every object under a prefix (paged through). */
  list(prefix: string): Promise<ArchiveObject[]>;
  /** The partition prefixes (`.../day=D/`) directly under a tenant's prefix. */
  listPrefixes(prefix: string): Promise<string[]>;
  delete(keys: readonly string[]): Promise<void>;
  /** An object's bytes (undefined when there is none). */
  readFile(key: string): Promise<Uint8Array | undefined>;
  /** Writes an export file. */
  putFile(key: string, body: Uint8Array | string, contentType: string): Promise<void>;
  /** Where an export can be downloaded: a presigned URL (and, locally, a file URL). */
  downloadUrl(key: string, expiresInSeconds: number): Promise<{ url: string; fileUrl?: string }>;
}

/** A Parquet file of archived events as rows (all columns, or those named). */
export type ParquetDecoder = (
  bytes: Uint8Array,
  columns?: readonly (keyof StagedRow)[],
) => Promise<ArchiveRow[]>;

/** The rows of a Parquet file of archived events, as bytes (exports in Parquet). */
export type ParquetEncoder = (rows: readonly ArchiveRow[]) => Uint8Array;

/**
 * Archived events as Parquet (hyparquet + hyparquet-writer: pure JavaScript, no native
 * code, so the same encoder runs in Lambda and locally). Snappy-compressed, one row group per
 * 100,000 rows; DuckDB and Athena read these files as they are.
 */
import { parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import {
  ARCHIVE_COLUMNS,
  type ArchiveColumnType,
  isStagedKey,
  STAGED_COLUMNS,
} from "../../lib/contracts/archive.js";
import type { ArchiveRow, StagedRow } from "../domain/archive.js";

const BASIC_TYPE: Record<ArchiveColumnType, "STRING" | "INT32" | "TIMESTAMP" | "JSON"> = {
  string: "STRING",
  int: "INT32",
  timestamp: "TIMESTAMP",
  // Plain UTF-8 strings holding JSON text: Athena and DuckDB read them as VARCHAR.
  json: "STRING",
};

/** The columns of the file at `key`: a staged file also carries each row's tenant. */
export const columnsOfKey = (key: string) => (isStagedKey(key) ? STAGED_COLUMNS : ARCHIVE_COLUMNS);

export function encodeArchiveRows(
  rows: readonly ArchiveRow[],
  columns: typeof ARCHIVE_COLUMNS = ARCHIVE_COLUMNS,
): Uint8Array {
  const columnData = columns.map((column) => {
    const name = column.name as keyof StagedRow;
    const type = BASIC_TYPE[column.type];
    const data = rows.map((row) => {
      const value = (row as StagedRow)[name];
      if (value === null || value === undefined) return null;
      if (column.type === "timestamp") return new Date(Number(value));
      if (column.type === "int") return Number(value);
      return String(value);
    });
    return { name: column.name, data, type };
  });
  const buffer = parquetWriteBuffer({
    columnData,
    rowGroupSize: 100_000,
    createdBy: "eventflow archive",
  });
  return new Uint8Array(buffer);
}

export async function decodeArchiveRows(
  bytes: Uint8Array,
  columns?: readonly (keyof StagedRow)[],
): Promise<ArchiveRow[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const rows = (await parquetReadObjects({
    file: file as ArrayBuffer,
    ...(columns ? { columns: [...columns] } : {}),
  })) as Record<string, unknown>[];
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(row)) {
      if (value instanceof Date) out[name] = value.getTime();
      else if (typeof value === "bigint") out[name] = Number(value);
      else out[name] = value ?? null;
    }
    return out as unknown as ArchiveRow;
  });
}

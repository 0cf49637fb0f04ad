/**
 * An ArchiveStore in memory with the real Parquet codec: the archive's use cases without S3
 * (unit tests, and the history bench's cost figures, which count its PUTs and GETs).
 */
import {
  columnsOfKey,
  decodeArchiveRows,
  encodeArchiveRows,
} from "../../lambdas/adapters/parquet-archive.js";
import type { ArchiveRow, StagedRow } from "../../lambdas/domain/archive.js";
import type { ArchiveObject, ArchiveStore } from "../../lambdas/ports/archive.js";

export class MemoryArchiveStore implements ArchiveStore {
  readonly files = new Map<string, Uint8Array>();
  puts = 0;
  gets = 0;
  heads = 0;
  lists = 0;

  async writeEvents(key: string, rows: readonly ArchiveRow[]) {
    this.puts++;
    this.files.set(key, encodeArchiveRows(rows, columnsOfKey(key)));
  }
  async exists(key: string) {
    this.heads++;
    return this.files.has(key);
  }
  async readEvents(key: string, columns?: readonly (keyof StagedRow)[]) {
    this.gets++;
    const bytes = this.files.get(key);
    return bytes ? decodeArchiveRows(bytes, columns) : [];
  }
  async readFile(key: string) {
    return this.files.get(key);
  }
  async list(prefix: string): Promise<ArchiveObject[]> {
    this.lists++;
    return [...this.files.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((key) => ({ key, size: this.files.get(key)?.byteLength ?? 0 }));
  }
  async listPrefixes(prefix: string) {
    this.lists++;
    const out = new Set<string>();
    for (const k of this.files.keys()) {
      if (!k.startsWith(prefix)) continue;
      const rest = k.slice(prefix.length);
      const slash = rest.indexOf("/");
      if (slash > 0) out.add(prefix + rest.slice(0, slash + 1));
    }
    return [...out].sort();
  }
  async delete(keys: readonly string[]) {
    for (const k of keys) this.files.delete(k);
  }
  async putFile(key: string, body: Uint8Array | string) {
    this.files.set(key, typeof body === "string" ? new TextEncoder().encode(body) : body);
  }
  async downloadUrl(key: string) {
    return { url: `memory://${key}` };
  }
}

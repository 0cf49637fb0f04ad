/**
 * An ArchiveStore built on its first use (issue 20, cold start): the history API's routes
 * that read the archive or sign a download (GET /v1/exports, GET /v1/exports/{id} of a
 * finished export, GET /v1/subjects/{subject}/export) load the S3 client and the Parquet
 * code then; the others (accepting, listing and cancelling jobs) never do.
 */
import type { ArchiveRow, StagedRow } from "../domain/archive.js";
import type { ArchiveObject, ArchiveStore } from "../ports/archive.js";

export class LazyArchiveStore implements ArchiveStore {
  private store: Promise<ArchiveStore> | undefined;

  constructor(private readonly build: () => Promise<ArchiveStore>) {}

  /** The store, built once; a failed build is tried again on the next call. */
  private get(): Promise<ArchiveStore> {
    this.store ??= this.build().catch((error: unknown) => {
      this.store = undefined;
      throw error;
    });
    return this.store;
  }

  async writeEvents(key: string, rows: readonly ArchiveRow[]): Promise<void> {
    return (await this.get()).writeEvents(key, rows);
  }
  async readEvents(key: string, columns?: readonly (keyof StagedRow)[]): Promise<ArchiveRow[]> {
    return (await this.get()).readEvents(key, columns);
  }
  async exists(key: string): Promise<boolean> {
    return (await this.get()).exists(key);
  }
  async list(prefix: string): Promise<ArchiveObject[]> {
    return (await this.get()).list(prefix);
  }
  async listPrefixes(prefix: string): Promise<string[]> {
    return (await this.get()).listPrefixes(prefix);
  }
  async delete(keys: readonly string[]): Promise<void> {
    return (await this.get()).delete(keys);
  }
  async readFile(key: string): Promise<Uint8Array | undefined> {
    return (await this.get()).readFile(key);
  }
  async putFile(key: string, body: Uint8Array | string, contentType: string): Promise<void> {
    return (await this.get()).putFile(key, body, contentType);
  }
  async downloadUrl(
    key: string,
    expiresInSeconds: number,
  ): Promise<{ url: string; fileUrl?: string }> {
    return (await this.get()).downloadUrl(key, expiresInSeconds);
  }
}

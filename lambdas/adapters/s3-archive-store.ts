/**
 * ArchiveStore on S3: Parquet files of archived events and export files. The same code runs
 * against AWS and the local runtime's emulated S3 (fauxqs, path-style); locally the emulator
 * keeps objects as files (`<root>/<key>.data`), which the download answer also names.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { ArchiveRow, StagedRow } from "../domain/archive.js";
import type { ArchiveObject, ArchiveStore, ParquetDecoder } from "../ports/archive.js";
import { columnsOfKey, encodeArchiveRows } from "./parquet-archive.js";

export interface S3ArchiveStoreOptions {
  bucket: string;
  /** Local runtime: the folder the emulator keeps this bucket's objects in. */
  fileRoot?: string;
  /**
   * How Parquet files are read: parquet-archive.ts `decodeArchiveRows`, or, where few
   * invocations read (the archive function: only its splitter and compaction runs), the
   * reader loaded on first need (parquet-reader-loader.ts).
   */
  readRows: ParquetDecoder;
}

/** DeleteObjects takes at most 1000 keys. */
const DELETE_CHUNK = 1000;

export class S3ArchiveStore implements ArchiveStore {
  constructor(
    private readonly s3: S3Client,
    private readonly options: S3ArchiveStoreOptions,
  ) {}

  async writeEvents(key: string, rows: readonly ArchiveRow[]): Promise<void> {
    await this.putFile(
      key,
      encodeArchiveRows(rows, columnsOfKey(key)),
      "application/vnd.apache.parquet",
    );
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return true;
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404) {
        return false;
      }
      throw error;
    }
  }

  async readEvents(key: string, columns?: readonly (keyof StagedRow)[]): Promise<ArchiveRow[]> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
    if (!out.Body) return [];
    return this.options.readRows(await out.Body.transformToByteArray(), columns);
  }

  async readFile(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.s3.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
      );
      return out.Body ? await out.Body.transformToByteArray() : undefined;
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<ArchiveObject[]> {
    const objects: ArchiveObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key) objects.push({ key: o.Key, size: o.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    const prefixes = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: prefix,
          Delimiter: "/",
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) prefixes.add(p.Prefix);
      // An emulator that ignores the delimiter: derive the prefixes from the keys.
      for (const o of page.Contents ?? []) {
        const rest = o.Key?.slice(prefix.length) ?? "";
        const slash = rest.indexOf("/");
        if (slash > 0) prefixes.add(`${prefix}${rest.slice(0, slash + 1)}`);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return [...prefixes].sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_CHUNK) {
      const chunk = keys.slice(i, i + DELETE_CHUNK);
      const out = await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.options.bucket,
          Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      if (out.Errors && out.Errors.length > 0) {
        throw new Error(
          `S3 refused to delete ${out.Errors.length} object(s): ${out.Errors[0]?.Code}`,
        );
      }
    }
  }

  async putFile(key: string, body: Uint8Array | string, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
      }),
    );
  }

  async downloadUrl(key: string, expiresIn: number): Promise<{ url: string; fileUrl?: string }> {
    const url = await getSignedUrl(
      this.s3,
      new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
      { expiresIn },
    );
    const root = this.options.fileRoot;
    return root ? { url, fileUrl: `file://${root}/${key}.data` } : { url };
  }
}

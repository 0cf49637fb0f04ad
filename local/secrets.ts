/**
 * The local runtime's secrets, in place of Secrets Manager (which the embedded emulators
 * do not have): the page cursors' HMAC key, random, kept in the data folder (0600) so
 * cursors stay valid across restarts, or only in memory with --memory.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SecretReader } from "../lambdas/ports/secrets.js";
import { writePrivateFile } from "./data-dir.js";

/** What the functions' CURSOR_SECRET_ID says locally (an ARN on AWS). */
export const LOCAL_CURSOR_SECRET_ID = "local:cursor-key";
const CURSOR_KEY_FILE = "cursor-key";

/** The key in `dataDir` (made on first start), or a new one per run without a folder. */
export function ensureCursorKey(dataDir: string | null): string {
  return ensureKeyFile(dataDir, CURSOR_KEY_FILE);
}

/**
 * The key that seals destinations' signing secrets (Secrets Manager on AWS): in the data
 * folder (0600) beside the data it protects, so a restart can still sign.
 */
export function ensureDestinationKey(dataDir: string | null): string {
  return ensureKeyFile(dataDir, "destination-key");
}

function ensureKeyFile(dataDir: string | null, name: string): string {
  const file = dataDir ? join(dataDir, name) : undefined;
  if (file && existsSync(file)) {
    const key = readFileSync(file, "utf8").trim();
    if (key.length >= 32) return key;
  }
  const key = randomBytes(48).toString("base64url");
  if (file) writePrivateFile(file, `${key}\n`);
  return key;
}

/** A SecretReader over a fixed set of values; an unknown id fails like a missing secret. */
export function localSecrets(values: Record<string, string>): SecretReader {
  return {
    get: async (id) => {
      const value = values[id];
      if (value === undefined) throw new Error(`no local secret ${id}`);
      return value;
    },
  };
}

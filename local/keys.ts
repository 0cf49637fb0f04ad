/**
 * API keys in the local runtime: its development key, and `runtime.json`, which tells
 * `npm run keys` (bin/keys.ts) where the running runtime keeps its keys.
 *
 * - On start, a data folder's `dev-key` is reused while the keys table still knows it;
 *   otherwise (first start, --reset, --memory) a key for tenant `local` with every scope
 *   is created, written to `<data-dir>/dev-key` (mode 600) and printed.
 * - `<data-dir>/runtime.json` holds the pid, the API URL and the DynamoDB endpoint and keys
 *   table name while the runtime runs (mode 600); it is removed at shutdown.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { hashApiKey, keyState, parseApiKey } from "../lambdas/domain/api-keys.js";
import type { KeyStore, UsagePlans } from "../lambdas/ports/api-keys.js";
import { createKey } from "../lambdas/use-cases/manage-keys.js";
import { SCOPES } from "../lib/contracts/functions.js";
import { writePrivateFile } from "./data-dir.js";

export const DEV_TENANT = "local";
export const DEV_KEY_FILE = "dev-key";
export const RUNTIME_INFO_FILE = "runtime.json";
/** The variable the printed examples, the README and the load generator read the key from. */
export const API_KEY_VARIABLE = "EVENTFLOW_API_KEY";

/** Locally a tenant's usage plan key is only what the gateway counts requests by. */
export const localUsagePlans: UsagePlans = {
  provision: async () => ({ usageKey: `local-${randomBytes(24).toString("base64url")}` }),
};

export interface DevKey {
  key: string;
  /** Where it is kept (undefined with --memory). */
  file?: string;
  created: boolean;
}

/** The development key: the data folder's, if still valid, else a new one. */
export async function ensureDevKey(store: KeyStore, dataDir: string | null): Promise<DevKey> {
  const file = dataDir ? join(dataDir, DEV_KEY_FILE) : undefined;
  if (file && existsSync(file)) {
    const key = readFileSync(file, "utf8").trim();
    if (parseApiKey(key)) {
      const record = await store.findByHash(hashApiKey(key));
      if (record && keyState(record, new Date()) === "active") return { key, file, created: false };
    }
  }
  const { key } = await createKey(
    { tenantId: DEV_TENANT, scopes: SCOPES, name: "local development key" },
    { store, usage: localUsagePlans, now: () => new Date() },
  );
  if (file) writePrivateFile(file, `${key}\n`);
  return { key, ...(file ? { file } : {}), created: true };
}

/** What `npm run keys` needs to reach a running local runtime. */
export interface RuntimeInfo {
  pid: number;
  url: string;
  region: string;
  dynamodbEndpoint: string;
  keysTableName: string;
  startedAt: string;
}

export function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): () => void {
  const file = join(dataDir, RUNTIME_INFO_FILE);
  writePrivateFile(file, `${JSON.stringify(info, null, 2)}\n`);
  return () => rmSync(file, { force: true });
}

export function readRuntimeInfo(dataDir: string): RuntimeInfo | undefined {
  const file = join(dataDir, RUNTIME_INFO_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const info = JSON.parse(readFileSync(file, "utf8")) as Partial<RuntimeInfo>;
    if (
      typeof info.pid !== "number" ||
      typeof info.dynamodbEndpoint !== "string" ||
      typeof info.keysTableName !== "string"
    ) {
      return undefined;
    }
    return info as RuntimeInfo;
  } catch {
    return undefined;
  }
}

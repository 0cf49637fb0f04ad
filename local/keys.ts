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
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { localUsagePlans } from "../lambdas/adapters/local-usage-plans.js";
import { hashApiKey, keyState, parseApiKey } from "../lambdas/domain/api-keys.js";
import type { KeyStore } from "../lambdas/ports/api-keys.js";
import { createKey } from "../lambdas/use-cases/manage-keys.js";
import { SCOPES } from "../lib/contracts/functions.js";
import { LOCAL_RUNTIME, type RuntimeInfo } from "../lib/contracts/local-runtime.js";
import { writePrivateFile } from "./data-dir.js";

// The file names and the runtime info's shape are a contract with the tools (bin/).
export const DEV_TENANT = LOCAL_RUNTIME.devTenant;
export const DEV_KEY_FILE = LOCAL_RUNTIME.devKeyFile;
export const RUNTIME_INFO_FILE = LOCAL_RUNTIME.runtimeInfoFile;
export const API_KEY_VARIABLE = LOCAL_RUNTIME.apiKeyVariable;
export { localUsagePlans, type RuntimeInfo };

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
      // A key made before a scope existed (history:read, say) is replaced: the dev key has every scope.
      const everyScope = record && SCOPES.every((scope) => record.scopes.includes(scope));
      if (record && everyScope && keyState(record, new Date()) === "active") {
        return { key, file, created: false };
      }
    }
  }
  const { key } = await createKey(
    { tenantId: DEV_TENANT, scopes: SCOPES, name: "local development key" },
    { store, usage: localUsagePlans, now: () => new Date() },
  );
  if (file) writePrivateFile(file, `${key}\n`);
  return { key, ...(file ? { file } : {}), created: true };
}

export function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): () => void {
  const file = join(dataDir, RUNTIME_INFO_FILE);
  writePrivateFile(file, `${JSON.stringify(info, null, 2)}\n`);
  return () => rmSync(file, { force: true });
}

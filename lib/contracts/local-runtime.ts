/**
 * What the local runtime (local/, `npm start`) leaves for the command-line tools (bin/) to
 * find it by: the data folder's layout, the runtime info file and the development key.
 * The runtime writes these (local/keys.ts); `npm run keys` and `npm run replay` read them,
 * so the tools need no import of local/.
 */

export const LOCAL_RUNTIME = {
  /** Default data folder, relative to the repository root (git-ignored). */
  dataDir: ".eventflow",
  /** `<data-dir>/runtime.json`: RuntimeInfo while the runtime runs; removed at shutdown. */
  runtimeInfoFile: "runtime.json",
  /** `<data-dir>/dev-key` (mode 600): the development key, tenant `local`, every scope. */
  devKeyFile: "dev-key",
  devTenant: "local",
  /** The local keys table's name unless the runtime was told otherwise. */
  keysTableName: "eventflow-keys",
  /** The local tenant configuration table's name (CONFIG_TABLE). */
  configTableName: "eventflow-config",
  /** The local archive bucket (history), kept by the embedded S3 under `<data-dir>/s3`. */
  archiveBucketName: "eventflow-archive",
  /** `<data-dir>/s3`: the embedded S3's objects as files (`buckets/<bucket>/objects/<key>.data`). */
  s3Dir: "s3",
  /** Locally a tenant's usage plan key is `local-<random>`: what the gateway counts by. */
  usageKeyPrefix: "local-",
  /** The variable the printed examples, the README and the load generator read the key from. */
  apiKeyVariable: "EVENTFLOW_API_KEY",
  /** Where `npm start` serves the API unless told otherwise. */
  defaultUrl: "http://localhost:3000",
} as const;

/** What `npm run keys` needs to reach a running local runtime (`runtime.json`). */
export interface RuntimeInfo {
  pid: number;
  url: string;
  region: string;
  dynamodbEndpoint: string;
  keysTableName: string;
  startedAt: string;
  /** Where the embedded S3 keeps the archive's objects (DuckDB reads them: npm run history). */
  archiveFileRoot?: string;
}

/** runtime.json's text as RuntimeInfo, or undefined when it is not one. */
export function parseRuntimeInfo(text: string): RuntimeInfo | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== "object") return undefined;
  const info = value as Partial<RuntimeInfo>;
  const strings = ["url", "region", "dynamodbEndpoint", "keysTableName", "startedAt"] as const;
  if (typeof info.pid !== "number" || !strings.every((k) => typeof info[k] === "string")) {
    return undefined;
  }
  return info as RuntimeInfo;
}

/**
 * Finding the local runtime (`npm start`) from a tool, through what it writes into its data
 * folder (lib/contracts/local-runtime.ts): runtime.json while it runs, and its dev key.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  LOCAL_RUNTIME,
  parseRuntimeInfo,
  type RuntimeInfo,
} from "../../lib/contracts/local-runtime.js";
import { UsageError } from "./usage-error.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The data folder: the one given, else the repository's default. */
export const dataDirOf = (given?: string): string =>
  resolve(given ?? resolve(repoRoot, LOCAL_RUNTIME.dataDir));

/** The data folder's runtime.json, when it holds a well-formed one. */
export function readRuntimeInfo(
  dataDir: string,
  readFile: (path: string) => string,
): RuntimeInfo | undefined {
  let text: string;
  try {
    text = readFile(join(dataDir, LOCAL_RUNTIME.runtimeInfoFile));
  } catch {
    return undefined;
  }
  return parseRuntimeInfo(text);
}

/** The default data folder's development key, when there is one. */
export function readDevKey(readFile: (path: string) => string): string | undefined {
  try {
    const key = readFile(join(dataDirOf(), LOCAL_RUNTIME.devKeyFile)).trim();
    return key || undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this id runs (EPERM: it does, as another user). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The DynamoDB a tool works on when no stack is named: the endpoint given (`--endpoint`,
 * e.g. a `--memory` runtime's), else the running local runtime's, found through its data
 * folder. A stopped runtime is a usage error that says how to start one.
 */
export function localDynamoTarget(
  options: { endpoint?: string; dataDir?: string },
  io: {
    env: Record<string, string | undefined>;
    readFile: (path: string) => string;
    isAlive: (pid: number) => boolean;
  },
): { endpoint: string; region: string; describe: string; info?: RuntimeInfo } {
  const region = io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || "us-east-1";
  if (options.endpoint) {
    return { endpoint: options.endpoint, region, describe: `the DynamoDB at ${options.endpoint}` };
  }
  const dataDir = dataDirOf(options.dataDir);
  const info = readRuntimeInfo(dataDir, io.readFile);
  if (!info || !io.isAlive(info.pid)) {
    throw new UsageError(
      `no local runtime is running on ${dataDir} (start it with npm start; for a --memory runtime pass --endpoint <its "dynamodb" endpoint>; for a deployed stack --stack-outputs <file>)`,
    );
  }
  return {
    endpoint: info.dynamodbEndpoint,
    region: info.region,
    describe: `the local runtime at ${info.url}`,
    info,
  };
}

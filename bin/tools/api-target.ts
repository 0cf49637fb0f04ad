/**
 * Which API a CLI talks to, and with which key: --url, --stack-outputs (ApiUrl) or
 * EVENTFLOW_URL, else the local runtime; --api-key or EVENTFLOW_API_KEY, else (for the
 * local runtime's default URL) its development key.
 */
import { LOCAL_RUNTIME } from "../../lib/contracts/local-runtime.js";
import { STACK_OUTPUT } from "../../lib/contracts/stack-outputs.js";
import { readDevKey } from "./local-runtime.js";
import { readStackOutputs } from "./stack-outputs.js";
import { UsageError } from "./usage-error.js";

export const DEFAULT_URL = LOCAL_RUNTIME.defaultUrl;

export interface TargetIo {
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
}

/** The key: the flag, EVENTFLOW_API_KEY, or (for the default local URL) the dev key file. */
export function apiKeyOf(
  flag: string | undefined,
  target: string | undefined,
  io: TargetIo,
): { apiKey?: string } {
  const given = flag || io.env.EVENTFLOW_API_KEY;
  if (given) return { apiKey: given };
  if (target || io.env.EVENTFLOW_URL) return {};
  const key = readDevKey(io.readFile);
  return key ? { apiKey: key } : {};
}

export function baseUrl(
  url: string | undefined,
  outputsFile: string | undefined,
  stack: string | undefined,
  io: TargetIo,
): string {
  let chosen = url;
  if (!chosen && outputsFile) {
    chosen = readStackOutputs(outputsFile, io.readFile, [STACK_OUTPUT.apiUrl], stack).get(
      STACK_OUTPUT.apiUrl,
    );
  }
  chosen ??= io.env.EVENTFLOW_URL || DEFAULT_URL;
  try {
    return new URL(chosen).toString().replace(/\/+$/, "");
  } catch {
    throw new UsageError(`not a URL: ${chosen}`);
  }
}

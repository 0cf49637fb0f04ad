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

export interface ApiTarget {
  url: string;
  apiKey?: string;
}

/** A CLI's API and key from its flags (see baseUrl and apiKeyOf). */
export function apiTarget(
  flags: { url?: string; stackOutputs?: string; stack?: string; apiKey?: string },
  io: TargetIo,
): ApiTarget {
  return {
    url: baseUrl(flags.url, flags.stackOutputs, flags.stack, io),
    ...apiKeyOf(flags.apiKey, flags.url ?? flags.stackOutputs, io),
  };
}

/**
 * The flags every API-calling CLI takes to choose its target (node:util parseArgs options):
 * spread into a CLI's options so the four CLIs spell them the same way.
 */
export const API_TARGET_OPTIONS = {
  url: { type: "string" },
  "stack-outputs": { type: "string" },
  stack: { type: "string" },
  "api-key": { type: "string" },
} as const;

/** The parsed values of API_TARGET_OPTIONS. */
export interface ApiTargetFlags {
  url?: string;
  "stack-outputs"?: string;
  stack?: string;
  "api-key"?: string;
}

/** A CLI's API and key from its parsed API_TARGET_OPTIONS (see apiTarget). */
export function apiTargetFromFlags(values: ApiTargetFlags, io: TargetIo): ApiTarget {
  return apiTarget(
    {
      url: values.url,
      stackOutputs: values["stack-outputs"],
      stack: values.stack,
      apiKey: values["api-key"],
    },
    io,
  );
}

/** An API answer: the status, the JSON body (`{ text }` when it was not JSON), the raw text. */
export interface ApiAnswer {
  status: number;
  ok: boolean;
  body: Record<string, unknown>;
  text: string;
}

/** The API could not be reached at all (no answer): names the URL and the cause. */
export class ApiUnreachable extends Error {
  override name = "ApiUnreachable";
}

/**
 * One JSON call to the API. An error status is an answer, not an exception (the caller
 * decides its exit code); only a failure to reach the API throws (ApiUnreachable).
 */
export async function requestApi(
  fetchFn: typeof fetch,
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
  let response: Response;
  try {
    response = await fetchFn(`${target.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    throw new ApiUnreachable(
      `cannot reach ${target.url} (${cause instanceof Error ? cause.message : String(cause)}): is the local runtime running (npm start)? Or pass --url / --stack-outputs`,
    );
  }
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = text ? JSON.parse(text) : {};
    parsed = value && typeof value === "object" ? (value as Record<string, unknown>) : { value };
  } catch {
    parsed = { text };
  }
  return { status: response.status, ok: response.ok, body: parsed, text };
}

/** An error answer for stderr: `error: <status> <code> <message>`, then each detail. */
export function apiErrorLines(answer: ApiAnswer): string[] {
  const error = answer.body.error as
    | { code?: string; message?: string; details?: { path: string; message: string }[] }
    | undefined;
  const head = `error: ${answer.status} ${error?.code ?? ""} ${error?.message ?? answer.text.slice(0, 200)}`;
  return [
    head.replace(/\s+/g, " ").trim(),
    ...(error?.details ?? []).map((d) => `  ${d.path}: ${d.message}`),
  ];
}

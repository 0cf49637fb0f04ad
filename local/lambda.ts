/**
 * What the Lambda service does around one invocation: a Context, the function
 * timeout, and the JSON round trip of the answer. Every handler the runtime runs
 * (API or queue) goes through `invokeFunction`.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes, randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

/** Lambda's limit on a synchronous invocation's request and response payloads. */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

export interface FunctionConfig {
  /** Logical name (ingest, process...). */
  name: string;
  /** The function name a handler sees in its Context. */
  functionName: string;
  timeoutSeconds: number;
  memoryMb: number;
  region: string;
  accountId?: string;
}

export type AnyHandler = (event: unknown, context: Context) => unknown;

export type InvokeOutcome =
  | { kind: "ok"; result: unknown; durationMs: number; requestId: string }
  | { kind: "error"; error: unknown; durationMs: number; requestId: string }
  | { kind: "timeout"; durationMs: number; requestId: string };

export interface InvocationInfo {
  function: string;
  requestId: string;
}

/** The invocation a piece of code runs for (faults scope themselves with it). */
export const currentInvocation = new AsyncLocalStorage<InvocationInfo>();

export function createContext(fn: FunctionConfig, requestId: string, deadline: number): Context {
  const account = fn.accountId ?? "000000000000";
  const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
  const unsupported = () => {
    throw new Error("callback-style completion is not supported by the Node.js 24 runtime");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${fn.region}:${account}:function:${fn.functionName}`,
    // Lambda passes the memory size as a string.
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString("hex")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * Runs a handler as Lambda would: with a Context whose remaining time counts down
 * from the function timeout, and an answer that must survive JSON serialization.
 * A handler still running at the timeout is reported as timed out; JavaScript
 * cannot freeze it, so its remaining work continues in the background (Lambda
 * would freeze or recycle the environment).
 */
export async function invokeFunction(
  fn: FunctionConfig,
  handler: AnyHandler,
  event: unknown,
): Promise<InvokeOutcome> {
  const requestId = randomUUID();
  const started = Date.now();
  const timeoutMs = fn.timeoutSeconds * 1000;
  const context = createContext(fn, requestId, started + timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const run = currentInvocation.run({ function: fn.name, requestId }, async () => {
    try {
      const result = await handler(event, context);
      return { ok: true as const, result: roundTrip(result) };
    } catch (error) {
      return { ok: false as const, error };
    }
  });
  try {
    const settled = await Promise.race([run, timeout]);
    const durationMs = Date.now() - started;
    if (settled === "timeout") return { kind: "timeout", durationMs, requestId };
    return settled.ok
      ? { kind: "ok", result: settled.result, durationMs, requestId }
      : { kind: "error", error: settled.error, durationMs, requestId };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Lambda serializes a handler's answer to JSON; what does not survive (undefined
 * fields, functions) is not seen by the caller, and what cannot be serialized
 * (cycles, BigInt) fails the invocation.
 */
function roundTrip(value: unknown): unknown {
  if (value === undefined) return null;
  const json = JSON.stringify(value);
  if (json === undefined) return null;
  if (Buffer.byteLength(json) > LAMBDA_PAYLOAD_LIMIT_BYTES) {
    throw new Error(
      `Response payload size (${Buffer.byteLength(json)} bytes) exceeded maximum allowed payload size (${LAMBDA_PAYLOAD_LIMIT_BYTES} bytes).`,
    );
  }
  return JSON.parse(json);
}

export function describeError(error: unknown): { errorType: string; errorMessage: string } {
  if (error instanceof Error) return { errorType: error.name, errorMessage: error.message };
  return { errorType: typeof error, errorMessage: String(error) };
}

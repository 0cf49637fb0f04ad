/**
 * Fault injection for the local runtime (off unless asked for, by flags or by
 * `POST /_local/faults`). Faults act where AWS would fail, so the handlers' own
 * retry and classification code sees what it would see in AWS:
 *
 * - DynamoDB throttling: a share of the handlers' DynamoDB requests get DynamoDB's
 *   real 400 ProvisionedThroughputExceededException answer, parsed by the SDK's
 *   own deserializer (so the SDK retries it, then the handler classifies it).
 * - DynamoDB unreachable: for N seconds every request is sent to a closed port and
 *   fails with the SDK's real ECONNREFUSED network error.
 * - Crash after write: the process function's answer is thrown away after it ran
 *   (its writes are done), as if the environment died before answering; the
 *   whole batch returns after the visibility timeout.
 * - Poison type: process-function DynamoDB writes of events of one type get
 *   DynamoDB's 500 InternalServerError, every time (the SDK retries it, the handler
 *   sees a transient failure), until the queue moves the message to the DLQ.
 * - Slow table: every DynamoDB request takes N ms longer (a latency spike).
 * - Contribution writes fail: a share of the process and dlq functions' writes of window
 *   and pattern contributions get DynamoDB's 500 (after the event itself was stored): the
 *   message comes back and finds its event already stored, as after a crash between the
 *   event write and the aggregate write.
 * - Queue visibility: the main queue's VisibilityTimeout is set to N seconds, as a
 *   misconfigured queue would have it. Below the time a batch takes, a message becomes
 *   visible again while its first consumer still works on it and a second consumer
 *   receives it: what idempotent writes must absorb. Clearing restores the stack's value.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import * as z from "zod";
import { type AnyHandler, currentInvocation } from "./lambda.js";

export const faultInputSchema = z
  .object({
    /** Share (0–1) of DynamoDB requests answered with ProvisionedThroughputExceededException. */
    dynamodbThrottleRate: z.number().min(0).max(1).optional(),
    /** DynamoDB is unreachable for this many seconds from now (0 ends an outage). */
    dynamodbUnreachableSeconds: z.number().min(0).max(86_400).optional(),
    /** Share (0–1) of process batches whose answer is lost after the handler ran. */
    crashAfterWriteRate: z.number().min(0).max(1).optional(),
    /** Events of this type always fail transiently in the process function; null clears. */
    poisonType: z.string().min(1).max(128).nullable().optional(),
    /** Every DynamoDB request takes this many milliseconds longer (0 ends it). */
    dynamodbLatencyMs: z.number().int().min(0).max(60_000).optional(),
    /** The main queue's visibility timeout in seconds; null restores the stack's value. */
    queueVisibilityTimeoutSeconds: z.number().int().min(0).max(43_200).nullable().optional(),
    /** Share (0–1) of window/pattern contribution writes answered with a 500. */
    contributionWriteFailRate: z.number().min(0).max(1).optional(),
  })
  .strict();

export type FaultInput = z.input<typeof faultInputSchema>;

export interface FaultState {
  dynamodbThrottleRate: number;
  dynamodbUnreachableUntil: number | null;
  crashAfterWriteRate: number;
  poisonType: string | null;
  dynamodbLatencyMs: number;
  queueVisibilityTimeoutSeconds: number | null;
  contributionWriteFailRate: number;
}

export interface FaultCounts {
  dynamodbThrottled: number;
  dynamodbUnreachable: number;
  crashes: number;
  poisoned: number;
  dynamodbDelayed: number;
  contributionWritesFailed: number;
}

const OFF: FaultState = {
  dynamodbThrottleRate: 0,
  dynamodbUnreachableUntil: null,
  crashAfterWriteRate: 0,
  poisonType: null,
  dynamodbLatencyMs: 0,
  queueVisibilityTimeoutSeconds: null,
  contributionWriteFailRate: 0,
};

/** The error a crash injection reports in place of the handler's answer. */
export class InjectedCrash extends Error {
  override name = "InjectedCrash";
  constructor() {
    super("injected fault: the process function crashed after writing and before answering");
  }
}

const FAULT_MIDDLEWARE = "eventflowLocalFaults";

const READS = new Set(["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"]);
const WRITES = new Set([
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "BatchWriteItem",
  "TransactWriteItems",
]);

export class Faults {
  private state: FaultState = { ...OFF };
  readonly counts: FaultCounts = {
    dynamodbThrottled: 0,
    dynamodbUnreachable: 0,
    crashes: 0,
    poisoned: 0,
    dynamodbDelayed: 0,
    contributionWritesFailed: 0,
  };

  /** Sets the main queue's visibility timeout (null: the stack's value); see bindQueue. */
  private applyVisibility?: (seconds: number | null) => Promise<void>;
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly random: () => number = Math.random) {}

  /** The runtime gives the faults a way to change the main queue (SetQueueAttributes). */
  bindQueue(applyVisibility: (seconds: number | null) => Promise<void>): void {
    this.applyVisibility = applyVisibility;
  }

  /** Resolves when queue-level changes of the last update or clear are in effect. */
  settled(): Promise<void> {
    return this.applying;
  }

  private setVisibility(seconds: number | null): void {
    const apply = this.applyVisibility;
    if (!apply) return;
    // In order; a failed change is reported once (by settled), not by every later one.
    this.applying = this.applying.catch(() => {}).then(() => apply(seconds));
  }

  /** Applies a (validated) change; fields left out keep their value. */
  update(input: FaultInput): FaultState {
    const patch = faultInputSchema.parse(input);
    if (patch.dynamodbThrottleRate !== undefined) {
      this.state.dynamodbThrottleRate = patch.dynamodbThrottleRate;
    }
    if (patch.dynamodbUnreachableSeconds !== undefined) {
      this.state.dynamodbUnreachableUntil =
        patch.dynamodbUnreachableSeconds > 0
          ? Date.now() + patch.dynamodbUnreachableSeconds * 1000
          : null;
    }
    if (patch.crashAfterWriteRate !== undefined) {
      this.state.crashAfterWriteRate = patch.crashAfterWriteRate;
    }
    if (patch.poisonType !== undefined) this.state.poisonType = patch.poisonType;
    if (patch.dynamodbLatencyMs !== undefined) {
      this.state.dynamodbLatencyMs = patch.dynamodbLatencyMs;
    }
    if (patch.contributionWriteFailRate !== undefined) {
      this.state.contributionWriteFailRate = patch.contributionWriteFailRate;
    }
    if (patch.queueVisibilityTimeoutSeconds !== undefined) {
      this.state.queueVisibilityTimeoutSeconds = patch.queueVisibilityTimeoutSeconds;
      this.setVisibility(patch.queueVisibilityTimeoutSeconds);
    }
    return this.snapshot();
  }

  clear(): FaultState {
    if (this.state.queueVisibilityTimeoutSeconds !== null) this.setVisibility(null);
    this.state = { ...OFF };
    return this.snapshot();
  }

  snapshot(): FaultState & { dynamodbUnreachableSeconds: number; counts: FaultCounts } {
    const until = this.state.dynamodbUnreachableUntil;
    const remaining = until ? Math.max(0, Math.ceil((until - Date.now()) / 1000)) : 0;
    return {
      ...this.state,
      dynamodbUnreachableUntil: remaining > 0 ? until : null,
      dynamodbUnreachableSeconds: remaining,
      counts: { ...this.counts },
    };
  }

  get active(): boolean {
    const s = this.snapshot();
    return (
      s.dynamodbThrottleRate > 0 ||
      s.dynamodbUnreachableSeconds > 0 ||
      s.crashAfterWriteRate > 0 ||
      s.poisonType !== null ||
      s.dynamodbLatencyMs > 0 ||
      s.contributionWriteFailRate > 0 ||
      s.queueVisibilityTimeoutSeconds !== null
    );
  }

  /** Decides, per process batch, whether to lose the handler's answer. */
  shouldCrash(): boolean {
    const hit =
      this.state.crashAfterWriteRate > 0 && this.random() < this.state.crashAfterWriteRate;
    if (hit) this.counts.crashes++;
    return hit;
  }

  /**
   * The process handler as the runtime invokes it: after a handler that answered (its
   * writes done), a share of batches (crashAfterWriteRate) throws InjectedCrash instead,
   * as if the environment died before answering; the whole batch comes back.
   */
  crashingAfterWrite(handler: AnyHandler): AnyHandler {
    return async (event, context) => {
      const result = await handler(event, context);
      if (this.shouldCrash()) throw new InjectedCrash();
      return result;
    };
  }

  /**
   * Adds the DynamoDB faults to a client (the handlers' shared client; the
   * document client built from it shares its middleware stack). The middleware
   * sits next to the transport, inside the SDK's retry loop, so every attempt
   * draws again, as every attempt against a throttled table would.
   */
  install(client: DynamoDBClient, accountId = "000000000000"): void {
    // One fault middleware per client, even if a second runtime starts in this process.
    client.middlewareStack.remove(FAULT_MIDDLEWARE);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = String((context as { commandName?: string }).commandName ?? "").replace(
          /Command$/,
          "",
        );
        const input = args.input as Record<string, unknown>;
        const request = args.request as FakeableRequest;
        const latency = this.state.dynamodbLatencyMs;
        if (latency > 0) {
          this.counts.dynamodbDelayed++;
          await new Promise((r) => setTimeout(r, latency));
        }
        const until = this.state.dynamodbUnreachableUntil;
        if (until !== null && Date.now() < until) {
          this.counts.dynamodbUnreachable++;
          // Port 1 on loopback: nothing listens, so the SDK's HTTP handler gets a real
          // ECONNREFUSED, exactly what an unreachable endpoint produces.
          return next({ ...args, request: { ...request, hostname: "127.0.0.1", port: 1 } });
        }
        let response: ReturnType<typeof errorResponse> | undefined;
        if (this.isPoisonWrite(operation, input)) {
          this.counts.poisoned++;
          response = errorResponse(500, "InternalServerError", "Internal server error");
        } else if (this.isFailedContributionWrite(operation, input)) {
          this.counts.contributionWritesFailed++;
          response = errorResponse(500, "InternalServerError", "Internal server error");
        } else if (
          this.state.dynamodbThrottleRate > 0 &&
          this.random() < this.state.dynamodbThrottleRate
        ) {
          this.counts.dynamodbThrottled++;
          const region = await resolveRegion(client);
          response = throttleResponse(operation, input, region, accountId);
        }
        if (!response) return next(args);
        // What the transport hands the deserializer: the SDK builds the exception itself.
        return { response } as unknown as Awaited<ReturnType<typeof next>>;
      },
      { step: "deserialize", priority: "low", name: FAULT_MIDDLEWARE },
    );
  }

  /** A contribution write by process or dlq, drawn at contributionWriteFailRate. */
  private isFailedContributionWrite(operation: string, input: Record<string, unknown>): boolean {
    const rate = this.state.contributionWriteFailRate;
    if (rate <= 0 || operation !== "PutItem") return false;
    const fn = currentInvocation.getStore()?.function;
    if (fn !== "process" && fn !== "dlq") return false;
    const pk = (input.Item as { pk?: unknown } | undefined)?.pk;
    const key = typeof pk === "string" ? pk : (pk as { S?: unknown } | undefined)?.S;
    if (typeof key !== "string" || !/#W#[AP]#/.test(key)) return false;
    return this.random() < rate;
  }

  /** A write, by the process function, of an item (or stats key) of the poison type. */
  private isPoisonWrite(operation: string, input: Record<string, unknown>): boolean {
    const poison = this.state.poisonType;
    if (!poison || !WRITES.has(operation)) return false;
    if (currentInvocation.getStore()?.function !== "process") return false;
    return mentionsType(input, poison);
  }
}

interface FakeableRequest {
  hostname?: string;
  port?: number;
  [key: string]: unknown;
}

/** Whether a write carries an item whose `type` attribute is the given type. */
function mentionsType(input: Record<string, unknown>, type: string): boolean {
  const walk = (value: unknown, depth: number): boolean => {
    if (depth > 12 || value === null || typeof value !== "object") return false;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      // Marshalled ({ type: { S: "purchase" } }) or plain ({ type: "purchase" }).
      if (k === "type" && (v === type || (v as { S?: unknown } | null)?.S === type)) return true;
      if (walk(v, depth + 1)) return true;
    }
    return false;
  };
  return walk(input.Item, 0) || walk(input.TransactItems, 0) || walk(input.RequestItems, 0);
}

async function resolveRegion(client: DynamoDBClient): Promise<string> {
  const region = client.config.region;
  return typeof region === "function" ? await region() : region;
}

/** DynamoDB's answer to a request over an on-demand table's capacity. */
function throttleResponse(
  operation: string,
  input: Record<string, unknown>,
  region: string,
  accountId: string,
) {
  const tableName =
    typeof input.TableName === "string"
      ? input.TableName
      : Object.keys((input.RequestItems as Record<string, unknown>) ?? {})[0];
  const kind = READS.has(operation) ? "Read" : "Write";
  return errorResponse(
    400,
    "ProvisionedThroughputExceededException",
    "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html",
    {
      ThrottlingReasons: [
        {
          reason: `Table${kind}KeyRangeThroughputExceeded`,
          resource: `arn:aws:dynamodb:${region}:${accountId}:table/${tableName ?? "unknown"}`,
        },
      ],
    },
  );
}

/** A DynamoDB (JSON 1.0 protocol) error answer. */
function errorResponse(
  statusCode: number,
  type: string,
  message: string,
  extra: Record<string, unknown> = {},
) {
  const body = JSON.stringify({
    __type: `com.amazonaws.dynamodb.v20120810#${type}`,
    message,
    ...extra,
  });
  return {
    statusCode,
    reason: statusCode === 500 ? "Internal Server Error" : "Bad Request",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "content-length": String(Buffer.byteLength(body)),
      "x-amzn-requestid": crypto.randomUUID().replaceAll("-", "").toUpperCase(),
    },
    body: new TextEncoder().encode(body),
  };
}

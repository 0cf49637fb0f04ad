/**
 * Counts the AWS requests a run makes, as an SDK middleware on the clients: one entry per
 * HTTP attempt (it sits below the retry middleware), by service and operation, with the
 * SQS requests as billed (64 KiB payload chunks) and the DynamoDB write units computed
 * from the items written (wru.ts).
 */

import { bodyString, headerValue } from "./aws-stub.js";
import { sqsBilledRequests } from "./cost-model.js";
import {
  EVENTFLOW_TABLE,
  itemSize,
  putItemCost,
  type TableLayout,
  type UpdateItemRequest,
  updateItemCost,
  type WireItem,
} from "./wru.js";

export interface OperationCount {
  service: string;
  operation: string;
  /** Who made the calls, e.g. "ingest" or "event source mapping". */
  caller: string;
  requests: number;
  failed: number;
  /** ReceiveMessage calls that returned no message. */
  empty: number;
  billedRequests: number;
  payloadBytes: number;
}

interface Countable {
  middlewareStack: {
    add(
      middleware: unknown,
      options: { step: "deserialize"; name: string; priority: "high"; override: boolean },
    ): void;
    remove(name: string): boolean;
  };
}

interface SqsAttribute {
  DataType?: string;
  StringValue?: string;
}

const utf8 = (s: string | undefined) => Buffer.byteLength(s ?? "", "utf8");

/** SQS counts a message's body plus each attribute's name, type and value. */
function messagePayload(body: string | undefined, attributes?: Record<string, SqsAttribute>) {
  let bytes = utf8(body);
  for (const [name, a] of Object.entries(attributes ?? {})) {
    bytes += utf8(name) + utf8(a.DataType) + utf8(a.StringValue);
  }
  return bytes;
}

interface SqsMessageLike {
  MessageBody?: string;
  Body?: string;
  MessageAttributes?: Record<string, SqsAttribute>;
}

const sumPayload = (messages: SqsMessageLike[] | undefined) =>
  (messages ?? []).reduce(
    (sum, m) => sum + messagePayload(m.MessageBody ?? m.Body, m.MessageAttributes),
    0,
  );

let counterSeq = 0;

export class RequestCounter {
  readonly operations = new Map<string, OperationCount>();
  /** Write request units by target: "table", index names, "stats". */
  readonly wru: Record<string, number> = {};
  rru = 0;
  storedBytes = 0;
  /** Sizes of the event items written (PutItem), as DynamoDB counts them. */
  readonly itemBytes: number[] = [];
  /** Bytes per attribute (name + value) of the first event item written: where the size goes. */
  sampleItemAttributes: Record<string, number> | undefined;

  constructor(private readonly table: TableLayout = EVENTFLOW_TABLE) {}

  /** Adds the counting middleware to a client; returns the function that removes it. */
  attach(client: Countable, caller: string): () => void {
    const name = `eventflowBenchCounter${++counterSeq}`;
    type Next = (args: { input: unknown; request: unknown }) => Promise<{ output: unknown }>;
    const middleware = (next: Next) => async (args: { input: unknown; request: unknown }) => {
      const request = args.request as { headers: Record<string, string>; body: unknown };
      const target = headerValue(request.headers, "x-amz-target") ?? "unknown.unknown";
      const body = bodyString(request.body);
      try {
        const result = await next(args);
        this.record(caller, target, body, result.output, undefined);
        return result;
      } catch (error) {
        this.record(caller, target, body, undefined, error);
        throw error;
      }
    };
    client.middlewareStack.add(middleware, {
      step: "deserialize",
      name,
      priority: "high",
      override: true,
    });
    return () => {
      client.middlewareStack.remove(name);
    };
  }

  private record(
    caller: string,
    target: string,
    body: string,
    output: unknown,
    error: unknown,
  ): void {
    const [prefix = "", operation = target] = target.split(".");
    const service = prefix.startsWith("AmazonSQS")
      ? "SQS"
      : prefix.startsWith("DynamoDB")
        ? "DynamoDB"
        : prefix;
    const key = `${service} ${operation} ${caller}`;
    let count = this.operations.get(key);
    if (!count) {
      count = {
        service,
        operation,
        caller,
        requests: 0,
        failed: 0,
        empty: 0,
        billedRequests: 0,
        payloadBytes: 0,
      };
      this.operations.set(key, count);
    }
    count.requests++;
    if (error !== undefined) count.failed++;
    if (service === "SQS") {
      const payload = this.sqsPayload(operation, body, output);
      count.payloadBytes += payload;
      if (operation === "ReceiveMessage" && payload === 0) count.empty++;
      count.billedRequests += sqsBilledRequests(payload);
    } else {
      count.billedRequests++;
    }
    if (service === "DynamoDB") this.dynamodbUnits(operation, body, error);
  }

  private sqsPayload(operation: string, body: string, output: unknown): number {
    switch (operation) {
      case "SendMessageBatch":
        return sumPayload((JSON.parse(body) as { Entries?: SqsMessageLike[] }).Entries);
      case "SendMessage":
        return sumPayload([JSON.parse(body) as SqsMessageLike]);
      case "ReceiveMessage":
        return sumPayload((output as { Messages?: SqsMessageLike[] } | undefined)?.Messages);
      default:
        return 0;
    }
  }

  private add(target: string, units: number): void {
    this.wru[target] = (this.wru[target] ?? 0) + units;
  }

  private dynamodbUnits(operation: string, body: string, error: unknown): void {
    const request = JSON.parse(body) as { Item?: WireItem } & UpdateItemRequest;
    if (operation === "PutItem" && request.Item) {
      const cost = putItemCost(request.Item, this.table);
      this.add("table", cost.base);
      // A failed condition still costs the base write, and writes no index.
      if (error !== undefined) return;
      for (const [index, units] of Object.entries(cost.indexes)) this.add(index, units);
      this.storedBytes += cost.storedBytes;
      this.itemBytes.push(cost.itemBytes);
      this.sampleItemAttributes ??= Object.fromEntries(
        Object.entries(request.Item).map(([name, value]) => [name, itemSize({ [name]: value })]),
      );
    } else if (operation === "UpdateItem") {
      const cost = updateItemCost(request, this.table);
      this.add("stats", cost.total);
    } else if (operation === "GetItem" || operation === "Query") {
      // Strongly consistent reads of items under 4 KiB; Query is not on the write path.
      this.rru += 1;
    }
  }

  /** Counts by "service operation (caller)". */
  summary(): OperationCount[] {
    return [...this.operations.values()].sort(
      (a, b) =>
        a.service.localeCompare(b.service) ||
        a.caller.localeCompare(b.caller) ||
        a.operation.localeCompare(b.operation),
    );
  }
}

/**
 * The events table's change stream, locally (README "History"). dynalite has no DynamoDB
 * Streams, so the runtime records every successful PutItem of an event item that the
 * functions' own DynamoDB client makes (a middleware after the SDK's retries: a write that
 * failed, e.g. a duplicate's failed condition, produces no record, as on AWS) and invokes the
 * archive function with the same DynamoDBStreamEvent the stack's event source mapping
 * delivers: batches of up to archiveBatchSize records, or whatever arrived within
 * archiveBatchingWindowSeconds; one batch at a time (one shard, parallelization factor 1); a
 * failed batch is retried, in order, until it succeeds.
 *
 * What differs from AWS: the records live in this process's memory, not 24 h in a stream.
 * Shutdown flushes them (the drain waits), but a killed runtime (SIGKILL, crash) loses the
 * changes not yet archived; writes from outside the runtime (another process writing the
 * same dynalite) are not seen; the filter (event items only) runs here instead of in the
 * event source mapping's filter criteria.
 */
import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import type { InvokeOutcome } from "./lambda.js";
import type { RuntimeLogger } from "./log.js";

const MIDDLEWARE = "eventflow-change-feed";

export interface ChangeFeedOptions {
  tableName: string;
  tableArn: string;
  region: string;
  batchSize: number;
  batchingWindowSeconds: number;
  invoke: (event: DynamoDBStreamEvent) => Promise<InvokeOutcome>;
  logger: RuntimeLogger;
}

export interface ChangeFeedStats {
  recorded: number;
  delivered: number;
  pending: number;
  failedBatches: number;
}

export class ChangeFeed {
  private readonly buffer: DynamoDBRecord[] = [];
  private sequence = 0;
  private running = false;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly stats: ChangeFeedStats = { recorded: 0, delivered: 0, pending: 0, failedBatches: 0 };

  constructor(private readonly options: ChangeFeedOptions) {}

  /** Records the table's successful event writes made through this client. */
  install(client: DynamoDBClient): void {
    client.middlewareStack.remove(MIDDLEWARE);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const command = (context as { commandName?: string }).commandName;
        if (command === "PutItemCommand") {
          const input = args.input as {
            TableName?: string;
            Item?: Record<string, AttributeValue>;
            ConditionExpression?: string;
          };
          if (input.TableName === this.options.tableName && input.Item?.sk?.S === "EVENT") {
            const created = input.ConditionExpression?.includes("attribute_not_exists") ?? false;
            this.record(input.Item, created ? "INSERT" : "MODIFY");
          }
        }
        return result;
      },
      // After serialization and the retry loop: only a write DynamoDB accepted is recorded.
      { step: "build", priority: "high", name: MIDDLEWARE },
    );
  }

  record(item: Record<string, AttributeValue>, eventName: "INSERT" | "MODIFY"): void {
    this.sequence++;
    this.buffer.push({
      eventID: String(this.sequence),
      eventName,
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: this.options.region,
      eventSourceARN: `${this.options.tableArn}/stream/local`,
      dynamodb: {
        ApproximateCreationDateTime: Date.now() / 1000,
        Keys: { pk: item.pk, sk: item.sk } as never,
        NewImage: item as never,
        SequenceNumber: String(this.sequence).padStart(21, "0"),
        SizeBytes: JSON.stringify(item).length,
        StreamViewType: "NEW_IMAGE",
      },
    });
    this.stats.recorded++;
    this.stats.pending = this.buffer.length;
    if (this.buffer.length >= this.options.batchSize) this.kick();
  }

  start(): void {
    this.running = true;
    this.timer = setInterval(() => this.kick(true), 250);
    this.timer.unref();
  }

  get idle(): boolean {
    return this.buffer.length === 0 && this.inFlight === undefined;
  }

  /** Stops the clock and delivers what is buffered (until `deadline`). */
  async stop(deadline: number): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    while (this.buffer.length > 0 && Date.now() < deadline) {
      await (this.inFlight ?? this.flush());
      if (this.buffer.length > 0 && !this.inFlight) await this.flush();
    }
    await this.inFlight;
  }

  private kick(byClock = false): void {
    if (this.inFlight || this.buffer.length === 0) return;
    if (byClock && this.running) {
      const oldest = (this.buffer[0]?.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000;
      const full = this.buffer.length >= this.options.batchSize;
      if (!full && Date.now() - oldest < this.options.batchingWindowSeconds * 1000) return;
    }
    this.inFlight = this.flush().finally(() => {
      this.inFlight = undefined;
    });
  }

  private async flush(): Promise<void> {
    const batch = this.buffer.slice(0, this.options.batchSize);
    if (batch.length === 0) return;
    const outcome = await this.options.invoke({ Records: batch });
    if (outcome.kind === "ok") {
      this.buffer.splice(0, batch.length);
      this.stats.delivered += batch.length;
      this.stats.pending = this.buffer.length;
      // More waiting than a batch: go on at once, as the event source does.
      if (this.buffer.length >= this.options.batchSize) queueMicrotask(() => this.kick());
      return;
    }
    this.stats.failedBatches++;
    this.options.logger.warn("archive: batch failed; retrying it", {
      records: batch.length,
      outcome: outcome.kind,
    });
    await new Promise((r) => setTimeout(r, 1000).unref());
  }
}

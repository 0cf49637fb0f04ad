/**
 * The embedded AWS emulators: fauxqs (SQS) and dynalite (DynamoDB), in this process,
 * on loopback ports. Both speak the real wire protocols, so the handlers use the real
 * AWS SDK clients against them.
 */
import { once } from "node:events";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { startFauxqs } from "fauxqs";

const require = createRequire(import.meta.url);
// dynalite ships CommonJS without type declarations.
const dynalite = require("dynalite") as (options: Record<string, unknown>) => Server;

export interface EmulatorOptions {
  /** Folder for on-disk state; undefined keeps everything in memory. */
  dataDir?: string;
  /** Start the SQS emulator (false when an external endpoint is used). */
  sqs?: boolean;
  /** Start the DynamoDB emulator (false when an external endpoint is used). */
  dynamodb?: boolean;
}

/** When each message of a queue is (or becomes) receivable, in epoch ms. */
export interface QueueTimeline {
  /** Receivable now. */
  ready: number;
  /** In flight or delayed: when each becomes receivable again. */
  returnsAt: number[];
}

export interface Emulators {
  sqsEndpoint?: string;
  dynamodbEndpoint?: string;
  /** Embedded SQS only: a non-destructive look at a queue (undefined if unknown). */
  inspectQueue?(name: string): QueueTimeline | undefined;
  stop(): Promise<void>;
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const { dataDir, sqs = true, dynamodb = true } = options;
  const stops: (() => Promise<void>)[] = [];
  const result: Emulators = {
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
  try {
    if (dynamodb) {
      const server = dynalite({
        ...(dataDir ? { path: `${dataDir}/dynamodb` } : {}),
        createTableMs: 0,
        deleteTableMs: 0,
        updateTableMs: 0,
      });
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      const { port } = server.address() as AddressInfo;
      result.dynamodbEndpoint = `http://127.0.0.1:${port}`;
      stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    }
    if (sqs) {
      if (dataDir) await patchFauxqsPersistence();
      const server = await startFauxqs({
        port: 0,
        logger: false,
        ...(dataDir ? { dataDir: `${dataDir}/sqs` } : {}),
      });
      result.sqsEndpoint = `http://127.0.0.1:${server.port}`;
      result.inspectQueue = (name) => {
        const q = server.inspectQueue(name);
        if (!q) return undefined;
        return {
          ready: q.messages.ready.length,
          returnsAt: [
            ...q.messages.inflight.map((m) => m.visibilityDeadline),
            ...q.messages.delayed.map((m) => m.delayUntil ?? 0),
          ],
        };
      };
      stops.push(() => server.stop());
    }
  } catch (error) {
    await result.stop();
    throw error;
  }
  return result;
}

/**
 * fauxqs 2.4.1 with a dataDir: ChangeMessageVisibility to 0 writes NULL into the
 * NOT NULL receive-count column, the SQLite write throws after the message left
 * the in-flight set and before it rejoined the queue, and the message vanishes
 * until the next restart (measured: local/README.md). The fix keeps the count and
 * clears only the in-flight columns. Applied once, only where the method exists.
 */
async function patchFauxqsPersistence(): Promise<void> {
  const url = new URL("./persistence.js", import.meta.resolve("fauxqs"));
  const mod = (await import(url.href)) as {
    PersistenceManager?: { prototype: Record<string, unknown> };
  };
  const proto = mod.PersistenceManager?.prototype;
  if (!proto || typeof proto.updateMessageReady !== "function" || proto.eventflowPatched) return;
  type Db = { prepare(sql: string): { run(...args: unknown[]): unknown } };
  type Self = { db: Db; eventflowReady?: ReturnType<Db["prepare"]> };
  proto.updateMessageReady = function (this: Self, messageId: string) {
    this.eventflowReady ??= this.db.prepare(
      "UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL WHERE message_id = ?",
    );
    this.eventflowReady.run(messageId);
  };
  proto.eventflowPatched = true;
}

/**
 * The embedded AWS emulators: fauxqs (SQS) and dynalite (DynamoDB), in this process,
 * on loopback ports. Both speak the real wire protocols, so the handlers use the real
 * AWS SDK clients against them.
 *
 * Neither has authentication, so both bind the loopback address only (EMULATOR_HOST),
 * and each bound address is checked after start: a start that ends up listening
 * anywhere else fails. fauxqs 2.4.1 hard-codes `0.0.0.0` (its `host` option only names
 * the queue URLs' host): startFauxqsOn rewrites that one listen call.
 *
 * With `thread: true` they run on a worker thread of this process (its own event loop,
 * so the other core): the handlers' SDK clients talk to them over the same loopback
 * HTTP, and the main thread no longer spends a third of its time inside them
 * (measured: local/README.md, "Speed").
 */
import { once } from "node:events";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { type AddressInfo, type ListenOptions, Server as NetServer } from "node:net";
import { Worker } from "node:worker_threads";
import { startFauxqs } from "fauxqs";
import { EMULATOR_HOST } from "./listen.js";

const require = createRequire(import.meta.url);
// dynalite ships CommonJS without type declarations.
const dynalite = require("dynalite") as (options: Record<string, unknown>) => Server;

export interface EmulatorOptions {
  /** Folder for on-disk state; undefined keeps everything in memory. */
  dataDir?: string;
  /**
   * Where the embedded S3 (fauxqs) keeps objects as files (`buckets/<bucket>/objects/<key>.data`):
   * the archive, which DuckDB reads in place (`npm run history -- sql`).
   */
  s3Dir?: string;
  /** Start the SQS emulator (false when an external endpoint is used). */
  sqs?: boolean;
  /** Start the DynamoDB emulator (false when an external endpoint is used). */
  dynamodb?: boolean;
  /** Run them on a worker thread (local/emulator-thread.ts) instead of this event loop. */
  thread?: boolean;
  /** The address they listen on (default EMULATOR_HOST, loopback). */
  host?: string;
}

/** When each message of a queue is (or becomes) receivable, in epoch ms. */
export interface QueueTimeline {
  /** Receivable now. */
  ready: number;
  /** In flight or delayed: when each becomes receivable again. */
  returnsAt: number[];
}

/** The address each started emulator is bound to, as its server reports it. */
export interface BoundAddresses {
  sqs?: string;
  dynamodb?: string;
}

export interface Emulators {
  sqsEndpoint?: string;
  dynamodbEndpoint?: string;
  bound: BoundAddresses;
  /** Embedded SQS only: a non-destructive look at a queue (undefined if unknown). */
  inspectQueue?(name: string): Promise<QueueTimeline | undefined>;
  stop(): Promise<void>;
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  if (options.thread) return startEmulatorThread(options);
  const { dataDir, sqs = true, dynamodb = true, host = EMULATOR_HOST } = options;
  const stops: (() => Promise<void>)[] = [];
  const result: Emulators = {
    bound: {},
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
      server.listen(0, host);
      await once(server, "listening");
      stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const { port, address } = server.address() as AddressInfo;
      result.bound.dynamodb = address;
      checkBound("the embedded DynamoDB (dynalite)", address, host);
      result.dynamodbEndpoint = `http://${urlHost(host)}:${port}`;
    }
    if (sqs) {
      if (dataDir) await patchFauxqsPersistence();
      const server = await startFauxqsOn(host, {
        port: 0,
        logger: false,
        ...(dataDir ? { dataDir: `${dataDir}/sqs` } : {}),
        ...(options.s3Dir ? { s3StorageDir: options.s3Dir } : {}),
      });
      stops.push(() => server.stop());
      const address = new URL(server.address).hostname.replace(/^\[|\]$/g, "");
      result.bound.sqs = address;
      checkBound("the embedded SQS (fauxqs)", address, host);
      result.sqsEndpoint = `http://${urlHost(host)}:${server.port}`;
      result.inspectQueue = async (name) => {
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
    }
  } catch (error) {
    await result.stop();
    throw error;
  }
  return result;
}

const urlHost = (host: string) => (host.includes(":") ? `[${host}]` : host);

/** An emulator bound anywhere but where it was asked is stopped, and start-up fails. */
function checkBound(name: string, bound: string, host: string): void {
  if (bound !== host) {
    throw new Error(`${name} is listening on ${bound}, not on ${host}; refusing to start`);
  }
}

/**
 * startFauxqs, listening on `host`: fauxqs 2.4.1 always asks Fastify for `0.0.0.0`. For
 * the duration of the call, the first listen with that host is given `host` instead
 * (the override then removes itself). The caller checks the bound address, so a fauxqs
 * that listens some other way fails loudly instead of silently binding every interface.
 */
async function startFauxqsOn(
  host: string,
  options: Parameters<typeof startFauxqs>[0],
): ReturnType<typeof startFauxqs> {
  const proto = NetServer.prototype as { listen: (...args: unknown[]) => unknown };
  const original = proto.listen;
  proto.listen = function (this: NetServer, ...args: unknown[]) {
    const first = args[0] as ListenOptions | undefined;
    if (first && typeof first === "object" && first.host === "0.0.0.0") {
      proto.listen = original;
      args[0] = { ...first, host };
    }
    return original.apply(this, args);
  };
  try {
    return await startFauxqs(options);
  } finally {
    proto.listen = original;
  }
}

/** Messages between startEmulatorThread and local/emulator-thread.ts. */
export type ThreadRequest =
  | { op: "inspect"; id: number; name: string }
  | { op: "stop"; id: number };
export type ThreadReply =
  | { op: "ready"; sqsEndpoint?: string; dynamodbEndpoint?: string; bound: BoundAddresses }
  | { op: "failed"; message: string }
  | { op: "done"; id: number; result?: QueueTimeline };

/**
 * The emulators on a worker thread. The worker loads TypeScript through tsx (as
 * `npm start` does), so it also works where the caller runs under another loader
 * (vitest). A worker that dies takes the endpoints with it: the SDK then fails with
 * ECONNREFUSED, and the error is reported on stderr.
 */
async function startEmulatorThread(options: EmulatorOptions): Promise<Emulators> {
  const { thread: _, ...workerOptions } = options;
  const worker = new Worker(new URL("./emulator-thread.ts", import.meta.url), {
    workerData: workerOptions,
    // --cpu-prof and friends apply per thread: keep them, so a profile covers both.
    execArgv: [...process.execArgv.filter((a) => a.startsWith("--cpu-prof")), "--import", "tsx"],
  });
  const pending = new Map<number, (reply: ThreadReply & { op: "done" }) => void>();
  let nextId = 0;
  let exited = false;
  let started = false;
  const ready = new Promise<ThreadReply>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`emulator thread exited with code ${code}`)));
  });
  worker.on("exit", () => {
    exited = true;
    for (const done of pending.values()) done({ op: "done", id: -1 });
    pending.clear();
  });
  worker.on("error", (error) => {
    if (started) process.stderr.write(`eventflow: emulator thread failed: ${String(error)}\n`);
  });
  worker.on("message", (reply: ThreadReply) => {
    if (reply.op !== "done") return;
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  const call = (request: { op: "inspect"; name: string } | { op: "stop" }) =>
    new Promise<ThreadReply & { op: "done" }>((resolve) => {
      if (exited) return resolve({ op: "done", id: -1 });
      const id = nextId++;
      pending.set(id, resolve);
      worker.postMessage({ ...request, id });
    });
  const first = await ready.catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  if (first.op !== "ready") {
    await worker.terminate();
    throw new Error(first.op === "failed" ? first.message : "emulator thread did not start");
  }
  started = true;
  return {
    bound: first.bound,
    ...(first.sqsEndpoint ? { sqsEndpoint: first.sqsEndpoint } : {}),
    ...(first.dynamodbEndpoint ? { dynamodbEndpoint: first.dynamodbEndpoint } : {}),
    ...(first.sqsEndpoint
      ? {
          inspectQueue: async (name: string) => (await call({ op: "inspect", name })).result,
        }
      : {}),
    stop: async () => {
      if (exited) return;
      await call({ op: "stop" });
      await worker.terminate();
    },
  };
}

/**
 * fauxqs 2.4.1 with a dataDir: ChangeMessageVisibility to 0 writes NULL into the
 * NOT NULL receive-count column, the SQLite write throws after the message left
 * the in-flight set and before it rejoined the queue, and the message vanishes
 * until the next restart (measured: local/README.md). The fix keeps the count and
 * clears only the in-flight columns. Applied once, only where the method exists.
 *
 * Also `PRAGMA synchronous = NORMAL` (fauxqs sets WAL and leaves SQLite's FULL): FULL
 * fsyncs the WAL at every statement, three per message (send, receive, delete), which
 * capped the on-disk runtime near 300 messages/s (measured: local/README.md, "Speed").
 * With WAL, NORMAL loses nothing when the process dies (kill -9: the WAL is in the OS
 * cache) and never corrupts the file; only an OS crash or power loss can drop the last
 * commits, as with dynalite's LevelDB, which does not fsync each write either.
 */
async function patchFauxqsPersistence(): Promise<void> {
  const url = new URL("./persistence.js", import.meta.resolve("fauxqs"));
  const mod = (await import(url.href)) as {
    PersistenceManager?: { prototype: Record<string, unknown> };
  };
  const proto = mod.PersistenceManager?.prototype;
  if (!proto || typeof proto.updateMessageReady !== "function" || proto.eventflowPatched) return;
  type Db = { prepare(sql: string): { run(...args: unknown[]): unknown }; exec(sql: string): void };
  type Self = { db: Db; eventflowReady?: ReturnType<Db["prepare"]> };
  const prepareStatements = proto.prepareStatements;
  if (typeof prepareStatements === "function") {
    // Called by the constructor right after it opens the file and sets WAL.
    proto.prepareStatements = function (this: Self, ...args: unknown[]) {
      this.db.exec("PRAGMA synchronous = NORMAL");
      return prepareStatements.apply(this, args);
    };
  }
  proto.updateMessageReady = function (this: Self, messageId: string) {
    this.eventflowReady ??= this.db.prepare(
      "UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL WHERE message_id = ?",
    );
    this.eventflowReady.run(messageId);
  };
  proto.eventflowPatched = true;
}

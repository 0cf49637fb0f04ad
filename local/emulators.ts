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
 *
 * The embedded SQS is also reachable without HTTP (`Emulators.sqsDirect`): the local event
 * source mappings' receive and delete calls go straight to fauxqs's own ReceiveMessage and
 * DeleteMessageBatch actions (the functions its HTTP router calls, on the same queue
 * model), over the thread's message port. On AWS that polling is Lambda's service, not
 * our code, so it need not pay for SigV4, JSON and loopback HTTP here; the handlers and
 * their SDK clients still use the HTTP endpoint.
 */
import { once } from "node:events";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { type AddressInfo, type ListenOptions, Server as NetServer } from "node:net";
import { Worker } from "node:worker_threads";
import type {
  DeleteMessageBatchCommandInput,
  DeleteMessageBatchCommandOutput,
  Message,
  ReceiveMessageCommandInput,
} from "@aws-sdk/client-sqs";
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

/**
 * The embedded SQS's ReceiveMessage and DeleteMessageBatch, called in-process (or over the
 * emulator thread's message port): the same actions and queue model as over HTTP, so the
 * same visibility timeouts, receive counts and redrive, without signing or serializing.
 */
export interface DirectSqs {
  /** Resolves with the received messages, shaped as the SDK returns them. */
  receive(input: ReceiveMessageCommandInput, signal?: AbortSignal): Promise<Message[]>;
  deleteBatch(
    input: DeleteMessageBatchCommandInput,
  ): Promise<Pick<DeleteMessageBatchCommandOutput, "Successful" | "Failed">>;
}

export interface Emulators {
  sqsEndpoint?: string;
  dynamodbEndpoint?: string;
  bound: BoundAddresses;
  /** Embedded SQS only: its receive and delete without HTTP (the local pollers use it). */
  sqsDirect?: DirectSqs;
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
      result.sqsDirect = await directSqs(server);
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

type FauxqsServer = Awaited<ReturnType<typeof startFauxqs>>;
type FauxqsAction = (body: unknown, store: unknown) => unknown;

/**
 * A started fauxqs server's ReceiveMessage and DeleteMessageBatch, without HTTP: its own
 * action functions (dist/sqs/actions, what its router calls for those targets) on its
 * store. fauxqs 2.4.1 does not hand out the store; it is taken from the one call that
 * reaches it with `this` (inspectQueue), once. Exported for the tests.
 */
export async function directSqs(server: FauxqsServer): Promise<DirectSqs> {
  const base = import.meta.resolve("fauxqs");
  const load = async <T>(path: string) => (await import(new URL(path, base).href)) as T;
  const [{ SqsStore }, { receiveMessage }, { deleteMessageBatch }] = await Promise.all([
    load<{ SqsStore: { prototype: { inspectQueue: (name: string) => unknown } } }>(
      "./sqs/sqsStore.js",
    ),
    load<{ receiveMessage: FauxqsAction }>("./sqs/actions/receiveMessage.js"),
    load<{ deleteMessageBatch: FauxqsAction }>("./sqs/actions/deleteMessageBatch.js"),
  ]);
  const proto = SqsStore.prototype;
  const original = proto.inspectQueue;
  let store: unknown;
  proto.inspectQueue = function (this: unknown, name: string) {
    store = this;
    return original.call(this, name);
  };
  try {
    server.inspectQueue("");
  } finally {
    proto.inspectQueue = original;
  }
  if (!store || typeof receiveMessage !== "function" || typeof deleteMessageBatch !== "function") {
    throw new Error("this fauxqs version does not expose its SQS store and actions as 2.4.1 does");
  }
  const queues = store;
  return {
    receive: async (input, signal) => {
      try {
        const received = receiveMessage(input, queues) as Promise<{ Messages?: Message[] }>;
        const out = await abortable(received, signal);
        return sdkShaped(out.Messages ?? []);
      } catch (error) {
        throw sdkError(error);
      }
    },
    deleteBatch: async (input) => {
      try {
        return deleteMessageBatch(input, queues) as Pick<
          DeleteMessageBatchCommandOutput,
          "Successful" | "Failed"
        >;
      } catch (error) {
        throw sdkError(error);
      }
    },
  };
}

/** fauxqs's SqsError, named by its SQS error code as the SDK names it (QueueDoesNotExist...). */
function sdkError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (!(error instanceof Error) || typeof code !== "string") return error;
  return namedError(code, error.message);
}

/** Rejects as the SDK does (an AbortError) when `signal` fires first. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function abortError(): Error {
  const error = new Error("The receive was aborted");
  error.name = "AbortError";
  return error;
}

/**
 * fauxqs keeps binary attribute values as the base64 text of the JSON protocol; the SDK
 * hands them out as bytes. The messages' attribute objects are fauxqs's own (shared with
 * the stored message in-process), so a converted one is a copy.
 */
function sdkShaped(messages: Message[]): Message[] {
  for (const message of messages) {
    const attributes = message.MessageAttributes;
    if (!attributes) continue;
    const values = Object.values(attributes);
    const binary = values.some(
      (v) => typeof v.BinaryValue === "string" || (v.BinaryListValues?.length ?? 0) > 0,
    );
    if (!binary) continue;
    const bytes = (v: unknown) => (typeof v === "string" ? Buffer.from(v, "base64") : v);
    message.MessageAttributes = Object.fromEntries(
      Object.entries(attributes).map(([name, v]) => [
        name,
        {
          ...v,
          ...(v.BinaryValue !== undefined ? { BinaryValue: bytes(v.BinaryValue) } : {}),
          ...(v.BinaryListValues ? { BinaryListValues: v.BinaryListValues.map(bytes) } : {}),
        } as typeof v,
      ]),
    );
  }
  return messages;
}

/** An error from the thread, rebuilt with its name (SqsError's code, AbortError...). */
function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Messages between startEmulatorThread and local/emulator-thread.ts. */
export type ThreadRequest =
  | { op: "inspect"; id: number; name: string }
  | { op: "receive"; id: number; input: ReceiveMessageCommandInput }
  | { op: "delete"; id: number; input: DeleteMessageBatchCommandInput }
  | { op: "stop"; id: number };
export type ThreadReply =
  | { op: "ready"; sqsEndpoint?: string; dynamodbEndpoint?: string; bound: BoundAddresses }
  | { op: "failed"; message: string }
  | {
      op: "done";
      id: number;
      result?: QueueTimeline;
      messages?: Message[];
      deleted?: Pick<DeleteMessageBatchCommandOutput, "Successful" | "Failed">;
      error?: { name: string; message: string };
    };

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
  const stopped = { name: "EmulatorStopped", message: "the emulator thread has stopped" };
  worker.on("exit", () => {
    exited = true;
    for (const done of pending.values()) done({ op: "done", id: -1, error: stopped });
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
  type Request = ThreadRequest extends infer R
    ? R extends unknown
      ? Omit<R, "id">
      : never
    : never;
  const call = (request: Request, signal?: AbortSignal) =>
    new Promise<ThreadReply & { op: "done" }>((resolve, reject) => {
      if (exited) return resolve({ op: "done", id: -1, error: stopped });
      if (signal?.aborted) return reject(abortError());
      const id = nextId++;
      // An abandoned call's late reply finds no one waiting (as an aborted HTTP request).
      const onAbort = () => {
        pending.delete(id);
        reject(abortError());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      pending.set(id, (reply) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(reply);
      });
      worker.postMessage({ ...request, id });
    });
  const failed = (reply: ThreadReply & { op: "done" }) => {
    if (reply.error) throw namedError(reply.error.name, reply.error.message);
    return reply;
  };
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
          sqsDirect: {
            receive: async (input, signal) =>
              sdkShaped(failed(await call({ op: "receive", input }, signal)).messages ?? []),
            deleteBatch: async (input) =>
              failed(await call({ op: "delete", input })).deleted ?? { Successful: [], Failed: [] },
          } satisfies DirectSqs,
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

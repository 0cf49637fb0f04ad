/**
 * The worker thread behind `startEmulators({ thread: true })`: starts fauxqs and dynalite
 * here (in-process to this thread) and answers the parent's few questions.
 */
import { parentPort, workerData } from "node:worker_threads";
import {
  type EmulatorOptions,
  type Emulators,
  startEmulators,
  type ThreadReply,
  type ThreadRequest,
} from "./emulators.js";

const port = parentPort;
if (!port) throw new Error("local/emulator-thread.ts runs as a worker thread");
const reply = (message: ThreadReply) => port.postMessage(message);

let emulators: Emulators;
try {
  emulators = await startEmulators(workerData as EmulatorOptions);
} catch (error) {
  reply({ op: "failed", message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
reply({
  op: "ready",
  bound: emulators.bound,
  ...(emulators.sqsEndpoint ? { sqsEndpoint: emulators.sqsEndpoint } : {}),
  ...(emulators.dynamodbEndpoint ? { dynamodbEndpoint: emulators.dynamodbEndpoint } : {}),
});
port.on("message", async (request: ThreadRequest) => {
  if (request.op === "inspect") {
    const result = await emulators.inspectQueue?.(request.name);
    reply({ op: "done", id: request.id, ...(result ? { result } : {}) });
  } else if (request.op === "receive" || request.op === "delete") {
    // The local pollers' calls (local/sqs-poller.ts), without HTTP: see DirectSqs.
    const direct = emulators.sqsDirect;
    try {
      if (!direct) throw new Error("no embedded SQS in this thread");
      if (request.op === "receive") {
        reply({ op: "done", id: request.id, messages: await direct.receive(request.input) });
      } else {
        reply({ op: "done", id: request.id, deleted: await direct.deleteBatch(request.input) });
      }
    } catch (error) {
      // Named as the SDK names it (QueueDoesNotExist...): see directSqs.
      const { name, message } =
        error instanceof Error ? error : { name: "Error", message: String(error) };
      reply({ op: "done", id: request.id, error: { name, message } });
    }
  } else {
    await emulators.stop();
    reply({ op: "done", id: request.id });
    port.close();
  }
});

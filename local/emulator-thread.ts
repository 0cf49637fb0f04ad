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
  } else {
    await emulators.stop();
    reply({ op: "done", id: request.id });
    port.close();
  }
});

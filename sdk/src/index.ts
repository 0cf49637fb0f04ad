/**
 * @eventflow/sdk: send events to EventFlow from Node 20+, a browser or a Lambda function.
 *
 * ```ts
 * const events = new EventFlow({ url: "http://localhost:3000", apiKey: process.env.EVENTFLOW_API_KEY });
 * events.track({ type: "page_view", data: { url: "/pricing" } }); // batched, returns at once
 * const receipt = await events.send({ type: "purchase", data: { amount: 12 } }); // awaits the API
 * await events.close(); // flushes, waits, then refuses new events
 * ```
 */
export { EventFlow } from "./client.js";
export { API_LIMITS } from "./limits.js";
export { backoffMs, retryAfterMs } from "./retry.js";
export {
  type AnyEventTypes,
  type ClientStats,
  type ErrorKind,
  type EventFields,
  EventFlowError,
  type EventFlowOptions,
  type EventOf,
  type FieldError,
  type Receipt,
} from "./types.js";
export { uuidv7 } from "./uuid.js";

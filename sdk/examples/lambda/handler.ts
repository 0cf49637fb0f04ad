/**
 * Sending from a Lambda function: one client per execution environment (created at init,
 * reused by every invocation), events tracked during the invocation, and a flush before
 * returning, because Lambda freezes the environment once the handler has answered.
 * Settings: EVENTFLOW_URL (the stack's ApiUrl) and EVENTFLOW_API_KEY (an events:write key;
 * in production read it from Secrets Manager at init instead of the environment).
 */
import { EventFlow } from "@eventflow/sdk";
import type { EventTypes } from "../event-types.js";

const events = new EventFlow<EventTypes>({
  url: process.env.EVENTFLOW_URL ?? "http://localhost:3000",
  apiKey: process.env.EVENTFLOW_API_KEY ?? "",
  source: "order-service",
});

export async function handler(order: { orderId: string; userId: string; amount: number }) {
  // The order id as the event id: a retried invocation stores the purchase once.
  events.track({
    id: `order-${order.orderId}`,
    type: "purchase",
    subject: order.userId,
    data: { amount: order.amount, currency: "EUR" },
  });
  await events.flush();
  return { statusCode: 200, body: JSON.stringify(events.stats()) };
}

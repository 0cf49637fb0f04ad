/**
 * The eventbridge destination kind's transport: PutEvents of one entry. A second file of the
 * deliver function's asset, loaded on the first delivery to a bus
 * (delivery-sender-loaders.ts): a container that never delivers to EventBridge never loads
 * the EventBridge client.
 */
import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { deliveryBody } from "../domain/delivery.js";
import { firstBytes } from "../domain/delivery-attempt.js";
import type { DeliverySender } from "../ports/delivery-senders.js";
import { createEventBridgeClient } from "../shared/delivery-clients.js";
import { awsFailure, timed } from "./aws-attempt.js";

/** `client` absent: the SDK's standard client (Lambda: AWS_REGION, the execution role). */
export function createEventBridgeSender(
  client: Pick<EventBridgeClient, "send"> = createEventBridgeClient(),
): DeliverySender {
  return {
    send: (destination, message) =>
      timed(async () => {
        if (destination.target.kind !== "eventbridge")
          throw new Error("not an eventbridge destination");
        try {
          const out = await client.send(
            new PutEventsCommand({
              Entries: [
                {
                  EventBusName: destination.target.eventBusArn,
                  Source: destination.target.source ?? `eventflow.${message.tenantId}`,
                  DetailType: message.event.type,
                  Detail: JSON.stringify(deliveryBody(message)),
                  ...(message.event.time ? { Time: new Date(message.event.time) } : {}),
                },
              ],
            }),
          );
          const entry = out.Entries?.[0];
          if ((out.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode) {
            const code = entry?.ErrorCode ?? "Failed";
            return {
              outcome: /Throttl|InternalFailure|ServiceUnavailable/i.test(code)
                ? "retryable"
                : "final",
              error: firstBytes(`${code}: ${entry?.ErrorMessage ?? ""}`),
            };
          }
          return {
            outcome: "delivered",
            ...(entry?.EventId ? { response: `EventId ${entry.EventId}` } : {}),
          };
        } catch (error) {
          return awsFailure(error);
        }
      }),
  };
}

/**
 * The sns destination kind's transport: Publish (a FIFO topic gets the subject as
 * MessageGroupId and the delivery id as MessageDeduplicationId). A second file of the deliver
 * function's asset, loaded on the first delivery to a topic (delivery-sender-loaders.ts):
 * a container that never delivers to SNS never loads the SNS client.
 */
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { deliveryBody } from "../domain/delivery.js";
import type { DeliverySender } from "../ports/delivery-senders.js";
import { createSnsClient } from "../shared/delivery-clients.js";
import { awsFailure, deliveryAttributes, groupOf, isFifoName, timed } from "./aws-attempt.js";

/** `client` absent: the SDK's standard client (Lambda: AWS_REGION, the execution role). */
export function createSnsSender(
  client: Pick<SNSClient, "send"> = createSnsClient(),
): DeliverySender {
  return {
    send: (destination, message) =>
      timed(async () => {
        if (destination.target.kind !== "sns") throw new Error("not an sns destination");
        const arn = destination.target.topicArn;
        try {
          await client.send(
            new PublishCommand({
              TopicArn: arn,
              Message: JSON.stringify(deliveryBody(message)),
              MessageAttributes: deliveryAttributes(message),
              ...(isFifoName(arn)
                ? { MessageGroupId: groupOf(message), MessageDeduplicationId: message.id }
                : {}),
            }),
          );
          return { outcome: "delivered" };
        } catch (error) {
          return awsFailure(error);
        }
      }),
  };
}

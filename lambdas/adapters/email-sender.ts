/**
 * The email destination kind's transport: SES v2 SendEmail from deliveryEmailFrom. A second
 * file of the deliver function's asset, loaded on the first email delivery
 * (delivery-sender-loaders.ts): a container that never sends email never loads the SES
 * client.
 */
import { type SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import {
  DEFAULT_EMAIL_SUBJECT,
  DEFAULT_EMAIL_TEMPLATE,
  renderTemplate,
} from "../domain/delivery-attempt.js";
import type { DeliverySender } from "../ports/delivery-senders.js";
import { createSesClient } from "../shared/delivery-clients.js";
import { awsFailure, timed } from "./aws-attempt.js";

/**
 * `emailFrom`: the SES identity to send from (empty: every attempt fails, naming the
 * setting). `client` absent: the SDK's standard client (Lambda: AWS_REGION, the role).
 */
export function createEmailSender(
  emailFrom: string,
  client: Pick<SESv2Client, "send"> = createSesClient(),
): DeliverySender {
  return {
    send: (destination, message) =>
      timed(async () => {
        if (destination.target.kind !== "email") throw new Error("not an email destination");
        if (!emailFrom)
          return { outcome: "final", error: "no sender address: set deliveryEmailFrom" };
        const event = message.event;
        try {
          await client.send(
            new SendEmailCommand({
              FromEmailAddress: emailFrom,
              Destination: { ToAddresses: destination.target.to },
              Content: {
                Simple: {
                  Subject: {
                    Data: renderTemplate(
                      destination.target.subject ?? DEFAULT_EMAIL_SUBJECT,
                      event,
                    ).slice(0, 998),
                    Charset: "UTF-8",
                  },
                  Body: {
                    Text: {
                      Data: renderTemplate(
                        destination.target.template ?? DEFAULT_EMAIL_TEMPLATE,
                        event,
                      ),
                      Charset: "UTF-8",
                    },
                  },
                },
              },
              EmailTags: [
                { Name: "eventflow-delivery", Value: message.id.replace(/[^A-Za-z0-9_-]/g, "_") },
              ],
            }),
          );
          return { outcome: "delivered" };
        } catch (error) {
          return awsFailure(error);
        }
      }),
  };
}

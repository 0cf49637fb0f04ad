/**
 * Where the deliver function loads the transports of the sns, eventbridge and email
 * destination kinds from, the first time it delivers to one of that kind (issue 20, cold
 * start: their SDK clients are ~130 KB of the deliver bundle; a container that only calls
 * webhooks, Slack or queues never loads them).
 *
 * As lambdas/domain/schema-validator-loader.ts: each relative specifier names the TypeScript
 * module next to this one from the sources (tsx, vitest) and, in the Lambda bundle, the side
 * file of that name next to `index.js` (lib/constructs/eventflow-function.ts: SIDE_BUNDLES).
 * Import those modules through this one only: any other path would put them back into the
 * main file.
 */
export type SnsSenderModule = typeof import("./sns-sender.js");
export type EventBridgeSenderModule = typeof import("./eventbridge-sender.js");
export type EmailSenderModule = typeof import("./email-sender.js");

let sns: Promise<SnsSenderModule> | undefined;
let eventBridge: Promise<EventBridgeSenderModule> | undefined;
let email: Promise<EmailSenderModule> | undefined;

export const loadSnsSender = (): Promise<SnsSenderModule> => {
  sns ??= import("./sns-sender.js");
  return sns;
};
export const loadEventBridgeSender = (): Promise<EventBridgeSenderModule> => {
  eventBridge ??= import("./eventbridge-sender.js");
  return eventBridge;
};
export const loadEmailSender = (): Promise<EmailSenderModule> => {
  email ??= import("./email-sender.js");
  return email;
};

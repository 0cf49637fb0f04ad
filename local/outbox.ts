/**
 * The local runtime's outbox: what email and EventBridge destinations would have sent to
 * SES and EventBridge, which the embedded emulators do not have. The deliver function uses
 * these in place of the SDK clients (same commands, same request shapes); the console shows
 * the entries (GET /_local/outbox). The latest OUTBOX_SIZE entries, in memory.
 */
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { SESv2Client } from "@aws-sdk/client-sesv2";

export const OUTBOX_SIZE = 200;

export interface OutboxEntry {
  at: string;
  service: "ses" | "eventbridge";
  /** The SDK command's name: SendEmailCommand, PutEventsCommand. */
  command: string;
  /** The request as the SDK would send it. */
  input: unknown;
}

export class LocalOutbox {
  private readonly items: OutboxEntry[] = [];

  list(): OutboxEntry[] {
    return [...this.items].reverse();
  }

  private record(
    service: OutboxEntry["service"],
    command: { constructor: { name: string }; input: unknown },
  ) {
    this.items.push({
      at: new Date().toISOString(),
      service,
      command: command.constructor.name,
      input: command.input,
    });
    if (this.items.length > OUTBOX_SIZE) this.items.splice(0, this.items.length - OUTBOX_SIZE);
  }

  /** Stands in for SESv2Client: every SendEmail succeeds and is kept. */
  readonly ses: Pick<SESv2Client, "send"> = {
    send: (async (command: { constructor: { name: string }; input: unknown }) => {
      this.record("ses", command);
      return { MessageId: `local-${this.items.length}`, $metadata: {} };
    }) as unknown as SESv2Client["send"],
  };

  /** Stands in for EventBridgeClient: every entry is accepted and kept. */
  readonly eventBridge: Pick<EventBridgeClient, "send"> = {
    send: (async (command: { constructor: { name: string }; input: { Entries?: unknown[] } }) => {
      this.record("eventbridge", command);
      return {
        FailedEntryCount: 0,
        Entries: (command.input.Entries ?? []).map((_, i) => ({
          EventId: `local-${this.items.length}-${i}`,
        })),
        $metadata: {},
      };
    }) as unknown as EventBridgeClient["send"],
  };
}

/**
 * DynamoDB stream records as the archive reads them: NewImage in the low-level attribute
 * format, unmarshalled here (the few types the events table holds) rather than bundling
 * @aws-sdk/util-dynamodb, which is published at another version than the clients; then
 * the compact item's packed `body` is unpacked by the one decode every reader of event
 * items uses (adapters/dynamodb-event-item.ts), so the archive sees the event's fields.
 */
import type { AttributeValue, DynamoDBRecord } from "aws-lambda";
import { unpackItem } from "../adapters/dynamodb-event-item.js";
import type { TableChange } from "../use-cases/archive-events.js";

export function unmarshallValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL) return null;
  if (value.M) return unmarshallImage(value.M);
  if (value.L) return value.L.map(unmarshallValue);
  if (value.SS) return [...value.SS];
  if (value.NS) return value.NS.map(Number);
  // Lambda's JSON event carries binary as base64 text; the SDK (and tests) as bytes.
  if (value.B !== undefined) return binary(value.B);
  if (value.BS) return value.BS.map(binary);
  return undefined;
}

const binary = (b: unknown): unknown => (typeof b === "string" ? Buffer.from(b, "base64") : b);

export function unmarshallImage(image: Record<string, AttributeValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(image)) out[name] = unmarshallValue(value);
  return out;
}

/**
 * The change a record describes, or undefined: removals (TTL expiry, erasure) leave the
 * archive as it is; erasure rewrites the archive itself (README "History").
 */
export function tableChangeOf(record: DynamoDBRecord): TableChange | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName === "REMOVE" || !image) return undefined;
  return {
    newImage: unpackItem(unmarshallImage(image as Record<string, AttributeValue>)),
    sequence: record.dynamodb?.SequenceNumber ?? "0",
    changedAtMs: (record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000,
  };
}

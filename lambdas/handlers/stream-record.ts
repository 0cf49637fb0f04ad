/**
 * DynamoDB stream records as the archive reads them: NewImage in the low-level attribute
 * format, unmarshalled here (the few types the events table holds) rather than bundling
 * @aws-sdk/util-dynamodb, which is published at another version than the clients.
 */
import type { AttributeValue, DynamoDBRecord } from "aws-lambda";
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
  if (value.B !== undefined) return value.B;
  if (value.BS) return [...value.BS];
  return undefined;
}

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
    newImage: unmarshallImage(image as Record<string, AttributeValue>),
    sequence: record.dynamodb?.SequenceNumber ?? "0",
    changedAtMs: (record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000,
  };
}

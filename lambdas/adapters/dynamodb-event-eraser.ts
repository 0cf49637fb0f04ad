/** Erasure in the events table: DeleteItem of each event by its key (idempotent). */
import { BatchWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { EventEraser } from "../ports/history-jobs.js";
import { eventKey } from "./dynamodb-keys.js";

/** BatchWriteItem takes 25 requests. */
const CHUNK = 25;

export class DynamoDbEventEraser implements EventEraser {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async deleteEvents(tenant: string, ids: readonly string[]): Promise<number> {
    for (let i = 0; i < ids.length; i += CHUNK) {
      let requests = ids
        .slice(i, i + CHUNK)
        .map((id) => ({ DeleteRequest: { Key: eventKey(tenant, id) } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 8) throw new Error("DynamoDB left deletes unprocessed after 8 retries");
        const out = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
        );
        requests = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (requests.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
    return ids.length;
  }
}

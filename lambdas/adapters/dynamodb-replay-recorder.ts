/**
 * ReplayRecorder on DynamoDB: one UpdateItem per replayed event, conditional on the
 * record still being failed. It appends the `replayed` history entry and sets the replay
 * token; it never creates an item (the condition fails on a missing one) and never
 * touches the keys, so the event stays in the failed list until its consumer replaces it.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { classify } from "../domain/errors.js";
import type { ReplayMarker } from "../domain/event.js";
import { replayedEntry } from "../domain/replay.js";
import type { ArmOutcome, ReplayRecorder } from "../ports/failed-events.js";
import { eventKey, REPLAY_TOKEN_ATTRIBUTE } from "./dynamodb-keys.js";

export class DynamoDbReplayRecorder implements ReplayRecorder {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: { tableName: string },
  ) {}

  async armReplay(tenantId: string, id: string, marker: ReplayMarker): Promise<ArmOutcome> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: eventKey(tenantId, id),
          UpdateExpression:
            "SET #history = list_append(if_not_exists(#history, :empty), :entry), #token = :token",
          ConditionExpression: "#status = :failed",
          ExpressionAttributeNames: {
            "#history": "history",
            "#token": REPLAY_TOKEN_ATTRIBUTE,
            "#status": "status",
          },
          ExpressionAttributeValues: {
            ":empty": [],
            ":entry": [replayedEntry(marker)],
            ":token": marker.requestId,
            ":failed": "failed",
          },
        }),
      );
      return "armed";
    } catch (error) {
      if (classify(error) === "duplicate") return "not_failed";
      throw error;
    }
  }
}

/**
 * Helpers of the history e2e tests (history.test.ts, history-targets.test.ts): waiting for a
 * job to finish, and making events leave the table as eventRetentionDays would (dynalite has
 * no TTL), so that only the archive holds them.
 */
import { DeleteItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { expect } from "vitest";
import { type Api, waitFor } from "./client.js";

/** Polls GET /v1/{kind}/{id} until the job succeeded, failed or was cancelled. */
export function finishedJob<J extends { status: string }>(
  api: Api,
  kind: "exports" | "replays" | "erasures",
  id: string,
  timeoutMs = 30_000,
): Promise<J> {
  return waitFor(
    async () => {
      const answer = await api.request<J>("GET", `/v1/${kind}/${id}`);
      expect(answer.status).toBe(200);
      return ["succeeded", "failed", "cancelled"].includes(answer.body.status)
        ? answer.body
        : undefined;
    },
    timeoutMs,
    `${kind} ${id} to finish`,
    250,
  );
}

/** Deletes the events' table items (the local runtime's events table). */
export async function dropFromTable(
  dynamodb: DynamoDBClient,
  tenant: string,
  ids: readonly string[],
): Promise<void> {
  for (const id of ids) {
    await dynamodb.send(
      new DeleteItemCommand({
        TableName: "eventflow-events",
        Key: { pk: { S: `T#${tenant}#E#${id}` }, sk: { S: "EVENT" } },
      }),
    );
  }
}

/**
 * Which destinations asked for ordering, for the process function's `route` action (it
 * names destination ids only): one Query (the process role may Query the configuration
 * table, for its rules) of the destination's item, its `ordered` attribute, on the
 * configuration table, cached per destination for `cacheMs` (a change of `ordered` applies
 * to deliveries enqueued after that). A destination that does not exist is unordered (its
 * deliveries end "destination deleted"). Replays from history read the same item's
 * `enabled` and `ordered` through `state` (DestinationLookup), never its sealed secrets.
 */
import { type DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { CONFIG_KINDS, CONFIG_TABLE } from "../../lib/contracts/tables.js";
import type { DestinationLookup } from "../ports/destinations.js";
import type { DestinationOrdering } from "./sqs-delivery-queue.js";

export class DynamoDbDestinationOrdering implements DestinationOrdering, DestinationLookup {
  private readonly cache = new Map<string, { ordered: boolean; at: number }>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly cacheMs = 5_000,
  ) {}

  async isOrdered(tenantId: string, destinationId: string): Promise<boolean> {
    const key = `${tenantId}/${destinationId}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.cacheMs) return hit.ordered;
    const ordered = (await this.state(tenantId, destinationId))?.ordered === true;
    this.cache.set(key, { ordered, at: Date.now() });
    return ordered;
  }

  /** The destination's `enabled` and `ordered` (never its secrets), uncached. */
  async state(
    tenantId: string,
    destinationId: string,
  ): Promise<{ enabled: boolean; ordered: boolean } | undefined> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "#pk = :pk AND #sk = :sk",
        ExpressionAttributeNames: {
          "#pk": CONFIG_TABLE.partitionKey,
          "#sk": CONFIG_TABLE.sortKey,
          "#ordered": "ordered",
          "#enabled": "enabled",
        },
        ExpressionAttributeValues: {
          ":pk": `${CONFIG_TABLE.tenantPrefix}${tenantId}`,
          ":sk": `${CONFIG_KINDS.destination}${destinationId}`,
        },
        ProjectionExpression: "#ordered, #enabled",
      }),
    );
    const item = out.Items?.[0];
    return item ? { enabled: item.enabled === true, ordered: item.ordered === true } : undefined;
  }
}

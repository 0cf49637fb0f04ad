/**
 * History jobs in the tenant configuration table (CONFIG_TABLE): pk `T#<tenant>`,
 * sk `<EXPORT#|REPLAYJOB#|ERASURE#><id>`; ids are UUIDv7, so a kind's items sort by age.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { CONFIG_KINDS, CONFIG_TABLE } from "../../lib/contracts/tables.js";
import type { Job, JobKind } from "../domain/history-jobs.js";
import type { JobStore } from "../ports/history-jobs.js";

const PREFIX: Record<JobKind, string> = {
  export: CONFIG_KINDS.exportJob,
  replay: CONFIG_KINDS.replayJob,
  erasure: CONFIG_KINDS.erasureJob,
};

const key = (tenant: string, kind: JobKind, id: string) => ({
  [CONFIG_TABLE.partitionKey]: `${CONFIG_TABLE.tenantPrefix}${tenant}`,
  [CONFIG_TABLE.sortKey]: `${PREFIX[kind]}${id}`,
});

export class DynamoDbJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Writes the job's attributes with UpdateItem SET, so an attribute the job does not carry
   * is left alone: a cancel (requestCancel) that lands while a slice runs survives the slice's
   * later writes.
   */
  async put(job: Job): Promise<void> {
    const plain = JSON.parse(JSON.stringify(job)) as Record<string, unknown>;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    Object.entries(plain).forEach(([name, value], i) => {
      names[`#a${i}`] = name;
      values[`:v${i}`] = value;
      sets.push(`#a${i} = :v${i}`);
    });
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(job.tenant, job.kind, job.id),
        UpdateExpression: `SET ${sets.join(", ")}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async get(tenant: string, kind: JobKind, id: string): Promise<Job | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: key(tenant, kind, id),
        ConsistentRead: true,
      }),
    );
    return Item ? toJob(Item) : undefined;
  }

  async list(tenant: string, kind: JobKind, limit: number): Promise<Job[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :kind)",
        ExpressionAttributeNames: { "#pk": CONFIG_TABLE.partitionKey, "#sk": CONFIG_TABLE.sortKey },
        ExpressionAttributeValues: {
          ":pk": `${CONFIG_TABLE.tenantPrefix}${tenant}`,
          ":kind": PREFIX[kind],
        },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (Items ?? []).map(toJob);
  }

  async requestCancel(tenant: string, kind: JobKind, id: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(tenant, kind, id),
        UpdateExpression: "SET cancelRequested = :yes",
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: { "#pk": CONFIG_TABLE.partitionKey },
        ExpressionAttributeValues: { ":yes": true },
      }),
    );
  }
}

function toJob(item: Record<string, unknown>): Job {
  const { [CONFIG_TABLE.partitionKey]: _pk, [CONFIG_TABLE.sortKey]: _sk, ...job } = item;
  return job as unknown as Job;
}

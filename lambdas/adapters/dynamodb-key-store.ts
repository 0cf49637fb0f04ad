/**
 * API keys on DynamoDB (the keys table, lib/config.ts KEYS_TABLE):
 *
 *   key     pk = KEY#<sha256 hex>   keyId, tenantId, scopes, status, createdAt, usageKey...
 *           (a canary key, id canary...: pk = CANARYKEY#<sha256 hex>, apart for IAM)
 *                                   (purgeAt: epoch seconds, the TTL of a short-lived key)
 *   tenant  pk = TENANT#<tenant>    usageKey, usageKeyId
 *
 * The authorizer only ever calls findByHash (one consistent GetItem). The byTenant index
 * (tenantId, keyId) lists and finds a tenant's keys for the management commands.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { KEYS_TABLE } from "../../lib/contracts/tables.js";
import { type ApiKeyRecord, isCanaryKeyId, parseScopes } from "../domain/api-keys.js";
import type { KeyStore, TenantRecord } from "../ports/api-keys.js";

const keyPk = (hash: string, keyId?: string) =>
  `${keyId !== undefined && isCanaryKeyId(keyId) ? KEYS_TABLE.canaryKeyPrefix : KEYS_TABLE.keyPrefix}${hash}`;
const tenantPk = (tenantId: string) => `${KEYS_TABLE.tenantPrefix}${tenantId}`;

const isConditionFailure = (error: unknown) =>
  error instanceof Error && error.name === "ConditionalCheckFailedException";

export class DynamoDbKeyStore implements KeyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: { tableName: string },
  ) {}

  async findByHash(hash: string, keyId?: string): Promise<ApiKeyRecord | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: { [KEYS_TABLE.partitionKey]: keyPk(hash, keyId) },
        // A key revoked or created a moment ago is seen as such.
        ConsistentRead: true,
      }),
    );
    return out.Item ? toRecord(out.Item) : undefined;
  }

  async putKey(
    hash: string,
    record: ApiKeyRecord,
    options: { purgeAt?: Date } = {},
  ): Promise<void> {
    const purgeAt = options.purgeAt ? Math.floor(options.purgeAt.getTime() / 1000) : undefined;
    await this.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          ...record,
          ...(purgeAt === undefined ? {} : { [KEYS_TABLE.ttlAttribute]: purgeAt }),
          [KEYS_TABLE.partitionKey]: keyPk(hash, record.keyId),
        },
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": KEYS_TABLE.partitionKey },
      }),
    );
  }

  async listKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    const items = await this.queryTenant(tenantId);
    return items.map(toRecord);
  }

  async findKey(
    tenantId: string,
    keyId: string,
  ): Promise<{ hash: string; record: ApiKeyRecord } | undefined> {
    const [item] = await this.queryTenant(tenantId, keyId);
    const pk = item?.[KEYS_TABLE.partitionKey];
    if (!item || typeof pk !== "string") return undefined;
    const prefix = [KEYS_TABLE.canaryKeyPrefix, KEYS_TABLE.keyPrefix].find((p) => pk.startsWith(p));
    return { hash: pk.slice(prefix?.length ?? 0), record: toRecord(item) };
  }

  async revoke(tenantId: string, hash: string, at: string, keyId?: string): Promise<void> {
    await this.update(tenantId, keyPk(hash, keyId), "SET #status = :revoked, revokedAt = :at", {
      ":revoked": "revoked",
      ":at": at,
    });
  }

  async expire(tenantId: string, hash: string, at: string, keyId?: string): Promise<void> {
    await this.update(
      tenantId,
      keyPk(hash, keyId),
      "SET expiresAt = :at",
      { ":at": at },
      "#status = :active",
      {
        ":active": "active",
      },
    );
  }

  async getTenant(tenantId: string): Promise<TenantRecord | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: { [KEYS_TABLE.partitionKey]: tenantPk(tenantId) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? toTenant(out.Item) : undefined;
  }

  async putTenantIfAbsent(record: TenantRecord): Promise<TenantRecord> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { [KEYS_TABLE.partitionKey]: tenantPk(record.tenantId), ...record },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": KEYS_TABLE.partitionKey },
        }),
      );
      return record;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.getTenant(record.tenantId);
      if (!existing) throw error;
      return existing;
    }
  }

  private async queryTenant(tenantId: string, keyId?: string) {
    const index = KEYS_TABLE.byTenantIndex;
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: index.name,
          KeyConditionExpression: keyId ? "#t = :t AND #k = :k" : "#t = :t",
          ExpressionAttributeNames: {
            "#t": index.partitionKey,
            ...(keyId ? { "#k": index.sortKey } : {}),
          },
          ExpressionAttributeValues: { ":t": tenantId, ...(keyId ? { ":k": keyId } : {}) },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async update(
    tenantId: string,
    pk: string,
    expression: string,
    values: Record<string, unknown>,
    condition?: string,
    conditionValues: Record<string, unknown> = {},
  ): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { [KEYS_TABLE.partitionKey]: pk },
        UpdateExpression: expression,
        // Never creates an item, never touches another tenant's key.
        ConditionExpression: `attribute_exists(#pk) AND tenantId = :tenant${condition ? ` AND ${condition}` : ""}`,
        ExpressionAttributeNames: {
          "#pk": KEYS_TABLE.partitionKey,
          "#status": "status",
        },
        ExpressionAttributeValues: { ":tenant": tenantId, ...values, ...conditionValues },
      }),
    );
  }
}

function toRecord(item: Record<string, unknown>): ApiKeyRecord {
  const str = (name: string) => {
    const v = item[name];
    if (typeof v !== "string") throw new Error(`key item without a string ${name}`);
    return v;
  };
  const opt = (name: string) =>
    typeof item[name] === "string" ? (item[name] as string) : undefined;
  const status = str("status");
  if (status !== "active" && status !== "revoked")
    throw new Error(`key item with status ${status}`);
  const expiresAt = opt("expiresAt");
  const revokedAt = opt("revokedAt");
  const name = opt("name");
  return {
    keyId: str("keyId"),
    tenantId: str("tenantId"),
    scopes: parseScopes(Array.isArray(item.scopes) ? (item.scopes as string[]) : []),
    status,
    createdAt: str("createdAt"),
    usageKey: str("usageKey"),
    ...(expiresAt ? { expiresAt } : {}),
    ...(revokedAt ? { revokedAt } : {}),
    ...(name ? { name } : {}),
  };
}

function toTenant(item: Record<string, unknown>): TenantRecord {
  const { tenantId, usageKey, usageKeyId, createdAt } = item;
  if (typeof tenantId !== "string" || typeof usageKey !== "string") {
    throw new Error("tenant item without tenantId or usageKey");
  }
  return {
    tenantId,
    usageKey,
    ...(typeof usageKeyId === "string" ? { usageKeyId } : {}),
    createdAt: typeof createdAt === "string" ? createdAt : "",
  };
}

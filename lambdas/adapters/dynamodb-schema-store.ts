/**
 * SchemaStore on the tenant configuration table (CONFIG_TABLE, kind CONFIG_KINDS.schema):
 *   pk = T#<tenant>  sk = SCHEMA#H#<type>                 the type: settings + latest version
 *   pk = T#<tenant>  sk = SCHEMA#V#<type>#<000000001>     one immutable version
 *   pk = T#<tenant>  sk = SETTINGS#schemas                the tenant's schema settings
 * Types cannot contain `#`, so a type's prefix never catches another type's items. The
 * version number is zero-padded so versions sort by number. DynamoDB Local and dynalite
 * have no TransactWriteItems everywhere, and none is needed: a version is written first
 * (conditional: never overwritten), then the head; a head that lags behind a written
 * version is caught up by the next registration, which reads the versions themselves.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import { CONFIG_KINDS, CONFIG_TABLE } from "../../lib/contracts/tables.js";
import { classify } from "../domain/errors.js";
import type { SchemaVersion, TenantSchemaSettings } from "../domain/schemas.js";
import type { SchemaStore, SubjectWithLatest } from "../ports/schema-store.js";

const HEAD = `${CONFIG_KINDS.schema}H#`;
const VERSION = `${CONFIG_KINDS.schema}V#`;
const SETTINGS_SK = `${CONFIG_KINDS.tenantSettings}schemas`;

const pk = (tenantId: string) => `${CONFIG_TABLE.tenantPrefix}${tenantId}`;
const versionSk = (type: string, version: number) =>
  `${VERSION}${type}#${String(version).padStart(9, "0")}`;

/** Pages of a Query; the configuration of one tenant is small, but never assume one page. */
const MAX_PAGES = 50;

export class DynamoDbSchemaStore implements SchemaStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getSubject(tenantId: string, type: string): Promise<SubjectWithLatest | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: {
          [CONFIG_TABLE.partitionKey]: pk(tenantId),
          [CONFIG_TABLE.sortKey]: `${HEAD}${type}`,
        },
      }),
    );
    return Item ? headOf(Item) : undefined;
  }

  async listSubjects(tenantId: string): Promise<SubjectWithLatest[]> {
    return (await this.query(tenantId, HEAD)).map(headOf);
  }

  async getVersion(tenantId: string, type: string, version: number) {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: {
          [CONFIG_TABLE.partitionKey]: pk(tenantId),
          [CONFIG_TABLE.sortKey]: versionSk(type, version),
        },
      }),
    );
    return Item ? versionOf(Item) : undefined;
  }

  async listVersions(tenantId: string, type: string): Promise<SchemaVersion[]> {
    return (await this.query(tenantId, `${VERSION}${type}#`)).map(versionOf);
  }

  async putVersion(tenantId: string, version: SchemaVersion): Promise<"written" | "exists"> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [CONFIG_TABLE.partitionKey]: pk(tenantId),
            [CONFIG_TABLE.sortKey]: versionSk(version.type, version.version),
            ...itemOfVersion(version),
          },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": CONFIG_TABLE.partitionKey },
        }),
      );
      return "written";
    } catch (error) {
      if (classify(error) === "duplicate") return "exists";
      throw error;
    }
  }

  async putSubject(tenantId: string, entry: SubjectWithLatest): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [CONFIG_TABLE.partitionKey]: pk(tenantId),
          [CONFIG_TABLE.sortKey]: `${HEAD}${entry.subject.type}`,
          ...entry.subject,
          latest: itemOfVersion(entry.latest),
        },
      }),
    );
  }

  async getTenantSettings(tenantId: string): Promise<TenantSchemaSettings | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [CONFIG_TABLE.partitionKey]: pk(tenantId), [CONFIG_TABLE.sortKey]: SETTINGS_SK },
      }),
    );
    return Item ? { unregistered: Item.unregistered === "reject" ? "reject" : "allow" } : undefined;
  }

  async putTenantSettings(tenantId: string, settings: TenantSchemaSettings): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [CONFIG_TABLE.partitionKey]: pk(tenantId),
          [CONFIG_TABLE.sortKey]: SETTINGS_SK,
          unregistered: settings.unregistered,
        },
      }),
    );
  }

  private async query(tenantId: string, prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
          ExpressionAttributeNames: {
            "#pk": CONFIG_TABLE.partitionKey,
            "#sk": CONFIG_TABLE.sortKey,
          },
          ExpressionAttributeValues: { ":pk": pk(tenantId), ":prefix": prefix },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
      if (!start) break;
    }
    return items;
  }
}

/**
 * The schema is kept as its JSON text: DynamoDB numbers cannot hold every JSON number a
 * schema may carry (`maximum: 1e300`), and the text is what the fingerprint was taken of.
 */
const itemOfVersion = (v: SchemaVersion) => ({ ...v, schema: JSON.stringify(v.schema) });

function versionOf(item: Record<string, unknown>): SchemaVersion {
  return {
    type: String(item.type),
    version: Number(item.version),
    schema: JSON.parse(String(item.schema)) as SchemaVersion["schema"],
    fingerprint: String(item.fingerprint),
    registeredAt: String(item.registeredAt),
  };
}

function headOf(item: Record<string, unknown>): SubjectWithLatest {
  return {
    subject: {
      type: String(item.type),
      latestVersion: Number(item.latestVersion),
      compatibility: item.compatibility as SubjectWithLatest["subject"]["compatibility"],
      enforcement: item.enforcement as SubjectWithLatest["subject"]["enforcement"],
      createdAt: String(item.createdAt),
      updatedAt: String(item.updatedAt),
      ...(typeof item.deletedAt === "string" ? { deletedAt: item.deletedAt } : {}),
    },
    latest: versionOf(item.latest as Record<string, unknown>),
  };
}

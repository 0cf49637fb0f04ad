/**
 * DestinationStore on the configuration table: pk = T#<tenant>, sk = DEST#<id>. Signing
 * secrets are stored sealed (domain/secret-box.ts) under the deployment's destination key;
 * health (failure streak, circuit) sits on the same item, written only on a change of state
 * (first failure of a streak, each failure's circuit, the first success after failures).
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { CONFIG_KINDS, CONFIG_TABLE } from "../../lib/contracts/tables.js";
import type { Destination, SigningSecrets } from "../domain/destination.js";
import { openSecret, sealSecret } from "../domain/secret-box.js";
import type { DestinationStore } from "../ports/destinations.js";

export interface DynamoDbDestinationStoreOptions {
  tableName: string;
  /** The destination key (SecretReader.get of DESTINATION_SECRET_ID). */
  masterKey: () => Promise<string>;
}

/** The destination as stored: its fields, with the signing secrets sealed instead of open. */
interface Item extends Omit<Destination, "secrets"> {
  pk: string;
  sk: string;
  sealedSecret?: string;
  sealedPrevious?: string;
  previousExpiresAt?: string;
}

const DEFINITION_FIELDS = [
  "name",
  "description",
  "target",
  "ordered",
  "maxConcurrency",
  "rateLimitPerSecond",
  "enabled",
  "disabledAt",
  "disabledReason",
  "updatedAt",
] as const;

export class DynamoDbDestinationStore implements DestinationStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: DynamoDbDestinationStoreOptions,
  ) {}

  private key(tenantId: string, id: string) {
    return {
      [CONFIG_TABLE.partitionKey]: `${CONFIG_TABLE.tenantPrefix}${tenantId}`,
      [CONFIG_TABLE.sortKey]: `${CONFIG_KINDS.destination}${id}`,
    };
  }

  private context = (tenantId: string, id: string) => `${tenantId}/${id}`;

  async create(d: Destination): Promise<void> {
    const master = d.secrets ? await this.options.masterKey() : "";
    const { secrets, ...rest } = d;
    const item: Record<string, unknown> = { ...this.key(d.tenantId, d.id), ...rest };
    if (secrets) Object.assign(item, this.sealed(master, d.tenantId, d.id, secrets));
    await this.doc.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: item,
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  }

  private sealed(master: string, tenantId: string, id: string, secrets: SigningSecrets) {
    const context = this.context(tenantId, id);
    return {
      sealedSecret: sealSecret(master, context, secrets.current),
      ...(secrets.previous
        ? {
            sealedPrevious: sealSecret(master, context, secrets.previous.secret),
            previousExpiresAt: secrets.previous.expiresAt,
          }
        : {}),
    };
  }

  async get(tenantId: string, id: string): Promise<Destination | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: this.key(tenantId, id),
        ConsistentRead: true,
      }),
    );
    return out.Item ? this.fromItem(out.Item as Item) : undefined;
  }

  async list(tenantId: string): Promise<Destination[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
          ExpressionAttributeValues: {
            ":pk": `${CONFIG_TABLE.tenantPrefix}${tenantId}`,
            ":prefix": CONFIG_KINDS.destination,
          },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...((out.Items ?? []) as Item[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return Promise.all(items.map((i) => this.fromItem(i)));
  }

  async replace(d: Destination, expectedUpdatedAt: string): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ":expected": expectedUpdatedAt };
    const sets: string[] = [];
    const removes: string[] = [];
    for (const field of DEFINITION_FIELDS) {
      names[`#${field}`] = field;
      const value = d[field];
      if (value === undefined) removes.push(`#${field}`);
      else {
        sets.push(`#${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    if (d.enabled) {
      // Re-enabled: the failure streak and the circuit start over.
      for (const field of ["failingSince", "openUntil", "consecutiveFailures"]) {
        names[`#${field}`] = field;
        removes.push(`#${field}`);
      }
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key(d.tenantId, d.id),
          UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
          ConditionExpression: "attribute_exists(pk) AND #updatedAt = :expected",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const out = await this.doc.send(
      new DeleteCommand({
        TableName: this.options.tableName,
        Key: this.key(tenantId, id),
        ReturnValues: "ALL_OLD",
      }),
    );
    return out.Attributes !== undefined;
  }

  async setSecrets(
    tenantId: string,
    id: string,
    secrets: SigningSecrets,
    at: string,
  ): Promise<void> {
    const sealed = this.sealed(await this.options.masterKey(), tenantId, id, secrets);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: this.key(tenantId, id),
        UpdateExpression:
          "SET sealedSecret = :s, sealedPrevious = :p, previousExpiresAt = :e, updatedAt = :at",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeValues: {
          ":s": sealed.sealedSecret,
          ":p": sealed.sealedPrevious ?? null,
          ":e": sealed.previousExpiresAt ?? null,
          ":at": at,
        },
      }),
    );
  }

  async recordSuccess(tenantId: string, id: string, at: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key(tenantId, id),
          UpdateExpression:
            "SET lastSuccessAt = :at REMOVE failingSince, openUntil, consecutiveFailures",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: { ":at": at },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async recordFailure(
    tenantId: string,
    id: string,
    at: string,
    openUntil: string,
  ): Promise<Destination | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key(tenantId, id),
          UpdateExpression:
            "SET failingSince = if_not_exists(failingSince, :at), lastFailureAt = :at, openUntil = :open ADD consecutiveFailures :one",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: { ":at": at, ":open": openUntil, ":one": 1 },
          ReturnValues: "ALL_NEW",
        }),
      );
      return out.Attributes ? this.fromItem(out.Attributes as Item, false) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async disable(tenantId: string, id: string, reason: string, at: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key(tenantId, id),
          UpdateExpression:
            "SET enabled = :false, disabledAt = :at, disabledReason = :reason, updatedAt = :at",
          ConditionExpression: "attribute_exists(pk) AND enabled = :true",
          ExpressionAttributeValues: {
            ":false": false,
            ":true": true,
            ":at": at,
            ":reason": reason,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async fromItem(item: Item, withSecrets = true): Promise<Destination> {
    const { pk: _pk, sk: _sk, sealedSecret, sealedPrevious, previousExpiresAt, ...rest } = item;
    const destination: Destination = { ...rest };
    for (const [k, v] of Object.entries(destination)) {
      if (v === null) delete (destination as unknown as Record<string, unknown>)[k];
    }
    if (withSecrets && sealedSecret) {
      const master = await this.options.masterKey();
      const context = this.context(item.tenantId, item.id);
      destination.secrets = { current: openSecret(master, context, sealedSecret) };
      if (sealedPrevious && previousExpiresAt) {
        destination.secrets.previous = {
          secret: openSecret(master, context, sealedPrevious),
          expiresAt: previousExpiresAt,
        };
      }
    }
    return destination;
  }
}

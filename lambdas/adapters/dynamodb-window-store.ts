/**
 * Windows and patterns on DynamoDB: declarations in the configuration table, contributions
 * and sweep watermarks in the events table (layout: WINDOW_KEYS in lib/contracts/tables.ts).
 *
 *   declaration (current)  pk = T#<tenant>  sk = AGG#<name> | PATTERN#<name>
 *   declaration (version)  pk = T#<tenant>  sk = AGG#<name>#V#<000001>
 *
 * A contribution is written with attribute_not_exists(pk): the first write of an event's
 * contribution wins and fixes its storedAt, so a redelivery, a replay or a second sweep
 * never changes what a window or a match is computed from.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { CONFIG_KINDS, CONFIG_TABLE, TABLE, WINDOW_KEYS } from "../../lib/contracts/tables.js";
import type { PatternContribution, PatternSpec } from "../domain/cep.js";
import { classify } from "../domain/errors.js";
import { hash53 } from "../domain/hyperloglog.js";
import type { AggregationSpec, Contribution } from "../domain/windowing.js";
import {
  type AggregationDeclaration,
  type ContributionStore,
  type Declaration,
  type DeclarationKind,
  type DeclarationStore,
  type PatternDeclaration,
  type ReadResult,
  VersionConflict,
} from "../ports/windows.js";

const KIND_PREFIX: Record<DeclarationKind, string> = {
  aggregation: CONFIG_KINDS.aggregation,
  pattern: CONFIG_KINDS.pattern,
};

const VERSION_INFIX = "#V#";

const tenantPk = (tenantId: string) => `${CONFIG_TABLE.tenantPrefix}${tenantId}`;

interface DeclarationItem {
  pk: string;
  sk: string;
  kind: DeclarationKind;
  name: string;
  version: number;
  spec: AggregationSpec | PatternSpec;
  createdAt: string;
  shards: number;
  /** Only the current declaration's item: what the sweep scans for. */
  current?: true;
}

function fromItem(item: Record<string, unknown>): Declaration {
  const i = item as unknown as DeclarationItem;
  return {
    tenantId: i.pk.slice(CONFIG_TABLE.tenantPrefix.length),
    kind: i.kind,
    name: i.name,
    version: i.version,
    spec: i.spec,
    createdAt: i.createdAt,
    shards: i.shards,
  };
}

export class DynamoDbDeclarationStore implements DeclarationStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(tenantId: string, kind: DeclarationKind): Promise<Declaration[]> {
    const out = await this.query(tenantId, kind, true);
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** A tenant's items of one kind: the current ones only, or every version item. */
  private async query(
    tenantId: string,
    kind: DeclarationKind,
    current: boolean,
  ): Promise<Declaration[]> {
    const out: Declaration[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
          ...(current ? { FilterExpression: "#current = :true" } : {}),
          ExpressionAttributeNames: {
            "#pk": "pk",
            "#sk": "sk",
            ...(current ? { "#current": "current" } : {}),
          },
          ExpressionAttributeValues: {
            ":pk": tenantPk(tenantId),
            ":prefix": KIND_PREFIX[kind],
            ...(current ? { ":true": true } : {}),
          },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        // Version items: told by their key in code (a key attribute cannot be filtered on).
        if (current || String(item.sk).includes(VERSION_INFIX)) out.push(fromItem(item));
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async get(
    tenantId: string,
    kind: DeclarationKind,
    name: string,
    version?: number,
  ): Promise<Declaration | undefined> {
    const sk =
      version === undefined
        ? `${KIND_PREFIX[kind]}${name}`
        : `${KIND_PREFIX[kind]}${name}${VERSION_INFIX}${String(version).padStart(6, "0")}`;
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: tenantPk(tenantId), sk },
        ConsistentRead: true,
      }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  /**
   * The version item first (unconditional: an orphan of a lost race is overwritten by the
   * next PUT of that version), then the current item, conditional on the version it read:
   * two concurrent PUTs cannot both become version N.
   */
  async put(
    tenantId: string,
    kind: DeclarationKind,
    name: string,
    spec: AggregationSpec | PatternSpec,
    shards: number,
    at: Date,
  ): Promise<Declaration> {
    const previous = await this.get(tenantId, kind, name);
    const version = (previous?.version ?? (await this.lastVersion(tenantId, kind, name))) + 1;
    const base = {
      pk: tenantPk(tenantId),
      kind,
      name,
      version,
      spec,
      createdAt: at.toISOString(),
      shards,
    };
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...base,
          sk: `${KIND_PREFIX[kind]}${name}${VERSION_INFIX}${String(version).padStart(6, "0")}`,
        },
      }),
    );
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...base, sk: `${KIND_PREFIX[kind]}${name}`, current: true },
          ConditionExpression: previous ? "#version = :previous" : "attribute_not_exists(#pk)",
          ExpressionAttributeNames: previous ? { "#version": "version" } : { "#pk": "pk" },
          ...(previous ? { ExpressionAttributeValues: { ":previous": previous.version } } : {}),
        }),
      );
    } catch (error) {
      if (classify(error) === "duplicate") {
        throw new VersionConflict(`${kind} ${name} changed meanwhile; send it again`);
      }
      throw error;
    }
    return fromItem({ ...base, sk: `${KIND_PREFIX[kind]}${name}` });
  }

  /** After a DELETE the versions remain: a new declaration continues their numbering. */
  private async lastVersion(
    tenantId: string,
    kind: DeclarationKind,
    name: string,
  ): Promise<number> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
        ExpressionAttributeValues: {
          ":pk": tenantPk(tenantId),
          ":prefix": `${KIND_PREFIX[kind]}${name}${VERSION_INFIX}`,
        },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = page.Items?.[0];
    return typeof item?.version === "number" ? item.version : 0;
  }

  async remove(tenantId: string, kind: DeclarationKind, name: string): Promise<boolean> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: tenantPk(tenantId), sk: `${KIND_PREFIX[kind]}${name}` },
        ReturnValues: "ALL_OLD",
      }),
    );
    return Attributes !== undefined;
  }

  async versions(tenantId: string, kind: DeclarationKind): Promise<Declaration[]> {
    return this.query(tenantId, kind, false);
  }

  async all(): Promise<Declaration[]> {
    const out: Declaration[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression:
            "#current = :true AND (begins_with(#sk, :agg) OR begins_with(#sk, :pattern))",
          ExpressionAttributeNames: { "#current": "current", "#sk": "sk" },
          ExpressionAttributeValues: {
            ":true": true,
            ":agg": CONFIG_KINDS.aggregation,
            ":pattern": CONFIG_KINDS.pattern,
          },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push(fromItem(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

export interface ContributionStoreOptions {
  tableName: string;
  /** Items one read may return for a declaration before it stops (truncated). */
  maxReadItems: number;
}

/** Deletes in flight at once during an erasure. */
const ERASE_CONCURRENCY = 10;

const pad = (ms: number) =>
  String(Math.max(0, Math.floor(ms))).padStart(WINDOW_KEYS.timeDigits, "0");

const kindLetter = (kind: DeclarationKind) =>
  kind === "aggregation" ? WINDOW_KEYS.aggregation : WINDOW_KEYS.pattern;

/** The partition of one shard of a declaration version's contributions. */
export const contributionPartition = (decl: Declaration, shard: number): string =>
  `${CONFIG_TABLE.tenantPrefix}${decl.tenantId}${WINDOW_KEYS.contributionInfix}${kindLetter(decl.kind)}#${decl.name}#${decl.version}#${shard}`;

export const contributionShard = (eventId: string, shards: number): number =>
  hash53(eventId) % shards;

export class DynamoDbContributionStore implements ContributionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: ContributionStoreOptions,
  ) {}

  putAggregation(decl: AggregationDeclaration, c: Contribution, expiresAtMs: number) {
    return this.putFirst(decl, c.eventId, c.t, expiresAtMs, {
      g: c.group,
      s: c.storedAt,
      v: c.values,
      h: c.hashes,
    });
  }

  putPattern(decl: PatternDeclaration, c: PatternContribution, expiresAtMs: number) {
    return this.putFirst(decl, c.eventId, c.t, expiresAtMs, {
      k: c.key,
      s: c.storedAt,
      st: c.steps,
      f: c.fields,
    });
  }

  private async putFirst(
    decl: Declaration,
    eventId: string,
    t: number,
    expiresAtMs: number,
    attributes: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            ...attributes,
            e: eventId,
            t,
            [TABLE.ttlAttribute]: Math.floor(expiresAtMs / 1000),
            pk: contributionPartition(decl, contributionShard(eventId, decl.shards)),
            sk: `${pad(t)}#${eventId}`,
          },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": "pk" },
        }),
      );
    } catch (error) {
      // Already there: this event's contribution was stored by an earlier delivery.
      if (classify(error) !== "duplicate") throw error;
    }
  }

  async readAggregation(
    decl: AggregationDeclaration,
    from: number,
    to: number,
  ): Promise<ReadResult<Contribution>> {
    const raw = await this.readRaw(decl, from, to);
    return {
      truncated: raw.truncated,
      items: raw.items.map((i) => ({
        eventId: String(i.e),
        group: String(i.g),
        t: Number(i.t),
        storedAt: Number(i.s),
        values: (i.v ?? {}) as Record<string, number>,
        hashes: (i.h ?? {}) as Record<string, number>,
      })),
    };
  }

  async readPattern(
    decl: PatternDeclaration,
    from: number,
    to: number,
  ): Promise<ReadResult<PatternContribution>> {
    const raw = await this.readRaw(decl, from, to);
    return {
      truncated: raw.truncated,
      items: raw.items.map((i) => ({
        eventId: String(i.e),
        key: String(i.k),
        t: Number(i.t),
        storedAt: Number(i.s),
        steps: (i.st ?? []) as number[],
        fields: (i.f ?? {}) as Record<string, unknown>,
      })),
    };
  }

  /** Every shard's contributions with event time in [from, to), merged. */
  private async readRaw(
    decl: Declaration,
    from: number,
    to: number,
  ): Promise<ReadResult<Record<string, unknown>>> {
    if (to <= from) return { items: [], truncated: false };
    let budget = this.options.maxReadItems;
    let truncated = false;
    const shards = await Promise.all(
      Array.from({ length: decl.shards }, async (_, shard) => {
        const items: Record<string, unknown>[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          if (budget <= 0) {
            truncated = true;
            break;
          }
          const page = await this.client.send(
            new QueryCommand({
              TableName: this.options.tableName,
              KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :from AND :to",
              ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
              ExpressionAttributeValues: {
                ":pk": contributionPartition(decl, shard),
                ":from": pad(from),
                ":to": `${pad(to - 1)}#\uffff`,
              },
              ExclusiveStartKey: start,
            }),
          );
          const got = page.Items ?? [];
          budget -= got.length;
          items.push(...got);
          start = page.LastEvaluatedKey;
        } while (start);
        return items;
      }),
    );
    return { items: shards.flat(), truncated };
  }

  async erase(decl: Declaration, events: readonly { id: string; t: number }[]): Promise<number> {
    let removed = 0;
    // DeleteItem one by one (a few at a time): BatchWriteItem does not say what existed.
    for (let i = 0; i < events.length; i += ERASE_CONCURRENCY) {
      const outs = await Promise.all(
        events.slice(i, i + ERASE_CONCURRENCY).map((e) =>
          this.client.send(
            new DeleteCommand({
              TableName: this.options.tableName,
              Key: {
                pk: contributionPartition(decl, contributionShard(e.id, decl.shards)),
                sk: `${pad(e.t)}#${e.id}`,
              },
              ReturnValues: "ALL_OLD",
            }),
          ),
        ),
      );
      removed += outs.filter((o) => o.Attributes !== undefined).length;
    }
    return removed;
  }

  private stateKey(decl: Declaration) {
    return {
      pk: `${CONFIG_TABLE.tenantPrefix}${decl.tenantId}${WINDOW_KEYS.statePartitionSuffix}`,
      sk: `${kindLetter(decl.kind)}#${decl.name}#${decl.version}`,
    };
  }

  async watermark(decl: Declaration): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: this.stateKey(decl),
        ConsistentRead: true,
      }),
    );
    return typeof Item?.closedThrough === "number" ? Item.closedThrough : undefined;
  }

  async advance(decl: Declaration, to: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.stateKey(decl),
          UpdateExpression: "SET #c = :to",
          ConditionExpression: "attribute_not_exists(#c) OR #c < :to",
          ExpressionAttributeNames: { "#c": "closedThrough" },
          ExpressionAttributeValues: { ":to": to },
        }),
      );
    } catch (error) {
      // Another sweep got further: fine, the watermark only moves forward.
      if (classify(error) !== "duplicate") throw error;
    }
  }
}

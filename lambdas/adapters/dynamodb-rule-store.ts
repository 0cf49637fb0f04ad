/**
 * RuleStore on the configuration table (CONFIG_TABLE):
 *
 *   pk = T#<tenant>   sk = RULE#V#<version, 10 digits>   version, source, rules (JSON text),
 *                                                        updatedAt, updatedBy
 *
 * Versions are never overwritten (a conditional put on a free sk), so the version an event
 * recorded can always be read back; the current one is the last sk (one Query, Limit 1).
 * The rules are kept as JSON text: patterns hold nulls, empty strings and exact numbers,
 * which survive a string unchanged.
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { CONFIG_KINDS, CONFIG_TABLE } from "../../lib/contracts/tables.js";
import type { Rule, Ruleset, RulesetSource } from "../domain/rules.js";
import type { RuleStore } from "../ports/rule-store.js";

const VERSION_PREFIX = `${CONFIG_KINDS.rule}V#`;
const versionSk = (version: number) => `${VERSION_PREFIX}${String(version).padStart(10, "0")}`;
const tenantPk = (tenantId: string) => `${CONFIG_TABLE.tenantPrefix}${tenantId}`;

export class DynamoDbRuleStore implements RuleStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: { tableName: string; consistentRead?: boolean },
  ) {}

  async current(tenantId: string): Promise<Ruleset | undefined> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: { "#pk": CONFIG_TABLE.partitionKey, "#sk": CONFIG_TABLE.sortKey },
        ExpressionAttributeValues: { ":pk": tenantPk(tenantId), ":prefix": VERSION_PREFIX },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: this.options.consistentRead ?? false,
      }),
    );
    const item = out.Items?.[0];
    if (!item) return undefined;
    return {
      version: Number(item.version),
      source: item.source as RulesetSource,
      rules: JSON.parse(String(item.rules)) as Rule[],
      ...(typeof item.updatedAt === "string" ? { updatedAt: item.updatedAt } : {}),
      ...(typeof item.updatedBy === "string" ? { updatedBy: item.updatedBy } : {}),
    };
  }

  async save(tenantId: string, ruleset: Ruleset): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            [CONFIG_TABLE.partitionKey]: tenantPk(tenantId),
            [CONFIG_TABLE.sortKey]: versionSk(ruleset.version),
            version: ruleset.version,
            source: ruleset.source,
            rules: JSON.stringify(ruleset.rules),
            ...(ruleset.updatedAt ? { updatedAt: ruleset.updatedAt } : {}),
            ...(ruleset.updatedBy ? { updatedBy: ruleset.updatedBy } : {}),
          },
          ConditionExpression: "attribute_not_exists(#sk)",
          ExpressionAttributeNames: { "#sk": CONFIG_TABLE.sortKey },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === "ConditionalCheckFailedException") return false;
      throw error;
    }
  }
}

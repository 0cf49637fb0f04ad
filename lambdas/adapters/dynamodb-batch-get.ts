/**
 * BatchGetItem of a list of keys, retried with jittered backoff while DynamoDB leaves keys
 * unprocessed, in calls of at most 100 keys (its limit). One helper for every reader that
 * picks a page in an index whose entries do not carry the whole item (the events reader,
 * the deliveries log), so the retry and its bound live in one place.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

type Item = Record<string, unknown>;

/** Keys per BatchGetItem call (DynamoDB's limit). */
const MAX_KEYS_PER_CALL = 100;

/**
 * The items found, by `idOf` (an item gone since its index entry was read is absent).
 * Throws when keys are still unprocessed after `attempts` calls.
 */
export async function batchGetItems(
  doc: Pick<DynamoDBDocumentClient, "send">,
  tableName: string,
  keys: readonly Item[],
  idOf: (item: Item) => string,
  attempts = 5,
): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  for (let i = 0; i < keys.length; i += MAX_KEYS_PER_CALL) {
    let pending: Item[] = keys.slice(i, i + MAX_KEYS_PER_CALL);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > attempts) {
        throw new Error(`BatchGetItem left ${pending.length} keys unprocessed`);
      }
      if (attempt > 1) await sleep(Math.random() * 25 * 2 ** attempt);
      const { Responses, UnprocessedKeys } = await doc.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending } } }),
      );
      for (const item of Responses?.[tableName] ?? []) found.set(idOf(item), item);
      pending = UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return found;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

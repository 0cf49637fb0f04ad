/**
 * The archive function on compact event items (issue 20 x README "History"): the process
 * function stores events as compact items (data and descriptive fields deflated into the
 * binary `body`); the table's change stream (here the local change feed, which hands the
 * archive the JSON form Lambda receives: binary as base64 text) feeds the archive handler.
 * Its Parquet rows must be exactly those of the uncompressed events: what exports, replays,
 * the subject export and SQL read is unchanged by packing.
 */
import type { Context, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventFromItem } from "../../../../lambdas/adapters/dynamodb-event-item.js";
import type { ArchiveRow } from "../../../../lambdas/domain/archive.js";
import { createArchiveHandler } from "../../../../lambdas/handlers/archive.js";
import { archiveChanges } from "../../../../lambdas/use-cases/archive-events.js";
import { readArchive } from "../../../../lambdas/use-cases/read-archive.js";
import { ChangeFeed } from "../../../../local/change-feed.js";
import { createLogger } from "../../../../local/log.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";
import { MemoryArchiveStore } from "../../../support/memory-archive.js";
import { deliver, getRawEventItem, lambdaContext, queued, sqsEvent } from "./process-fixtures.js";

let aws: TestAws;
let process_: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let feed: ChangeFeed;
const streamEvents: DynamoDBStreamEvent[] = [];

beforeAll(async () => {
  aws = await startTestAws(["process"]);
  const clients = aws.handlerClients();
  feed = new ChangeFeed({
    tableName: aws.resources.tableName,
    tableArn: `arn:aws:dynamodb:us-east-1:000000000000:table/${aws.resources.tableName}`,
    region: "us-east-1",
    batchSize: 1000,
    batchingWindowSeconds: 3600,
    invoke: async (event) => {
      streamEvents.push(event);
      return { kind: "ok" } as never;
    },
    logger: createLogger({ json: true, level: "silent" }),
  });
  feed.install(clients.dynamodb);
  process_ = await aws.handler("process", clients);
});

afterAll(async () => {
  await aws?.stop();
});

/** Rows as readers get them, without the two fields that say when the archive ran. */
const comparable = (rows: readonly ArchiveRow[]) =>
  rows
    .map(({ archived_at: _a, revision: _r, ...row }) => row)
    .sort((a, b) => a.id.localeCompare(b.id));

async function rowsOf(store: MemoryArchiveStore, tenant: string): Promise<ArchiveRow[]> {
  const out: ArchiveRow[] = [];
  for await (const day of readArchive(store, tenant, {})) out.push(...day);
  return out;
}

describe("archive function on compact event items", () => {
  it("archives the rows of the uncompressed events, field for field", async () => {
    const tenant = `arch-${Date.now()}`;
    const sent = [
      queued(
        {
          type: "purchase",
          source: "shop",
          subject: "user-42",
          time: "2026-12-06T10:00:00.000Z",
          data: { amount: 99.5, items: ["a", "b"], note: "x".repeat(900) },
        },
        { tenantId: tenant },
      ),
      queued({ type: "page_view", data: { url: "/" } }, { tenantId: tenant }),
      // A business-rule failure: stored failed, archived with its failure.
      queued({ type: "purchase", data: { amount: -1 } }, { tenantId: tenant }),
    ];
    const records = await deliver(
      aws.sqs,
      { url: aws.resources.queueUrl, arn: aws.resources.queueArn },
      sent,
    );
    const response = await process_(sqsEvent(records), lambdaContext("process"));
    expect(response.batchItemFailures).toEqual([]);
    await feed.stop(Date.now() + 5000);

    // Stored compact: no `data` attribute, one binary body.
    const raw = await getRawEventItem(aws, tenant, sent[0]?.event.id ?? "");
    expect(raw?.data).toBeUndefined();
    expect(raw?.body).toBeInstanceOf(Uint8Array);
    // The stream image carries the body as base64 text, as Lambda's JSON event does.
    const images = streamEvents.flatMap((e) => e.Records).map((r) => r.dynamodb?.NewImage);
    expect(images.filter((i) => i?.pk?.S?.startsWith(`T#${tenant}#`))).toHaveLength(3);
    expect(typeof images.find((i) => i?.pk?.S?.startsWith(`T#${tenant}#`))?.body?.B).toBe("string");

    const archived = new MemoryArchiveStore();
    const archive = createArchiveHandler({ store: archived });
    for (const event of streamEvents) await archive(event);
    const rows = await rowsOf(archived, tenant);

    // The same events as uncompressed items (every field a plain attribute, as items were
    // written before packing) through the same archive code.
    const expected = new MemoryArchiveStore();
    const plain = [];
    for (const q of sent) {
      const item = await getRawEventItem(aws, tenant, q.event.id ?? "");
      plain.push({
        newImage: { sk: "EVENT", ...eventFromItem(item ?? {}) },
        sequence: "1",
        changedAtMs: 0,
      });
    }
    await archiveChanges(plain, { store: expected });
    expect(comparable(rows)).toEqual(comparable(await rowsOf(expected, tenant)));

    // And what was sent is what the archive holds (not only what both decodes agree on).
    const first = rows.find((r) => r.id === sent[0]?.event.id);
    expect(first).toMatchObject({
      type: "purchase",
      source: "shop",
      subject: "user-42",
      time: "2026-12-06T10:00:00.000Z",
      status: "processed",
      correlation_id: sent[0]?.correlationId,
    });
    expect(JSON.parse(first?.data ?? "")).toEqual(sent[0]?.event.data);
    const failed = rows.find((r) => r.id === sent[2]?.event.id);
    expect(failed?.status).toBe("failed");
    expect(failed?.failure_kind).toBe("business_rule");
    expect(rows).toHaveLength(3);
  });
});

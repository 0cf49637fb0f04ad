/**
 * Failed-event inspection and replay against the embedded emulators, through the real
 * handlers: events fail (dead-lettered by the dlq handler, broken business rules by the
 * process handler), GET /v1/failed lists them, POST /v1/failed/replay re-enqueues the
 * selected ones, and the process (or dlq) handler consumes the replayed messages.
 */
import type { Message } from "@aws-sdk/client-sqs";
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from "vitest";
import { failedPartition, shardOf } from "../../../../lambdas/adapters/dynamodb-keys.js";
import type { QueuedEvent } from "../../../../lambdas/domain/event.js";
import type { HandlerClients } from "../../../../local/functions.js";
import { lambdaContext as apiContext, apiEvent, bodyOf } from "../../../support/apigw.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";
import {
  deliver,
  getEventItem,
  lambdaContext,
  metricTotal,
  metricValues,
  queued,
  receiveNow,
  sqsEvent,
  statsByType,
  toRecord,
} from "./process-fixtures.js";

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

let aws: TestAws;
let processHandler: SqsHandler;
let dlqHandler: SqsHandler;
let replayHandler: ApiHandler;
let queryHandler: ApiHandler;
let replayClients: HandlerClients;
// biome-ignore lint/suspicious/noExplicitAny: spy on an overloaded method.
let addMetric: MockInstance<(...args: any[]) => unknown>;
let queue: { url: string; arn: string };
let dlq: { url: string; arn: string };

beforeAll(async () => {
  aws = await startTestAws(["query", "process", "dlq", "replay"]);
  queue = { url: aws.resources.queueUrl, arn: aws.resources.queueArn };
  dlq = { url: aws.resources.dlqUrl, arn: aws.resources.dlqArn };
  ({ handler: processHandler } = await import("../../../../lambdas/entry/process.js"));
  ({ handler: dlqHandler } = await import("../../../../lambdas/entry/dlq.js"));
  replayClients = aws.handlerClients();
  replayHandler = await aws.handler("replay", replayClients);
  queryHandler = await aws.handler("query");
  const { metrics } = await import("../../../../lambdas/shared/powertools.js");
  addMetric = vi.spyOn(metrics, "addMetric");
});

afterAll(async () => {
  await aws?.stop();
});

beforeEach(() => {
  addMetric.mockClear();
});

const MAX = () => aws.settings.maxReceiveCount;
const DEAD_REASON = () => `not processed after ${MAX()} receives`;

/** Events that exhausted their receives: recorded as failed (dead_letter) by the dlq handler. */
async function deadLetter(messages: QueuedEvent[]) {
  const records = await deliver(aws.sqs, dlq, messages);
  expect(await dlqHandler(sqsEvent(records), lambdaContext("dlq"))).toEqual({
    batchItemFailures: [],
  });
}

/** Events the process handler records as failed (business rule) at once. */
async function processNow(messages: Parameters<typeof deliver>[2]) {
  const records = await deliver(aws.sqs, queue, messages);
  return processHandler(sqsEvent(records), lambdaContext("process"));
}

async function replay(body: unknown, tenantId: string) {
  const result = await replayHandler(
    apiEvent({ method: "POST", path: "/v1/failed/replay", body, tenantId }),
    apiContext(),
  );
  return { status: result.statusCode, body: bodyOf<ReplayBody>(result) };
}

interface ReplayBody {
  replayed: number;
  ids: string[];
  skipped: { id: string; reason: string; detail?: string }[];
  requestId: string;
  nextCursor?: string;
  dryRun?: boolean;
  count?: number;
  events?: { id: string; type: string; kind: string; reason: string; attempts: number }[];
  error?: { code: string; details?: { path: string; message: string }[] };
}

interface FailedItem {
  id: string;
  type: string;
  event: Record<string, unknown>;
  failure: { kind: string; reason: string };
  attempts: number;
  correlationId: string;
  receivedAt: string;
  failedAt: string;
  history: { at: string; action: string; detail?: string }[];
}

async function listFailed(query: Record<string, string>, tenantId: string) {
  const result = await queryHandler(
    apiEvent({ path: "/v1/failed", query, tenantId }),
    apiContext(),
  );
  return {
    status: result.statusCode,
    body: bodyOf<{ items: FailedItem[]; nextCursor?: string; error?: ReplayBody["error"] }>(result),
  };
}

/** Receives exactly `n` messages from the main queue (what a replay sent), and no more. */
async function takeQueued(n: number): Promise<Message[]> {
  const taken: Message[] = [];
  for (let tries = 0; taken.length < n && tries < 30; tries++) {
    taken.push(...(await receiveNow(aws.sqs, queue.url, 1)));
  }
  expect(taken).toHaveLength(n);
  expect(await receiveNow(aws.sqs, queue.url, 0)).toEqual([]);
  return taken;
}

const consume = (messages: Message[], handler = processHandler, arn = queue.arn) =>
  handler(
    sqsEvent(messages.map((m) => toRecord(m, arn))),
    lambdaContext(handler === processHandler ? "process" : "dlq"),
  );

const item = (tenantId: string, id: string) => getEventItem(aws, tenantId, id);
const actions = (i: Record<string, unknown> | undefined) =>
  (i?.history as { action: string }[] | undefined)?.map((h) => h.action);

describe("GET /v1/failed", () => {
  const tenantId = "inspect";
  let dead: QueuedEvent[];
  let rules: QueuedEvent[];
  let malformed: QueuedEvent;

  beforeAll(async () => {
    dead = [
      queued({ type: "order.paid", data: { n: 1 } }, { tenantId }),
      queued({ type: "order.created", data: { n: 2 } }, { tenantId }),
    ];
    await deadLetter(dead);
    rules = [
      queued({ type: "purchase", data: { amount: -5 } }, { tenantId }),
      queued({ type: "purchase", data: { amount: "x" } }, { tenantId }),
    ];
    expect(await processNow(rules)).toEqual({ batchItemFailures: [] });
    malformed = queued({ type: "thing", data: { a: 1 } }, { tenantId });
    await processNow([{ body: JSON.stringify({ ...malformed, v: 3 }) }]);
  });

  it("lists every failed event, newest failure first, with event, failure, attempts and history", async () => {
    const { status, body } = await listFailed({}, tenantId);
    expect(status).toBe(200);
    expect(body.nextCursor).toBeUndefined();
    expect(body.items).toHaveLength(5);
    const keys = body.items.map((i) => `${i.failedAt}#${i.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
    const paid = body.items.find((i) => i.id === dead[0]?.event.id);
    expect(paid).toEqual({
      id: dead[0]?.event.id,
      type: "order.paid",
      event: { id: dead[0]?.event.id, type: "order.paid", data: { n: 1 } },
      failure: { kind: "dead_letter", reason: DEAD_REASON() },
      attempts: MAX(),
      correlationId: dead[0]?.correlationId,
      receivedAt: dead[0]?.receivedAt,
      failedAt: expect.any(String),
      history: [{ at: paid?.failedAt, action: "failed", detail: DEAD_REASON() }],
    });
    // Nothing internal leaks: keys, digest, TTL.
    expect(Object.keys(paid ?? {})).not.toContain("digest");
    expect(Object.keys(paid ?? {})).not.toContain("gsi2pk");
  });

  it.each([
    [{ type: "order.paid" }, () => [dead[0]]],
    [{ kind: "business_rule" }, () => rules],
    [{ kind: "malformed" }, () => [malformed]],
    [{ reason: "amount" }, () => rules],
    [{ reason: "greater than 0" }, () => [rules[0]]],
    [{ reason: "Amount" }, () => []],
    [{ kind: "dead_letter", type: "order.created" }, () => [dead[1]]],
    [{ from: "1h" }, () => [...dead, ...rules, malformed]],
    [{ to: "1h" }, () => []],
  ])("filters by %o", async (query, expected) => {
    const { status, body } = await listFailed(query as Record<string, string>, tenantId);
    expect(status).toBe(200);
    expect(body.items.map((i) => i.id).sort()).toEqual(
      expected()
        .map((m) => m?.event.id)
        .sort(),
    );
  });

  it("pages with a cursor bound to its filters", async () => {
    const all = (await listFailed({}, tenantId)).body.items.map((i) => i.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listFailed({ limit: "2", ...(cursor ? { cursor } : {}) }, tenantId);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((i) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);

    const first = await listFailed({ limit: "2" }, tenantId);
    const other = await listFailed(
      { limit: "2", kind: "dead_letter", cursor: first.body.nextCursor as string },
      tenantId,
    );
    expect(other.status).toBe(400);
    expect(other.body.error?.code).toBe("invalid_cursor");
  });

  it.each([
    [{ kind: "bogus" }, "kind"],
    [{ from: "yesterday" }, "from"],
    [{ from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z" }, "from"],
    [{ type: "has space" }, "type"],
    [{ limit: "0" }, "limit"],
    [{ status: "failed" }, "status"],
  ])("answers 400 with field errors for %o", async (query, path) => {
    const { status, body } = await listFailed(query, tenantId);
    expect(status).toBe(400);
    expect(body.error?.code).toBe("validation_failed");
    expect(body.error?.details?.map((d) => d.path)).toContain(path);
  });

  it("shows another tenant nothing", async () => {
    expect((await listFailed({}, "someone-else")).body.items).toEqual([]);
  });
});

describe("POST /v1/failed/replay", () => {
  it("replays exactly the filtered events; they are processed and leave the failed list", async () => {
    const tenantId = "replay-filter";
    const paid = [1, 2, 3].map((n) => queued({ type: "order.paid", data: { n } }, { tenantId }));
    const created = [4, 5].map((n) => queued({ type: "order.created", data: { n } }, { tenantId }));
    const elsewhere = queued({ type: "order.paid" }, { tenantId: "replay-other" });
    await deadLetter([...paid, ...created, elsewhere]);
    const createdBefore = await Promise.all(created.map((m) => item(tenantId, m.event.id)));

    const send = vi.spyOn(replayClients.documentClient, "send");
    const { status, body } = await replay({ type: "order.paid" }, tenantId);
    const commands = send.mock.calls.map(([c]) => c.constructor.name);
    send.mockRestore();

    expect(status).toBe(202);
    expect(body.replayed).toBe(3);
    expect(body.ids.sort()).toEqual(paid.map((m) => m.event.id).sort());
    expect(body.skipped).toEqual([]);
    // Least privilege holds at run time: the failed index projects ALL, no BatchGetItem;
    // GetItem only of the types' schema items (the configuration table: schema-gate.ts).
    expect(new Set(commands)).toEqual(new Set(["QueryCommand", "UpdateCommand", "GetCommand"]));

    // Armed, still failed, until the replayed message is processed.
    const armed = await item(tenantId, paid[0]?.event.id as string);
    expect(armed).toMatchObject({ status: "failed", replayToken: body.requestId });
    expect(actions(armed)).toEqual(["failed", "replayed"]);

    const messages = await takeQueued(3);
    const sent = messages.map((m) => JSON.parse(m.Body ?? "") as QueuedEvent);
    for (const original of paid) {
      const copy = sent.find((s) => s.event.id === original.event.id);
      expect(copy).toEqual({
        ...original,
        replay: { at: expect.any(String), requestId: body.requestId },
      });
    }

    addMetric.mockClear();
    expect(await consume(messages)).toEqual({ batchItemFailures: [] });
    expect(metricTotal(addMetric, "EventsProcessed")).toBe(3);
    expect(metricTotal(addMetric, "EventsDuplicate")).toBe(0);
    // A replay's end-to-end latency would be how long it sat failed: not published.
    expect(metricValues(addMetric, "EndToEndLatency")).toEqual([]);

    for (const m of paid) {
      const stored = await item(tenantId, m.event.id);
      expect(stored).toMatchObject({
        status: "processed",
        attempts: MAX() + 1,
        receivedAt: m.receivedAt,
        correlationId: m.correlationId,
        data: m.event.data,
        processedAt: expect.any(String),
      });
      expect(actions(stored)).toEqual(["failed", "replayed", "processed"]);
      for (const gone of ["gsi2pk", "gsi2sk", "replayToken", "failure", "failedAt"]) {
        expect(stored, gone).not.toHaveProperty(gone);
      }
    }
    // Outside the filter: untouched, still listed.
    for (const [i, m] of created.entries()) {
      expect(await item(tenantId, m.event.id)).toEqual(createdBefore[i]);
    }
    expect((await listFailed({}, tenantId)).body.items.map((i) => i.id).sort()).toEqual(
      created.map((m) => m.event.id).sort(),
    );
    expect((await item("replay-other", elsewhere.event.id))?.status).toBe("failed");
    // Stats count outcomes of processing attempts: the failure and the later success.
    expect((await statsByType(aws, tenantId))["order.paid"]).toEqual({
      processed: 3,
      failed: 3,
      duplicate: 0,
    });
  });

  it("replays by id; unknown ids and ids outside the filters are skipped", async () => {
    const tenantId = "replay-ids";
    const [a, b, c] = [1, 2, 3].map((n) =>
      queued({ type: "order.paid", data: { n } }, { tenantId }),
    );
    await deadLetter([a, b, c] as QueuedEvent[]);
    const rule = queued({ type: "purchase", data: { amount: 0 } }, { tenantId });
    await processNow([rule]);

    const ids = [a?.event.id, c?.event.id, "no-such-id", rule.event.id, a?.event.id];
    const { status, body } = await replay({ ids, kind: "dead_letter" }, tenantId);
    expect(status).toBe(202);
    expect(body.ids.sort()).toEqual([a?.event.id, c?.event.id].sort());
    expect(body.skipped).toEqual([
      { id: "no-such-id", reason: "not_found" },
      { id: rule.event.id, reason: "not_matching" },
    ]);
    expect(await consume(await takeQueued(2))).toEqual({ batchItemFailures: [] });
    expect((await item(tenantId, a?.event.id as string))?.status).toBe("processed");
    expect((await item(tenantId, b?.event.id as string))?.status).toBe("failed");
    expect((await item(tenantId, c?.event.id as string))?.status).toBe("processed");
    expect((await item(tenantId, rule.event.id))?.status).toBe("failed");
  });

  it("a second replay changes nothing, and a replayed message delivered again is a duplicate", async () => {
    const tenantId = "replay-twice";
    const m = queued({ type: "order.paid", data: { n: 1 } }, { tenantId });
    await deadLetter([m]);
    expect((await replay({ ids: [m.event.id] }, tenantId)).body.replayed).toBe(1);
    const [message] = await takeQueued(1);
    await consume([message as Message]);
    const processed = await item(tenantId, m.event.id);
    expect(processed?.status).toBe("processed");

    const byId = await replay({ ids: [m.event.id] }, tenantId);
    expect(byId.status).toBe(202);
    expect(byId.body).toMatchObject({
      replayed: 0,
      ids: [],
      skipped: [{ id: m.event.id, reason: "not_failed" }],
    });
    const byFilter = await replay({ type: "order.paid" }, tenantId);
    expect(byFilter.body).toMatchObject({ replayed: 0, ids: [], skipped: [] });
    expect(await receiveNow(aws.sqs, queue.url, 1)).toEqual([]);

    // SQS delivers the replay message again: a duplicate, counted as one, nothing written.
    addMetric.mockClear();
    const again = await deliver(aws.sqs, queue, [{ body: message?.Body as string }]);
    expect(await processHandler(sqsEvent(again), lambdaContext("process"))).toEqual({
      batchItemFailures: [],
    });
    expect(metricTotal(addMetric, "EventsDuplicate")).toBe(1);
    expect(metricTotal(addMetric, "EventsProcessed")).toBe(0);
    expect(await item(tenantId, m.event.id)).toEqual(processed);
  });

  it("two replays in flight for one event yield one outcome: the newer one wins, the other is a duplicate", async () => {
    const tenantId = "replay-race";
    const m = queued({ type: "order.paid" }, { tenantId });
    await deadLetter([m]);
    const first = await replay({ ids: [m.event.id] }, tenantId);
    const second = await replay({ ids: [m.event.id] }, tenantId);
    expect([first.body.replayed, second.body.replayed]).toEqual([1, 1]);
    const messages = await takeQueued(2);
    const byRequest = (id: string) =>
      messages.find((x) => (JSON.parse(x.Body ?? "") as QueuedEvent).replay?.requestId === id);

    addMetric.mockClear();
    // The superseded replay arrives first: its token no longer matches.
    await consume([byRequest(first.body.requestId) as Message]);
    expect(metricTotal(addMetric, "EventsDuplicate")).toBe(1);
    expect((await item(tenantId, m.event.id))?.status).toBe("failed");
    await consume([byRequest(second.body.requestId) as Message]);
    const stored = await item(tenantId, m.event.id);
    expect(stored).toMatchObject({ status: "processed", attempts: MAX() + 1 });
    expect(actions(stored)).toEqual(["failed", "replayed", "replayed", "processed"]);
  });

  it("a dry run lists what would be replayed and changes nothing", async () => {
    const tenantId = "replay-dry";
    const dead = [1, 2].map((n) => queued({ type: "order.paid", data: { n } }, { tenantId }));
    await deadLetter(dead);
    const rule = queued({ type: "purchase", data: { amount: -1 } }, { tenantId });
    await processNow([rule]);
    const ids = [...dead, rule].map((m) => m.event.id);
    const before = await Promise.all(ids.map((id) => item(tenantId, id)));

    const { status, body } = await replay({ dryRun: true, kind: "dead_letter" }, tenantId);
    expect(status).toBe(200);
    expect(body.dryRun).toBe(true);
    expect(body.count).toBe(2);
    expect(body.events?.map((e) => e.id).sort()).toEqual(dead.map((m) => m.event.id).sort());
    expect(body.events?.[0]).toEqual({
      id: expect.any(String),
      type: "order.paid",
      kind: "dead_letter",
      reason: DEAD_REASON(),
      failedAt: expect.any(String),
      attempts: MAX(),
    });
    expect(await Promise.all(ids.map((id) => item(tenantId, id)))).toEqual(before);
    expect(await receiveNow(aws.sqs, queue.url, 1)).toEqual([]);
  });

  it.each([
    [{ since: "yesterday" }, "since"],
    [{ until: "2026-13-45T00:00:00Z" }, "until"],
    [{ since: "2026-01-02T00:00:00Z", until: "2026-01-01T00:00:00Z" }, "since"],
    [{ kind: "bogus" }, "kind"],
    [{ ids: ["ok-1", "bad id!"] }, "ids[1]"],
    [{ ids: [] }, "ids"],
    [{ ids: ["a"], cursor: "x" }, "cursor"],
    [{ limit: 0 }, "limit"],
    [{ limit: 1001 }, "limit"],
    [{ limit: 2.5 }, "limit"],
    [{ dryRun: "yes" }, "dryRun"],
    [{ type: "a b" }, "type"],
    [{ colour: "red" }, "colour"],
    ["not json", "(body)"],
    [[], "(body)"],
    ["", "(body)"],
  ])("answers 400 with field errors for %j, replaying nothing", async (request, path) => {
    const tenantId = "replay-bad";
    const m = queued({ type: "order.paid" }, { tenantId });
    await deadLetter([m]);
    const before = await item(tenantId, m.event.id);
    const { status, body } = await replay(request, tenantId);
    expect(status).toBe(400);
    expect(body.error?.code).toBe("validation_failed");
    expect(body.error?.details?.map((d) => d.path)).toContain(path);
    expect(await item(tenantId, m.event.id)).toEqual(before);
  });

  it("answers 400 for a cursor of another query and 405 for another method", async () => {
    const { status, body } = await replay({ cursor: "abc.def" }, "replay-bad");
    expect(status).toBe(400);
    expect(body.error?.code).toBe("invalid_cursor");
    const get = await replayHandler(
      apiEvent({ method: "GET", path: "/v1/failed/replay", resource: "/v1/failed/replay" }),
      apiContext(),
    );
    expect(get.statusCode).toBe(405);
  });

  it("walks a large selection in chunks with the cursor, never selecting an event twice", async () => {
    const tenantId = "replay-chunks";
    const events = Array.from({ length: 7 }, (_, n) =>
      queued({ type: "order.paid", data: { n } }, { tenantId }),
    );
    await deadLetter(events);
    const replayed: string[] = [];
    let cursor: string | undefined;
    let calls = 0;
    do {
      const { status, body } = await replay({ limit: 3, ...(cursor ? { cursor } : {}) }, tenantId);
      expect(status).toBe(202);
      replayed.push(...body.ids);
      // Processed between calls, as a fast consumer would.
      await consume(await takeQueued(body.replayed));
      cursor = body.nextCursor;
      calls++;
    } while (cursor && calls < 10);
    expect(calls).toBe(3);
    expect(replayed.sort()).toEqual(events.map((m) => m.event.id).sort());
  });

  it("a replayed event that fails again goes back to failed, attempts and history accumulated", async () => {
    const tenantId = "replay-again";
    // Dead-lettered (an outage), but it also breaks a business rule: replay cannot fix it.
    const m = queued({ type: "purchase", data: { amount: -1 } }, { tenantId });
    await deadLetter([m]);
    const first = await item(tenantId, m.event.id);

    expect((await replay({ ids: [m.event.id] }, tenantId)).body.replayed).toBe(1);
    addMetric.mockClear();
    expect(await consume(await takeQueued(1))).toEqual({ batchItemFailures: [] });
    expect(metricTotal(addMetric, "EventsFailed")).toBe(1);
    const ruled = await item(tenantId, m.event.id);
    expect(ruled).toMatchObject({
      status: "failed",
      attempts: MAX() + 1,
      failure: { kind: "business_rule", reason: "purchase: data.amount must be greater than 0" },
      gsi2pk: failedPartition(tenantId, shardOf(m.event.id, aws.settings.failedShards)),
      gsi2sk: `${ruled?.failedAt}#${m.event.id}`,
    });
    expect(ruled).not.toHaveProperty("replayToken");
    expect(String(ruled?.failedAt) >= String(first?.failedAt)).toBe(true);
    expect(actions(ruled)).toEqual(["failed", "replayed", "failed"]);
    expect(
      (await listFailed({ kind: "business_rule" }, tenantId)).body.items.map((i) => i.id),
    ).toEqual([m.event.id]);

    // Replayed again, and this time its message exhausts its receives: the DLQ records it.
    expect((await replay({ ids: [m.event.id] }, tenantId)).body.replayed).toBe(1);
    const [message] = await takeQueued(1);
    const inDlq = await deliver(aws.sqs, dlq, [{ body: message?.Body as string }]);
    addMetric.mockClear();
    expect(await dlqHandler(sqsEvent(inDlq), lambdaContext("dlq"))).toEqual({
      batchItemFailures: [],
    });
    expect(metricTotal(addMetric, "EventsDeadLettered")).toBe(1);
    const dead = await item(tenantId, m.event.id);
    expect(dead).toMatchObject({
      status: "failed",
      attempts: MAX() + 1 + MAX(),
      failure: { kind: "dead_letter", reason: DEAD_REASON() },
    });
    expect(actions(dead)).toEqual(["failed", "replayed", "failed", "replayed", "failed"]);

    // The DLQ delivers that message once more: a duplicate, nothing overwritten.
    const twice = await deliver(aws.sqs, dlq, [{ body: message?.Body as string }]);
    await dlqHandler(sqsEvent(twice), lambdaContext("dlq"));
    expect(await item(tenantId, m.event.id)).toEqual(dead);
  });

  it("replays a malformed event once it is a valid message; one that is not stays failed", async () => {
    const tenantId = "replay-malformed";
    const skewed = queued({ type: "thing", data: { a: 1 } }, { tenantId });
    const broken = queued({ type: "thing", data: { b: 2 } }, { tenantId });
    for (const body of [
      { ...skewed, v: 3 },
      { ...broken, v: 3, event: { ...broken.event, time: "last tuesday" } },
    ]) {
      expect(await processNow([{ body: JSON.stringify(body) }])).toEqual({ batchItemFailures: [] });
    }
    expect((await item(tenantId, broken.event.id))?.failure).toMatchObject({ kind: "malformed" });

    const { body } = await replay({ kind: "malformed" }, tenantId);
    expect(body.ids).toEqual([skewed.event.id]);
    expect(body.skipped).toEqual([
      { id: broken.event.id, reason: "not_replayable", detail: expect.stringContaining("time") },
    ]);
    await consume(await takeQueued(1));
    expect((await item(tenantId, skewed.event.id))?.status).toBe("processed");
    expect((await item(tenantId, broken.event.id))?.status).toBe("failed");
  });

  it("ids are tenant-scoped: another tenant's event is not found", async () => {
    const m = queued({ type: "order.paid" }, { tenantId: "replay-owner" });
    await deadLetter([m]);
    const { body } = await replay({ ids: [m.event.id] }, "replay-intruder");
    expect(body).toMatchObject({ replayed: 0, skipped: [{ id: m.event.id, reason: "not_found" }] });
    expect((await item("replay-owner", m.event.id))?.history).toHaveLength(1);
  });
});

describe("npm run replay (bin/replay.ts)", () => {
  interface Run {
    code: number;
    out: string[];
    err: string[];
    requests: { method: string; url: string; body?: Record<string, unknown> }[];
    sleeps: number[];
  }

  /** The CLI against the real handlers: fetch becomes an API Gateway event for the tenant. */
  async function cli(args: string[], tenantId: string, files: Record<string, string> = {}) {
    const { main } = await import("../../../../bin/replay.js");
    const run: Run = { code: -1, out: [], err: [], requests: [], sleeps: [] };
    let clock = Date.now();
    const fetchViaHandlers = async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      // API Gateway strips the stage from the path the function sees.
      url.pathname = url.pathname.replace(/^\/prod(?=\/)/, "");
      const method = init?.method ?? "GET";
      const body = typeof init?.body === "string" ? init.body : undefined;
      run.requests.push({
        method,
        url: String(input),
        ...(body ? { body: JSON.parse(body) } : {}),
      });
      const handler = url.pathname === "/v1/failed/replay" ? replayHandler : queryHandler;
      const result = await handler(
        apiEvent({
          method,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          ...(body ? { body } : {}),
          headers: (init?.headers ?? {}) as Record<string, string>,
          tenantId,
        }),
        apiContext(),
      );
      return new Response(result.body, { status: result.statusCode });
    };
    run.code = await main(args, {
      fetch: fetchViaHandlers as typeof fetch,
      out: (line) => run.out.push(line),
      err: (line) => run.err.push(line),
      env: {},
      now: () => new Date(clock),
      sleep: async (ms) => {
        run.sleeps.push(ms);
        clock += ms;
      },
      readFile: (path) => {
        const text = files[path];
        if (text === undefined) throw new Error("ENOENT");
        return text;
      },
    });
    return run;
  }

  it("--list shows the failed events as a table", async () => {
    const tenantId = "cli-list";
    const dead = [1, 2].map((n) => queued({ type: "order.paid", data: { n } }, { tenantId }));
    await deadLetter(dead);
    await processNow([queued({ type: "purchase", data: { amount: -3 } }, { tenantId })]);
    const run = await cli(["--list", "--kind", "dead_letter", "--since", "1h"], tenantId);
    expect(run.code).toBe(0);
    expect(run.out[0]).toMatch(/^FAILED AT\s+ID\s+TYPE\s+KIND\s+ATTEMPTS\s+REASON$/);
    expect(run.out).toHaveLength(4);
    for (const m of dead) {
      expect(run.out.some((l) => l.includes(m.event.id) && l.includes("dead_letter"))).toBe(true);
    }
    expect(run.out.at(-1)).toBe("2 failed events.");
    const url = new URL(run.requests[0]?.url as string);
    expect(url.pathname).toBe("/v1/failed");
    // --since 1h went out as an instant, named `from` on the list route.
    expect(url.searchParams.get("from")).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/);
  });

  it("--rate paces the replay in chunks and replays every selected event once", async () => {
    const tenantId = "cli-rate";
    const events = Array.from({ length: 5 }, (_, n) =>
      queued({ type: "order.paid", data: { n } }, { tenantId }),
    );
    await deadLetter(events);
    const run = await cli(
      ["--type", "order.paid", "--rate", "2", "--url", "http://x.test"],
      tenantId,
    );
    expect(run.err.filter((l) => l.startsWith("error"))).toEqual([]);
    expect(run.code).toBe(0);
    const posts = run.requests.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(3);
    expect(posts.every((p) => p.body?.limit === 2 && p.body?.type === "order.paid")).toBe(true);
    expect(posts.every((p) => p.url === "http://x.test/v1/failed/replay")).toBe(true);
    // 2 events/s: due at 1 s, 2 s and 2.5 s.
    expect(run.sleeps).toEqual([1000, 1000, 500]);
    expect(run.out[0]).toBe("Replayed 5 events in 3 calls (2.5 s).");
    // No consumer ran between the calls, and still nothing was selected twice.
    expect(await consume(await takeQueued(5))).toEqual({ batchItemFailures: [] });
    for (const m of events) expect((await item(tenantId, m.event.id))?.status).toBe("processed");
  });

  it("--dry-run lists what would be replayed and changes nothing", async () => {
    const tenantId = "cli-dry";
    const m = queued({ type: "order.paid" }, { tenantId });
    await deadLetter([m]);
    const before = await item(tenantId, m.event.id);
    const run = await cli(["--dry-run", "--ids", m.event.id], tenantId);
    expect(run.code).toBe(0);
    expect(run.out.some((l) => l.includes(m.event.id))).toBe(true);
    expect(run.out.at(-1)).toBe("Dry run: 1 event would be replayed; nothing was changed.");
    expect(await item(tenantId, m.event.id)).toEqual(before);
    expect(await receiveNow(aws.sqs, queue.url, 0)).toEqual([]);
  });

  it.each([
    [["--type", "order.paid", "--since", "yesterday"], "since: must be an RFC 3339"],
    [
      ["--since", "2026-01-02T00:00:00Z", "--until", "2026-01-01T00:00:00Z"],
      "since: must not be after until",
    ],
    [["--kind", "bogus"], "kind: must be one of business_rule, dead_letter, malformed"],
    [["--ids", "good-1,bad id"], "ids[1]: must be 1-128 characters"],
  ])("bad filters %j: the API's field errors are printed, exit code 2", async (args, detail) => {
    const run = await cli(args, "cli-bad");
    expect(run.code).toBe(2);
    expect(run.err[0]).toMatch(/^error: 400 validation_failed /);
    expect(run.err.some((l) => l.startsWith(`  ${detail}`))).toBe(true);
  });

  it("refuses to replay everything without --all, and reads the URL from stack outputs", async () => {
    const none = await cli([], "cli-usage");
    expect(none.code).toBe(2);
    expect(none.requests).toEqual([]);
    expect(none.err[0]).toMatch(/no selection/);

    const outputs = JSON.stringify({ EventFlow: { ApiUrl: "https://abc.execute-api.test/prod" } });
    const run = await cli(["--list", "--stack-outputs", "out.json"], "cli-usage", {
      "out.json": outputs,
    });
    expect(run.code).toBe(0);
    expect(run.requests[0]?.url).toMatch(/^https:\/\/abc\.execute-api\.test\/prod\/v1\/failed\?/);
    expect(run.out).toEqual(["No failed events match."]);
  });
});

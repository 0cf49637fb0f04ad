/**
 * The windows function against the embedded emulators: declarations are versioned, bad
 * input is a 4xx naming what is wrong (never a 5xx), results come from contributions the
 * process handler writes, and tenants never see each other's declarations.
 */
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiEvent, bodyOf, lambdaContext } from "../../../support/apigw.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";
import { deliver, queued, sqsEvent } from "./process-fixtures.js";

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

let aws: TestAws;
let windows: ApiHandler;
let processHandler: SqsHandler;

const call = (method: string, path: string, body?: unknown, tenantId = "default") =>
  windows(
    apiEvent({ method, path, ...(body === undefined ? {} : { body }), tenantId }),
    lambdaContext(),
  );

const AGG = {
  match: { type: ["purchase"] },
  groupBy: ["subject"],
  measures: [
    { name: "n", op: "count" },
    { name: "total", op: "sum", path: "data.amount" },
  ],
  window: { kind: "tumbling", size: "1h" },
};

beforeAll(async () => {
  aws = await startTestAws(["windows", "process"], { windowConfigCacheSeconds: 0 });
  windows = await aws.handler<ApiHandler>("windows");
  processHandler = await aws.handler<SqsHandler>("process");
}, 60_000);

afterAll(async () => {
  await aws?.stop();
});

describe("windows function", () => {
  it("versions declarations: 201, then 200 with version 2; lists the current one", async () => {
    expect((await call("PUT", "/v1/aggregations/sales", AGG)).statusCode).toBe(201);
    const again = await call("PUT", "/v1/aggregations/sales", {
      ...AGG,
      window: { kind: "tumbling", size: "1d" },
    });
    expect(again.statusCode).toBe(200);
    expect(bodyOf(again)).toMatchObject({ name: "sales", version: 2, window: { size: "1d" } });
    const list = bodyOf<{ items: { name: string; version: number }[] }>(
      await call("GET", "/v1/aggregations"),
    );
    expect(list.items.map((i) => [i.name, i.version])).toEqual([["sales", 2]]);
    const other = bodyOf<{ items: unknown[] }>(
      await call("GET", "/v1/aggregations", undefined, "someone-else"),
    );
    expect(other.items).toEqual([]);
  });

  it("answers 4xx naming what is wrong", async () => {
    const cases: [string, string, unknown, number, string][] = [
      ["PUT", "/v1/aggregations/bad%23name", AGG, 400, "name"],
      ["PUT", "/v1/aggregations/x", "not json", 400, "invalid_json"],
      ["PUT", "/v1/aggregations/x", { ...AGG, match: { type: [{ bogus: 1 }] } }, 400, "match.type"],
      [
        "PUT",
        "/v1/patterns/p",
        { kind: "threshold", within: "1m", steps: [{ match: {} }] },
        400,
        "count",
      ],
      ["GET", "/v1/aggregations/nope", undefined, 404, "not_found"],
      ["GET", "/v1/aggregations/sales?from=yesterday", undefined, 400, "from"],
      ["GET", "/v1/aggregations/sales?colour=red", undefined, 400, "colour"],
      ["GET", "/v1/aggregations/sales?group=%5B1%2C2%5D", undefined, 400, "group"],
      ["POST", "/v1/aggregations/sales/backfill", { from: "soon" }, 400, "from"],
      [
        "POST",
        "/v1/aggregations/sales/backfill",
        { from: "1h", cursor: "garbage" },
        400,
        "invalid_cursor",
      ],
      ["DELETE", "/v1/patterns/nope", undefined, 404, "not_found"],
    ];
    for (const [method, path, body, status, mentions] of cases) {
      const answer = await call(method, path, body);
      expect(answer.statusCode, `${method} ${path}`).toBe(status);
      expect(answer.body, `${method} ${path}`).toContain(mentions);
    }
  });

  it("counts what the process function stored, once per event, in the right window", async () => {
    const now = Date.now();
    const time = new Date(now).toISOString();
    const tenant = { tenantId: "default" };
    const msgs = [
      queued({ id: "w-1", type: "purchase", subject: "u1", time, data: { amount: 5 } }, tenant),
      queued({ id: "w-2", type: "purchase", subject: "u1", time, data: { amount: 7 } }, tenant),
      queued({ id: "w-3", type: "page_view", subject: "u1", time, data: { url: "/" } }, tenant),
    ];
    const queue = { url: aws.resources.queueUrl, arn: aws.resources.queueArn };
    // Delivered twice: the second delivery finds the events (and contributions) stored.
    for (let i = 0; i < 2; i++) {
      const records = await deliver(aws.sqs, queue, msgs);
      const answer = await processHandler(sqsEvent(records), lambdaContext());
      expect(answer.batchItemFailures).toEqual([]);
    }
    const results = bodyOf<{
      windows: {
        group: unknown;
        count: number;
        measures: Record<string, number>;
        closed: boolean;
      }[];
    }>(await call("GET", "/v1/aggregations/sales?group=u1"));
    expect(results.windows).toHaveLength(1);
    expect(results.windows[0]).toMatchObject({
      group: { subject: "u1" },
      count: 2,
      measures: { n: 2, total: 12 },
      closed: false,
    });

    // A client sending an event without `time` again: a new message, a later receivedAt.
    // Its event time is the stored copy's receipt, so it still counts once.
    const first = queued(
      { id: "w-4", type: "purchase", subject: "u2", data: { amount: 1 } },
      tenant,
    );
    const resent = { ...first, receivedAt: new Date(Date.now() + 3_600_000).toISOString() };
    for (const m of [first, resent]) {
      const answer = await processHandler(
        sqsEvent(await deliver(aws.sqs, queue, [m])),
        lambdaContext(),
      );
      expect(answer.batchItemFailures).toEqual([]);
    }
    const u2 = bodyOf<{ windows: { count: number }[] }>(
      await call(
        "GET",
        `/v1/aggregations/sales?group=u2&to=${encodeURIComponent(new Date(Date.now() + 7_200_000).toISOString())}`,
      ),
    );
    expect(u2.windows.map((w) => w.count)).toEqual([1]);

    const removed = await call("DELETE", "/v1/aggregations/sales");
    expect(bodyOf(removed)).toEqual({ name: "sales", removed: true });
    expect((await call("GET", "/v1/aggregations/sales")).statusCode).toBe(404);
  });
});

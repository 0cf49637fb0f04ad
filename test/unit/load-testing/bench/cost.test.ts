import { describe, expect, it } from "vitest";
import {
  costPerMillionEvents,
  type DesignUsage,
  gbSeconds,
  provisionedPerMillionWru,
  sqsBilledRequests,
  withEventsPerMessage,
  withEventsPerRequest,
  withoutWrites,
  withTableWriteUnits,
} from "../../../../load-testing/bench/cost-model.js";
import { PRICES } from "../../../../load-testing/prices.js";

const usage: DesignUsage = {
  events: 1000,
  apiRequests: 40,
  functions: {
    ingest: { invocations: 40, billedMs: 400, memoryMb: 512 },
    process: { invocations: 100, billedMs: 2000, memoryMb: 1024 },
  },
  sqs: { "SendMessageBatch (ingest)": { requests: 100, billedRequests: 120 } },
  wru: { table: 2000, byType: 1000, stats: 300 },
  rru: 0,
  logBytes: { "ingest output": 1000 },
  traceRoots: 140,
  storedBytes: 2_000_000,
};

describe("cost model", () => {
  it("bills SQS per started 64 KiB chunk, at least one request", () => {
    expect(sqsBilledRequests(0)).toBe(1);
    expect(sqsBilledRequests(65_536)).toBe(1);
    expect(sqsBilledRequests(65_537)).toBe(2);
    expect(sqsBilledRequests(256 * 1024)).toBe(4);
  });

  it("turns billed milliseconds and memory into GB-seconds", () => {
    expect(gbSeconds(1000, 1024)).toBe(1);
    expect(gbSeconds(400, 512)).toBeCloseTo(0.2, 12);
  });

  it("prices each usage per million events", () => {
    const cost = costPerMillionEvents(usage);
    const line = (item: string) => cost.lines.find((l) => l.item === item)?.usdPerMillionEvents;
    expect(line("REST requests")).toBeCloseTo(0.04 * 3.5, 12);
    expect(line("invocations")).toBeCloseTo(0.14 * 0.2, 12);
    // 0.2 GB-s per 1000 events = 0.0002 GB-s per event.
    expect(line("ingest compute (512 MB arm64)")).toBeCloseTo(0.0002 * 1e6 * 0.0000133334, 12);
    expect(line("process compute (1024 MB arm64)")).toBeCloseTo(0.002 * 1e6 * 0.0000133334, 12);
    expect(line("SendMessageBatch (ingest)")).toBeCloseTo(0.12 * 0.4, 12);
    expect(line("writes: table")).toBeCloseTo(2 * 0.625, 12);
    expect(line("writes: byType")).toBeCloseTo(0.625, 12);
    expect(line("writes: stats")).toBeCloseTo(0.3 * 0.625, 12);
    expect(line("ingest output")).toBeCloseTo((1e6 / 1024 ** 3) * 0.5, 12);
    expect(line("traces (5% sampled)")).toBeCloseTo(0.14 * 0.05 * 5, 12);
    expect(cost.lines.some((l) => l.item === "reads")).toBe(false);
    const sum = cost.lines.reduce((s, l) => s + l.usdPerMillionEvents, 0);
    expect(cost.totalPerMillionEvents).toBeCloseTo(sum, 12);
    expect(cost.byService.DynamoDB).toBeCloseTo(1.25 + 0.625 + 0.1875, 12);
    expect(cost.storagePerMillionEventsPerMonth).toBeCloseTo(
      ((2000 * 1e6) / 1024 ** 3) * (0.25 + 0.2),
      12,
    );
  });

  it("takes its prices as a parameter", () => {
    const doubled = costPerMillionEvents(usage, {
      ...PRICES,
      apiGatewayRestPerMillionRequests: 7,
    });
    const base = costPerMillionEvents(usage);
    expect(doubled.totalPerMillionEvents - base.totalPerMillionEvents).toBeCloseTo(0.14, 12);
  });

  it("refuses usage without events", () => {
    expect(() => costPerMillionEvents({ ...usage, events: 0 })).toThrow(RangeError);
  });

  it("drops write targets and caps the table write", () => {
    expect(withoutWrites(usage, ["byType"]).wru).toEqual({ table: 2000, stats: 300 });
    expect(withTableWriteUnits(usage, 1).wru.table).toBe(1000);
  });

  it("scales API requests, ingest invocations and traces with events per request", () => {
    const u = withEventsPerRequest(usage, 100);
    expect(u.apiRequests).toBe(10);
    expect(u.functions.ingest?.invocations).toBe(10);
    expect(u.functions.ingest?.billedMs).toBe(400);
    expect(u.traceRoots).toBe(110);
  });

  it("bills packed SQS messages by 64 KiB chunks", () => {
    // 40 messages of 27,500 B; 9 fit in one 256 KiB batch.
    const u = withEventsPerMessage(usage, 25, 1100);
    expect(u.sqs["SendMessageBatch (ingest)"]).toEqual({ requests: 5, billedRequests: 20 });
    expect(u.sqs["ReceiveMessage (event source mapping)"]).toEqual({
      requests: 4,
      billedRequests: 20,
    });
    expect(u.sqs["DeleteMessageBatch (event source mapping)"]).toEqual({
      requests: 4,
      billedRequests: 4,
    });
    expect(u.functions.process?.invocations).toBe(4);
    expect(u.wru.stats).toBeCloseTo(12, 12);
    expect(() => withEventsPerMessage(usage, 300, 1100)).toThrow(RangeError);
  });

  it("prices provisioned capacity by its utilization", () => {
    expect(provisionedPerMillionWru(1)).toBeCloseTo((0.00065 / 3600) * 1e6, 12);
    expect(provisionedPerMillionWru(0.7)).toBeCloseTo(0.2579365, 6);
    expect(() => provisionedPerMillionWru(0)).toThrow(RangeError);
  });
});

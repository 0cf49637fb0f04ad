/**
 * The ingest use case with an in-memory queue (metrics it records, ids it assigns), and
 * the UUIDv7 generator.
 */
import { describe, expect, it } from "vitest";
import type { QueuedEvent } from "../../lambdas/domain/event.js";
import { UUID_V7_PATTERN, uuidv7 } from "../../lambdas/domain/ids.js";
import { decodeIngestRequest } from "../../lambdas/http/ingest-request.js";
import type { EnqueueResult, EventQueue } from "../../lambdas/ports/event-store.js";
import { ingestEvents, type MetricName } from "../../lambdas/use-cases/ingest-events.js";

/** Queues everything except the events whose id is listed in `fail`. */
function memoryQueue(fail: string[] = []) {
  const sent: QueuedEvent[] = [];
  const queue: EventQueue = {
    enqueue: async (messages): Promise<EnqueueResult> => {
      const result: EnqueueResult = { queued: [], failed: [] };
      messages.forEach((m, i) => {
        if (fail.includes(m.event.id)) result.failed.push({ index: i, reason: "down" });
        else {
          sent.push(m);
          result.queued.push(i);
        }
      });
      return result;
    },
    ping: async () => {},
  };
  return { queue, sent };
}

/** The use case takes the request as the HTTP layer decodes it. */
const request = (body: string, contentType = "application/json") => ({
  input: decodeIngestRequest({ contentType, body }),
  tenantId: "default",
  correlationId: "c",
  receivedAt: "2026-11-22T00:00:00.000Z",
});

async function metricsOf(body: string, fail: string[] = [], contentType?: string) {
  const counts: Partial<Record<MetricName, number>> = {};
  const { queue } = memoryQueue(fail);
  await ingestEvents(request(body, contentType), {
    queue,
    count: (name, value) => {
      counts[name] = (counts[name] ?? 0) + value;
    },
  });
  return counts;
}

describe("ingest metrics", () => {
  it("counts received, rejected, queued and failed events of a batch", async () => {
    const events = [
      { id: "a", type: "t", data: {} },
      { id: "b", type: "t", data: {} },
      { id: "c", type: "bad type", data: {} },
      { id: "d", type: "t", data: {} },
    ];
    expect(await metricsOf(JSON.stringify({ events }), ["b"])).toEqual({
      EventsReceived: 4,
      EventsRejected: 1,
      EventsQueued: 2,
      EnqueueFailed: 1,
    });
  });

  it("counts a refused request as one received, one rejected", async () => {
    expect(await metricsOf("{oops")).toEqual({
      EventsReceived: 1,
      EventsRejected: 1,
      EventsQueued: 0,
      EnqueueFailed: 0,
    });
    expect(await metricsOf("{}", [], "text/plain")).toMatchObject({ EventsRejected: 1 });
  });
});

describe("ids", () => {
  it("assigns a UUIDv7 only to events without an id", async () => {
    const { queue, sent } = memoryQueue();
    const body = JSON.stringify({
      events: [
        { type: "t", data: {} },
        { id: "mine", type: "t", data: {} },
      ],
    });
    await ingestEvents(request(body), { queue, newId: () => "generated" });
    expect(sent.map((m) => m.event.id)).toEqual(["generated", "mine"]);
  });

  it("makes RFC 9562 version 7 ids carrying the time, in creation order", () => {
    const now = Date.UTC(2026, 10, 22, 1, 2, 3, 456);
    const id = uuidv7(now);
    expect(id).toMatch(UUID_V7_PATTERN);
    expect(Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(now);
    const many = Array.from({ length: 10_000 }, () => uuidv7(now + 1));
    expect(new Set(many).size).toBe(many.length);
    expect([...many].sort()).toEqual(many);
    expect(many.every((u) => UUID_V7_PATTERN.test(u))).toBe(true);
  });
});

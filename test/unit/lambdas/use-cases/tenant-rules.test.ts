/**
 * Rules in processing, through the ports: the version each event records, the cache bound,
 * deliveries handed over only after the conditional write (never for a duplicate, again
 * for a redelivery), and the rule store on the configuration table (dynalite).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbRuleStore } from "../../../../lambdas/adapters/dynamodb-rule-store.js";
import { type DeliveryRequest, deliveryId } from "../../../../lambdas/domain/delivery.js";
import type { QueuedEvent, StoredEvent } from "../../../../lambdas/domain/event.js";
import type { Rule, Ruleset } from "../../../../lambdas/domain/rules.js";
import type {
  DeliveryEnqueueResult,
  DeliveryQueue,
} from "../../../../lambdas/ports/delivery-queue.js";
import type { EventWriter, PutOutcome } from "../../../../lambdas/ports/event-store.js";
import type { RuleStore } from "../../../../lambdas/ports/rule-store.js";
import { DeliveryEnqueueError, processEvent } from "../../../../lambdas/use-cases/process-event.js";
import {
  CachedRules,
  currentRuleset,
  putRules,
  resetRules,
  runRulesTest,
} from "../../../../lambdas/use-cases/tenant-rules.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";

const DST = "dst_aaaaaaaaaaaaaaaaaaaaaaaaaa";

class MemoryRules implements RuleStore {
  versions = new Map<string, Ruleset[]>();
  reads = 0;
  async current(tenantId: string) {
    this.reads++;
    return this.versions.get(tenantId)?.at(-1);
  }
  async save(tenantId: string, ruleset: Ruleset) {
    const list = this.versions.get(tenantId) ?? [];
    if (list.some((r) => r.version === ruleset.version)) return false;
    this.versions.set(tenantId, [...list, ruleset]);
    return true;
  }
}

class MemoryWriter implements EventWriter {
  items = new Map<string, StoredEvent>();
  async putIfAbsent(event: StoredEvent): Promise<PutOutcome> {
    const existing = this.items.get(event.id);
    if (existing) return { kind: "duplicate", same: true, existingStatus: existing.status };
    this.items.set(event.id, event);
    return { kind: "written" };
  }
  replaceFailed = this.putIfAbsent;
  async addStats() {}
}

class RecordingQueue implements DeliveryQueue {
  sent: DeliveryRequest[][] = [];
  fail = false;
  async enqueue(deliveries: readonly DeliveryRequest[]): Promise<DeliveryEnqueueResult[]> {
    this.sent.push([...deliveries]);
    return deliveries.map((d) =>
      this.fail
        ? { id: deliveryId(d.tenantId, d.event.id, d.destinationId), ok: false, reason: "down" }
        : { id: deliveryId(d.tenantId, d.event.id, d.destinationId), ok: true },
    );
  }
}

const message = (id: string, data: Record<string, unknown> = { amount: 5 }): QueuedEvent => ({
  v: 1,
  tenantId: "acme",
  receivedAt: "2026-12-06T10:00:00.000Z",
  correlationId: `c-${id}`,
  event: { id, type: "order", data },
});

const routeAll: Rule = {
  name: "orders-out",
  match: { type: ["order"] },
  actions: [
    { type: "route", destinations: [DST], transform: "{ 'id': id, 'amount': data.amount }" },
  ],
};

const meta = { now: new Date("2026-12-06T10:00:00Z"), keyId: "efk_test" };

describe("rules in processing", () => {
  it("records the version that applied; a change shows after the cache bound, not before", async () => {
    const store = new MemoryRules();
    let clock = 0;
    const rules = new CachedRules(store, 5_000, () => clock);
    const writer = new MemoryWriter();
    const deps = { writer, now: () => new Date(), rules };

    await processEvent(message("a1"), 1, deps);
    expect(writer.items.get("a1")).toMatchObject({ rulesetVersion: 0 });

    const saved = await putRules(store, "acme", { rules: [routeAll] }, meta);
    expect(saved).toMatchObject({ kind: "saved", ruleset: { version: 1, source: "tenant" } });
    clock = 4_999;
    await processEvent(message("a2"), 1, deps);
    expect(writer.items.get("a2")?.rulesetVersion).toBe(0);
    clock = 5_000;
    await processEvent(message("a3"), 1, deps);
    expect(writer.items.get("a3")).toMatchObject({
      rulesetVersion: 1,
      routes: [
        { rule: "orders-out", destinationId: DST, deliveryId: deliveryId("acme", "a3", DST) },
      ],
    });
    // The old events keep theirs.
    expect(writer.items.get("a1")?.rulesetVersion).toBe(0);
    // One read per bound, however many events (the third is putRules' own).
    expect(store.reads).toBe(3);
  });

  it("hands deliveries over after the write; never for a duplicate; again for a redelivery", async () => {
    const store = new MemoryRules();
    await putRules(store, "acme", { rules: [routeAll] }, meta);
    const writer = new MemoryWriter();
    const deliveries = new RecordingQueue();
    const deps = { writer, now: () => new Date(), rules: new CachedRules(store, 0), deliveries };

    await processEvent(message("b1", { amount: 7 }), 1, deps);
    expect(deliveries.sent).toHaveLength(1);
    expect(deliveries.sent[0]).toEqual([
      expect.objectContaining({
        tenantId: "acme",
        destinationId: DST,
        payload: { id: "b1", amount: 7 },
        correlationId: "c-b1",
        origin: { kind: "rule", name: "orders-out" },
        event: expect.objectContaining({ id: "b1", type: "order", data: { amount: 7 } }),
      }),
    ]);
    // The same id sent again by the client (a first receive): a duplicate, no delivery.
    const dup = await processEvent(message("b1", { amount: 7 }), 1, deps);
    expect(dup.kind).toBe("duplicate");
    expect(deliveries.sent).toHaveLength(1);
    // The enqueue fails after the write: the message is retried (transient)...
    deliveries.fail = true;
    await expect(processEvent(message("b2"), 1, deps)).rejects.toBeInstanceOf(DeliveryEnqueueError);
    expect(writer.items.get("b2")?.status).toBe("processed");
    // ...and its redelivery finds its own record and enqueues again, same delivery ids.
    deliveries.fail = false;
    const again = await processEvent(message("b2"), 2, deps);
    expect(again.kind).toBe("duplicate");
    const ids = deliveries.sent
      .slice(-2)
      .map((batch) => batch.map((d) => deliveryId(d.tenantId, d.event.id, d.destinationId)));
    expect(ids[0]).toEqual(ids[1]);
  });

  it("a reject stores the event failed with the rule's message and delivers nothing", async () => {
    const store = new MemoryRules();
    const reject: Rule = {
      name: "no-small",
      match: { data: { amount: [{ numeric: ["<", 10] }] } },
      actions: [{ type: "reject", message: "orders under 10 are refused" }],
    };
    await putRules(store, "acme", { rules: [reject, routeAll] }, meta);
    const writer = new MemoryWriter();
    const deliveries = new RecordingQueue();
    const outcome = await processEvent(message("c1", { amount: 3 }), 1, {
      writer,
      now: () => new Date(),
      rules: new CachedRules(store, 0),
      deliveries,
    });
    expect(outcome.kind).toBe("failed");
    expect(writer.items.get("c1")).toMatchObject({
      status: "failed",
      failure: { kind: "business_rule", reason: "orders under 10 are refused" },
      rulesetVersion: 1,
    });
    expect(writer.items.get("c1")?.routes).toBeUndefined();
    expect(deliveries.sent).toEqual([]);
  });

  it("versions only grow: reset is a new version; a stale expectedVersion is a conflict", async () => {
    const store = new MemoryRules();
    expect(await currentRuleset(store, "acme")).toMatchObject({ version: 0, source: "default" });
    await putRules(store, "acme", { rules: [] }, meta);
    const reset = await resetRules(store, "acme", meta);
    expect(reset).toMatchObject({ kind: "saved", ruleset: { version: 2, source: "default" } });
    const stale = await putRules(store, "acme", { rules: [], expectedVersion: 1 }, meta);
    expect(stale).toMatchObject({ kind: "conflict", current: { version: 2 } });
  });

  it("a dry run on stored events reports matches and bodies, and stores nothing", async () => {
    const store = new MemoryRules();
    await putRules(store, "acme", { rules: [routeAll] }, meta);
    const stored = {
      ...message("d1"),
      ...message("d1").event,
      receivedAt: "2026-12-06T10:00:00.000Z",
    };
    const reader = {
      list: async () => ({
        items: [
          {
            ...stored,
            tenantId: "acme",
            status: "processed",
            correlationId: "c",
            attempts: 1,
          } as StoredEvent,
        ],
      }),
    };
    const r = await runRulesTest(
      "acme",
      { type: "order" },
      { store, reader, now: () => new Date() },
    );
    expect(r).toEqual({
      kind: "ok",
      report: {
        rulesetVersion: 1,
        results: [
          {
            event: { id: "d1", type: "order" },
            matched: ["orders-out"],
            outcome: "processed",
            enrichment: {},
            deliveries: [
              {
                rule: "orders-out",
                destinationId: DST,
                deliveryId: deliveryId("acme", "d1", DST),
                body: { id: "d1", amount: 5 },
              },
            ],
            errors: [],
          },
        ],
      },
    });
    expect(store.versions.get("acme")).toHaveLength(1);
  });
});

describe("DynamoDbRuleStore (configuration table on dynalite)", () => {
  let aws: TestAws;
  let store: DynamoDbRuleStore;

  beforeAll(async () => {
    aws = await startTestAws([]);
    store = new DynamoDbRuleStore(aws.documentClient, {
      tableName: aws.resources.configTableName,
      consistentRead: true,
    });
  });
  afterAll(async () => {
    await aws?.stop();
  });

  it("keeps every version, reads the newest, refuses a taken version, isolates tenants", async () => {
    expect(await store.current("t1")).toBeUndefined();
    const v1: Ruleset = {
      version: 1,
      source: "tenant",
      rules: [routeAll],
      updatedAt: "2026-12-06T10:00:00.000Z",
      updatedBy: "efk_a",
    };
    expect(await store.save("t1", v1)).toBe(true);
    expect(await store.save("t1", { ...v1, rules: [] })).toBe(false);
    const withNulls: Rule = {
      name: "n",
      match: { a: [null, "", -0.5, { exists: false }] },
      actions: [{ type: "reject", message: "x" }],
    };
    expect(await store.save("t1", { version: 2, source: "tenant", rules: [withNulls] })).toBe(true);
    expect(await store.current("t1")).toEqual({ version: 2, source: "tenant", rules: [withNulls] });
    expect(await store.current("t2")).toBeUndefined();
    // Version 10 sorts after 9 (zero-padded keys).
    for (let v = 3; v <= 10; v++)
      await store.save("t1", { version: v, source: "tenant", rules: [] });
    expect((await store.current("t1"))?.version).toBe(10);
  });
});

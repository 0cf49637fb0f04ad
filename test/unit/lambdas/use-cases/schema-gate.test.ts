/**
 * Enforcement verdicts and the registry cache (lambdas/use-cases/schema-gate.ts), over an
 * in-memory SchemaStore and a clock the test moves: a new version is enforced once the
 * cached entry is older than maxAge and never before; lookups are one per type per request;
 * a failed read serves the entry it would replace; pinned versions; tenant policy.
 */
import { describe, expect, it } from "vitest";
import type { AcceptedEvent } from "../../../../lambdas/domain/event.js";
import {
  fingerprintOf,
  type SchemaDocument,
  type SchemaSubject,
  type SchemaVersion,
  type TenantSchemaSettings,
} from "../../../../lambdas/domain/schemas.js";
import type { SchemaStore, SubjectWithLatest } from "../../../../lambdas/ports/schema-store.js";
import { SchemaGate, SchemaLookupError } from "../../../../lambdas/use-cases/schema-gate.js";

class MemoryStore implements SchemaStore {
  versions = new Map<string, SchemaVersion[]>();
  subjects = new Map<string, SchemaSubject>();
  settings = new Map<string, TenantSchemaSettings>();
  reads = 0;
  failing = false;

  register(
    type: string,
    data: SchemaDocument["data"],
    enforcement: SchemaSubject["enforcement"] = "enforce",
  ) {
    const list = this.versions.get(type) ?? [];
    const schema = { data };
    const version = {
      type,
      version: list.length + 1,
      schema,
      fingerprint: fingerprintOf(schema),
      registeredAt: "t",
    };
    list.push(version);
    this.versions.set(type, list);
    this.subjects.set(type, {
      type,
      latestVersion: version.version,
      compatibility: "NONE",
      enforcement,
      createdAt: "t",
      updatedAt: "t",
    });
  }
  async getSubject(_t: string, type: string): Promise<SubjectWithLatest | undefined> {
    this.reads++;
    if (this.failing) throw new Error("DynamoDB is down");
    const subject = this.subjects.get(type);
    const latest = this.versions.get(type)?.at(-1);
    return subject && latest ? { subject, latest } : undefined;
  }
  async listSubjects() {
    return [];
  }
  async getVersion(_t: string, type: string, version: number) {
    return this.versions.get(type)?.find((v) => v.version === version);
  }
  async listVersions(_t: string, type: string) {
    return this.versions.get(type) ?? [];
  }
  async putVersion() {
    return "written" as const;
  }
  async putSubject() {}
  async getTenantSettings(tenantId: string) {
    if (this.failing) throw new Error("DynamoDB is down");
    return this.settings.get(tenantId);
  }
  async putTenantSettings(tenantId: string, s: TenantSchemaSettings) {
    this.settings.set(tenantId, s);
  }
}

const amountSchema = (minimum: number) => ({
  type: "object",
  required: ["amount"],
  properties: { amount: { type: "number", minimum } },
});

const event = (
  type: string,
  data: Record<string, unknown>,
  dataschema?: string,
): Omit<AcceptedEvent, "id"> => ({
  type,
  data,
  ...(dataschema
    ? { cloudEvent: { specversion: "1.0", id: "x", dataschema, dataEncoding: "object" } }
    : {}),
});

function setup(maxAgeMs = 10_000) {
  const store = new MemoryStore();
  let clock = 0;
  const gate = new SchemaGate(store, { maxAgeMs, now: () => clock });
  const check = (...events: Omit<AcceptedEvent, "id">[]) =>
    gate.check(
      "t1",
      events.map((e, i) => ({ event: e, prefix: events.length > 1 ? `events[${i}]` : "" })),
    );
  return { store, gate, check, tick: (ms: number) => (clock += ms) };
}

describe("verdicts", () => {
  it("enforce: rejects with per-field errors; a valid event is stamped with its version", async () => {
    const { store, check } = setup();
    store.register("purchase", amountSchema(1));
    const [ok, bad] = await check(
      event("purchase", { amount: 5 }),
      event("purchase", { amount: 0 }),
    );
    expect(ok).toEqual({ kind: "pass", version: 1 });
    expect(bad).toEqual({
      kind: "reject",
      errors: [
        {
          path: "events[1].data.amount",
          pointer: "/data/amount",
          keyword: "minimum",
          message: "must be >= 1",
        },
      ],
    });
  });

  it("quarantine: accepted with its violations; off: not checked", async () => {
    const { store, check } = setup();
    store.register("q", amountSchema(1), "quarantine");
    store.register("o", amountSchema(1), "off");
    const [q, o] = await check(event("q", {}), event("o", {}));
    expect(q).toMatchObject({
      kind: "quarantine",
      version: 1,
      violations: [{ pointer: "/data/amount", keyword: "required" }],
    });
    expect(o).toEqual({ kind: "pass" });
  });

  it("unregistered types follow the tenant's policy (allow by default)", async () => {
    const { store, check, tick } = setup();
    expect(await check(event("free", {}))).toEqual([{ kind: "pass" }]);
    await store.putTenantSettings("t1", { unregistered: "reject" });
    tick(10_000);
    const [verdict] = await check(event("free", {}));
    expect(verdict).toMatchObject({ kind: "reject", errors: [{ path: "type" }] });
  });

  it("a CloudEvent's dataschema pins a version; an unknown version or another type is refused", async () => {
    const { store, check } = setup();
    store.register("p", amountSchema(10));
    store.register("p", amountSchema(100));
    const [pinned, latest, missing, other] = await check(
      event("p", { amount: 50 }, "https://api.example.com/v1/schemas/p/versions/1"),
      event("p", { amount: 50 }),
      event("p", { amount: 50 }, "eventflow:/schemas/p/versions/9"),
      event("p", { amount: 50 }, "eventflow:/schemas/q/versions/1"),
    );
    expect(pinned).toEqual({ kind: "pass", version: 1 });
    expect(latest).toMatchObject({ kind: "reject" });
    expect(missing).toMatchObject({ kind: "reject", errors: [{ path: "events[2].dataschema" }] });
    expect(other).toMatchObject({ kind: "reject", errors: [{ path: "events[3].dataschema" }] });
    // Any other dataschema is the producer's business and pins nothing.
    expect(await check(event("p", { amount: 500 }, "https://example.com/my-schema.json"))).toEqual([
      { kind: "pass", version: 2 },
    ]);
  });
});

describe("the cache: bounded staleness", () => {
  it("one read per type per request, however many events", async () => {
    const { store, check } = setup();
    store.register("p", amountSchema(1));
    await check(...Array.from({ length: 50 }, () => event("p", { amount: 1 })));
    expect(store.reads).toBe(1);
  });

  it("a new version is enforced once the cached entry is maxAge old, not before", async () => {
    const { store, check, tick } = setup(10_000);
    store.register("p", amountSchema(1));
    expect(await check(event("p", { amount: 5 }))).toEqual([{ kind: "pass", version: 1 }]);
    store.register("p", amountSchema(10));
    tick(9_999);
    expect(await check(event("p", { amount: 5 }))).toEqual([{ kind: "pass", version: 1 }]);
    tick(1);
    expect(await check(event("p", { amount: 5 }))).toMatchObject([{ kind: "reject" }]);
    expect(store.reads).toBe(2);
  });

  it("types without a schema are cached too (no read per event of an unregistered type)", async () => {
    const { store, check } = setup();
    await check(event("none", {}));
    await check(event("none", {}));
    expect(store.reads).toBe(1);
  });

  it("a failed read serves the expired entry; with none it is a SchemaLookupError", async () => {
    const { store, check, tick } = setup(1_000);
    store.register("p", amountSchema(1));
    await check(event("p", { amount: 5 }));
    store.failing = true;
    tick(5_000);
    expect(await check(event("p", { amount: 0 }))).toMatchObject([{ kind: "reject" }]);
    await expect(check(event("other", {}))).rejects.toBeInstanceOf(SchemaLookupError);
  });

  it("failOpen (ingest): with nothing cached, an unreadable registry lets events pass unchecked, reported", async () => {
    const store = new MemoryStore();
    const reported: unknown[] = [];
    const gate = new SchemaGate(store, { maxAgeMs: 1_000, failOpen: (e) => reported.push(e) });
    store.failing = true;
    expect(await gate.check("t1", [{ event: event("p", { amount: 0 }), prefix: "" }])).toEqual([
      { kind: "pass" },
    ]);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(SchemaLookupError);
  });

  it("maxAge 0 reads the registry on every request", async () => {
    const { store, check } = setup(0);
    store.register("p", amountSchema(1));
    await check(event("p", { amount: 5 }));
    await check(event("p", { amount: 5 }));
    expect(store.reads).toBe(2);
  });
});

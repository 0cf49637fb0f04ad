/**
 * Section 5: what the schema registry costs ingest, and how long a new version takes to be
 * enforced (issue 16).
 *
 * a. CPU per event: the ingest use case in-process (decode, checks, the schema gate, a queue
 *    stub that accepts everything), batches of 100 events of one type with 20 properties of
 *    data, once with no schema registered (the gate's cached "none": the tenant allows
 *    unregistered types) and once with a registered 20-property schema in `enforce` (every
 *    event valid, so every event is fully validated). The registry is in memory: the timed
 *    loop runs on cache hits, as a warm ingest instance does; SQS's own CPU is left out, so
 *    the ratio is the worst case for a whole invocation.
 * b. Registration to enforcement: the real DynamoDB adapter on the embedded emulator, the
 *    gate with the default schemaCacheSeconds; version 2 (which refuses an event version 1
 *    accepted) is registered at a random moment of the cache's cycle and the same event is
 *    checked every 25 ms until it is refused.
 */
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDbSchemaStore } from "../../lambdas/adapters/dynamodb-schema-store.js";
import {
  fingerprintOf,
  type SchemaSubject,
  type SchemaVersion,
} from "../../lambdas/domain/schemas.js";
import { decodeIngestRequest } from "../../lambdas/http/ingest-request.js";
import type { EventQueue } from "../../lambdas/ports/event-store.js";
import type { SchemaStore, SubjectWithLatest } from "../../lambdas/ports/schema-store.js";
import { ingestEvents } from "../../lambdas/use-cases/ingest-events.js";
import { registerSchema } from "../../lambdas/use-cases/manage-schemas.js";
import { SchemaGate } from "../../lambdas/use-cases/schema-gate.js";
import { resolveSettings } from "../../lib/config.js";
import { benchAws } from "./bench-aws.js";
import type { Method } from "./handlers.js";
import { median } from "./stats.js";

export interface SchemasOptions {
  /** Seconds of timed ingest per mode and round. */
  seconds: number;
  rounds: number;
  /** Registration-to-enforcement trials. */
  trials: number;
}

export interface SchemasResult {
  cpu: {
    mode: "no schema" | "enforce, 20 properties";
    cpuUsPerEvent: number;
    rounds: number[];
    events: number;
  }[];
  /** enforce / no schema, CPU per event. */
  overhead: number;
  enforcement: {
    cacheSeconds: number;
    /** ms from the registration's answer to the first refused event, per trial. */
    trialsMs: number[];
    medianMs: number;
    maxMs: number;
  };
}

export function schemasMethod(o: SchemasOptions): Method {
  return {
    summary: `(a) ingest use case in-process, batches of 100 events with 20 data properties, ${o.rounds} rounds of ${o.seconds} s per mode after a warm-up, process CPU time (user+system) per event; (b) registration to enforcement on the DynamoDB emulator with schemaCacheSeconds ${resolveSettings().schemaCacheSeconds}, ${o.trials} trials at random points of the cache cycle`,
    detail: [
      "(a) The registry is in memory and the gate's caches are warm, as in a warm ingest instance; the queue is a stub, so SQS client CPU (a large share of a real invocation) is not in either figure: the ratio is an upper bound.",
      "(b) On AWS the bound is the same by design: each warm ingest instance reads a type again schemaCacheSeconds after it last did (one GetItem, a few ms); a new instance reads at its first event of the type.",
    ],
  };
}

const PROPERTIES = 20;

function twentyPropertySchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < PROPERTIES; i++) {
    properties[`p${i}`] =
      i % 4 === 0
        ? { type: "string", maxLength: 64 }
        : i % 4 === 1
          ? { type: "number", minimum: 0 }
          : i % 4 === 2
            ? { type: "string", enum: ["a", "b", "c", "d"] }
            : { type: "boolean" };
  }
  return {
    type: "object",
    required: Object.keys(properties),
    properties,
    additionalProperties: false,
  };
}

function data(n: number): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  for (let i = 0; i < PROPERTIES; i++) {
    d[`p${i}`] =
      i % 4 === 0
        ? `value-${n}-${i}`
        : i % 4 === 1
          ? n + i
          : i % 4 === 2
            ? "abcd"[n % 4]
            : n % 2 === 0;
  }
  return d;
}

/** A fixed registry in memory: `registered` types have the 20-property schema. */
function memoryStore(registered: readonly string[]): SchemaStore {
  const doc = { data: twentyPropertySchema() };
  const entries = new Map<string, SubjectWithLatest>();
  for (const type of registered) {
    const latest: SchemaVersion = {
      type,
      version: 1,
      schema: doc,
      fingerprint: fingerprintOf(doc),
      registeredAt: "2026-01-01T00:00:00Z",
    };
    const subject: SchemaSubject = {
      type,
      latestVersion: 1,
      compatibility: "BACKWARD",
      enforcement: "enforce",
      createdAt: latest.registeredAt,
      updatedAt: latest.registeredAt,
    };
    entries.set(type, { subject, latest });
  }
  return {
    getSubject: async (_t, type) => entries.get(type),
    listSubjects: async () => [...entries.values()],
    getVersion: async (_t, type) => entries.get(type)?.latest,
    listVersions: async (_t, type) => {
      const e = entries.get(type);
      return e ? [e.latest] : [];
    },
    putVersion: async () => "written",
    putSubject: async () => {},
    getTenantSettings: async () => undefined,
    putTenantSettings: async () => {},
  };
}

const acceptAll: EventQueue = {
  enqueue: async (messages) => ({ queued: messages.map((_, i) => i), failed: [] }),
  ping: async () => {},
};

async function cpuPerEvent(type: string, gate: SchemaGate, seconds: number) {
  const body = JSON.stringify({
    events: Array.from({ length: 100 }, (_, n) => ({ type, data: data(n) })),
  });
  const once = () =>
    ingestEvents(
      {
        input: decodeIngestRequest({ contentType: "application/json", body }),
        tenantId: "bench",
        correlationId: "bench",
        receivedAt: "2026-01-01T00:00:00.000Z",
      },
      { queue: acceptAll, newId: () => "bench-id", schemas: gate },
    );
  const first = await once();
  if (first.kind !== "batch" || first.outcomes.some((o) => o.status !== "queued")) {
    throw new Error(`bench batch not queued whole: ${JSON.stringify(first).slice(0, 300)}`);
  }
  const deadline = Date.now() + seconds * 1000;
  const cpu = process.cpuUsage();
  let events = 0;
  while (Date.now() < deadline) {
    await once();
    events += 100;
  }
  const used = process.cpuUsage(cpu);
  return { us: (used.user + used.system) / events, events };
}

async function registrationToEnforcement(trials: number): Promise<SchemasResult["enforcement"]> {
  const aws = await benchAws();
  const doc = DynamoDBDocumentClient.from(aws.clients.dynamodb);
  const store = new DynamoDbSchemaStore(doc, aws.resources.configTableName);
  const cacheSeconds = resolveSettings().schemaCacheSeconds;
  const gate = new SchemaGate(store, { maxAgeMs: cacheSeconds * 1000 });
  const now = () => new Date();
  const results: number[] = [];
  for (let t = 0; t < trials; t++) {
    const type = `bench.enforce.${Date.now()}.${t}`;
    const limit = (maximum: number) => ({
      schema: { type: "object", properties: { n: { type: "number", maximum } } },
      compatibility: "NONE",
    });
    await registerSchema("bench", type, limit(100), { store, now });
    const event = { event: { type, data: { n: 50 } }, prefix: "" };
    const [accepted] = await gate.check("bench", [event]);
    if (accepted?.kind !== "pass") throw new Error("version 1 should accept n = 50");
    // A random point of the cache's cycle, as a registration meets a busy instance.
    await new Promise((r) => setTimeout(r, Math.random() * cacheSeconds * 1000));
    await registerSchema("bench", type, limit(10), { store, now });
    const registered = performance.now();
    for (;;) {
      const [verdict] = await gate.check("bench", [event]);
      if (verdict?.kind === "reject") break;
      await new Promise((r) => setTimeout(r, 25));
    }
    results.push(performance.now() - registered);
  }
  return {
    cacheSeconds,
    trialsMs: results,
    medianMs: median(results),
    maxMs: Math.max(...results),
  };
}

export async function benchSchemas(o: SchemasOptions): Promise<SchemasResult> {
  const plain = "bench.unregistered";
  const typed = "bench.typed";
  const gate = new SchemaGate(memoryStore([typed]), { maxAgeMs: 3_600_000 });
  const modes = [
    { mode: "no schema" as const, type: plain },
    { mode: "enforce, 20 properties" as const, type: typed },
  ];
  for (const m of modes) await cpuPerEvent(m.type, gate, 0.5); // warm-up
  const rounds = new Map<string, number[]>(modes.map((m) => [m.mode, []]));
  const counts = new Map<string, number>(modes.map((m) => [m.mode, 0]));
  for (let r = 0; r < o.rounds; r++) {
    // Interleaved, so both modes meet the same background load.
    for (const m of modes) {
      const { us, events } = await cpuPerEvent(m.type, gate, o.seconds);
      rounds.get(m.mode)?.push(us);
      counts.set(m.mode, (counts.get(m.mode) ?? 0) + events);
    }
  }
  const cpu = modes.map((m) => ({
    mode: m.mode,
    cpuUsPerEvent: median(rounds.get(m.mode) ?? []),
    rounds: rounds.get(m.mode) ?? [],
    events: counts.get(m.mode) ?? 0,
  }));
  const [none, enforce] = cpu;
  return {
    cpu,
    overhead: (enforce?.cpuUsPerEvent ?? 0) / (none?.cpuUsPerEvent ?? 1),
    enforcement: await registrationToEnforcement(o.trials),
  };
}

export function schemasLines(r: SchemasResult): string[] {
  const lines = [
    `  ${"mode".padEnd(26)}${"CPU µs/event".padStart(14)}  rounds (µs)             events`,
  ];
  for (const c of r.cpu) {
    lines.push(
      `  ${c.mode.padEnd(26)}${c.cpuUsPerEvent.toFixed(1).padStart(14)}  ${c.rounds
        .map((x) => x.toFixed(1))
        .join(" ")
        .padEnd(24)}${c.events}`,
    );
  }
  lines.push(
    `  enforce vs no schema: ${((r.overhead - 1) * 100).toFixed(1)}% CPU per event (goal: at most +25%)`,
    `  registration to enforcement (schemaCacheSeconds ${r.enforcement.cacheSeconds}): median ${(r.enforcement.medianMs / 1000).toFixed(2)} s, max ${(r.enforcement.maxMs / 1000).toFixed(2)} s over ${r.enforcement.trialsMs.length} trials (${r.enforcement.trialsMs.map((x) => (x / 1000).toFixed(2)).join(", ")} s); bound by design: schemaCacheSeconds + one GetItem, locally and on AWS`,
  );
  return lines;
}

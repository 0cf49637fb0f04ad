/**
 * The schema registry end to end, over HTTP only (every answer checked against the OpenAPI
 * document by the client): registering versions, 409 naming the break in each
 * compatibility mode, enforcement (400 with per-field JSON pointers, per event in a batch),
 * quarantine (stored failed/schema_violation, replayed once the schema is fixed), a pinned
 * version through a CloudEvent's dataschema, the tenant's policy for unregistered types, and
 * an inferred schema that validates the events it came from.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Io, main } from "../../bin/schemas.js";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { Api, type StoredEvent, sleep, uniqueId, uniqueType, waitFor } from "./client.js";

/** The registry cache bound the runtime runs with: how long a change takes to apply. */
const CACHE_SECONDS = 1;
const afterCache = () => sleep(CACHE_SECONDS * 1000 + 200);

let platform: Platform;
let api: Api;

beforeAll(async () => {
  platform = await startPlatform({ settings: { schemaCacheSeconds: CACHE_SECONDS } });
  api = new Api(platform.url);
});

afterAll(async () => {
  await platform?.stop();
});

interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: { path: string; message: string; pointer?: string; keyword?: string }[];
  };
}

const put = (type: string, body: unknown) =>
  api.request<{ version: number } & ErrorBody>(
    "PUT",
    `/v1/schemas/${encodeURIComponent(type)}`,
    body,
  );

const order = {
  type: "object",
  required: ["amount", "currency"],
  properties: {
    amount: { type: "number", exclusiveMinimum: 0 },
    currency: { type: "string", enum: ["EUR", "USD"] },
    note: { type: "string", maxLength: 20 },
  },
  additionalProperties: false,
};

describe("registering versions", () => {
  it("201 for a new version, 200 and the same number when identical, readable by number", async () => {
    const type = uniqueType("orders");
    const first = await put(type, { schema: order });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      type,
      version: 1,
      compatibility: "BACKWARD",
      enforcement: "enforce",
    });
    const again = await put(type, { schema: order });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(1);
    const second = await put(type, {
      schema: {
        ...order,
        properties: {
          ...order.properties,
          currency: { type: "string", enum: ["EUR", "USD", "GBP"] },
        },
      },
    });
    expect(second.status).toBe(201);
    expect(second.body.version).toBe(2);

    const v1 = await api.request<{ schema: unknown }>("GET", `/v1/schemas/${type}/versions/1`);
    expect(v1.status).toBe(200);
    expect(v1.body.schema).toEqual(order);
    const latest = await api.request<{ version: number }>("GET", `/v1/schemas/${type}`);
    expect(latest.body.version).toBe(2);
    const list = await api.request<{ types: { type: string }[] }>("GET", "/v1/schemas");
    expect(list.body.types.map((t) => t.type)).toContain(type);
    expect((await api.request("GET", `/v1/schemas/${type}/versions/3`)).status).toBe(404);
  });

  it("400 naming the problem for a schema that cannot be used safely", async () => {
    const type = uniqueType("unsafe");
    const remote = await put(type, { schema: { $ref: "https://example.com/schema.json" } });
    expect(remote.status).toBe(400);
    expect(remote.body.error.details?.[0]?.path).toBe("/schema/$ref");
    const lookahead = await put(type, { schema: { type: "string", pattern: "^(?=a)" } });
    expect(lookahead.status).toBe(400);
    expect(lookahead.body.error.details?.[0]?.message).toMatch(/RE2/);
  });

  it("a soft delete stops enforcement; the versions stay readable", async () => {
    const type = uniqueType("deleted");
    await put(type, { schema: order });
    expect((await api.request("DELETE", `/v1/schemas/${type}`)).status).toBe(200);
    expect((await api.request("GET", `/v1/schemas/${type}`)).status).toBe(404);
    expect((await api.request("GET", `/v1/schemas/${type}/versions/1`)).status).toBe(200);
    await afterCache();
    expect(await api.send({ type, data: { anything: true } })).toBeTruthy();
  });
});

describe("compatibility: a 409 naming the break, in each mode", () => {
  const closed = (properties: Record<string, unknown>, required: string[] = []) => ({
    type: "object",
    properties,
    required,
    additionalProperties: false,
  });
  const v1 = closed({ a: { type: "string" } });
  const v2 = closed({ a: { type: "string" }, b: { type: "integer" } });
  // Each case: a history, a proposal that breaks the mode, and the rule named.
  // biome-ignore format: one mode per line
  const cases = [
    { mode: "BACKWARD", history: [v1], proposal: closed({ a: { type: "string" } }, ["a", "c"]), rule: "REQUIRED_ATTRIBUTE_ADDED" },
    { mode: "BACKWARD_TRANSITIVE", history: [v1, closed({ a: { type: "string" }, b: { type: "string" } })], proposal: v2, rule: "TYPE_CHANGED" },
    { mode: "FORWARD", history: [v1], proposal: v2, rule: "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" },
    // Version 1 (maxLength 5) cannot read what the proposal allows; version 2 could.
    { mode: "FORWARD_TRANSITIVE", history: [closed({ a: { type: "string", maxLength: 5 } }), closed({ a: { type: "string", maxLength: 10 } })], proposal: closed({ a: { type: "string", maxLength: 10, description: "a" } }), rule: "MAX_LENGTH_DECREASED" },
    { mode: "FULL", history: [v1], proposal: closed({ a: { type: "number" } }), rule: "TYPE_CHANGED" },
    { mode: "FULL_TRANSITIVE", history: [v1, closed({ a: { type: "string", maxLength: 10 } })], proposal: closed({ a: { type: "string", maxLength: 5 } }), rule: "MAX_LENGTH_DECREASED" },
  ] as const;

  it.each(cases)(
    "$mode refuses a breaking version: $rule",
    async ({ mode, history, proposal, rule }) => {
      const type = uniqueType(`compat-${mode.toLowerCase()}`);
      const [first, ...rest] = history;
      expect((await put(type, { schema: first, compatibility: "NONE" })).status).toBe(201);
      for (const schema of rest) expect((await put(type, { schema })).status).toBe(201);
      const refused = await put(type, { schema: proposal, compatibility: mode });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe("incompatible_schema");
      expect(refused.body.error.details?.map((d) => d.message).join("\n")).toContain(rule);
      // Nothing was registered: the latest is still the last of the history.
      const latest = await api.request<{ version: number }>("GET", `/v1/schemas/${type}`);
      expect(latest.body.version).toBe(history.length);
    },
  );

  it("NONE registers anything; check says the same without storing", async () => {
    const type = uniqueType("compat-none");
    await put(type, { schema: v1, compatibility: "NONE" });
    const checked = await api.request<{ schema: { compatible: boolean } }>(
      "POST",
      `/v1/schemas/${type}/check`,
      {
        schema: { type: "string" },
      },
    );
    expect(checked.body.schema.compatible).toBe(true);
    expect(
      (await put(type, { schema: { type: "object", properties: { z: { type: "boolean" } } } }))
        .status,
    ).toBe(201);
    const strict = await api.request<{ schema: { compatible: boolean; details: unknown[] } }>(
      "POST",
      `/v1/schemas/${type}/check`,
      { schema: { type: "string" }, compatibility: "BACKWARD" },
    );
    expect(strict.body.schema).toMatchObject({ compatible: false });
    expect(strict.body.schema.details.length).toBeGreaterThan(0);
  });
});

describe("enforcement", () => {
  it("enforce: 400 with per-field JSON pointers; in a batch only the bad event is rejected", async () => {
    const type = uniqueType("enforced");
    await put(type, { schema: order });
    const refused = await api.request<ErrorBody>("POST", "/v1/events", {
      type,
      data: { amount: 0, currency: "GBP", extra: 1 },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("schema_violation");
    expect(refused.body.error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: "/data/amount", keyword: "exclusiveMinimum" }),
        expect.objectContaining({ pointer: "/data/currency", keyword: "enum" }),
        expect.objectContaining({ pointer: "/data", keyword: "additionalProperties" }),
      ]),
    );
    const batch = await api.request<{
      results: {
        index: number;
        status: string;
        id?: string;
        errors?: { path: string; pointer?: string }[];
      }[];
    }>("POST", "/v1/events", {
      events: [
        { type, data: { amount: 5, currency: "EUR" } },
        { type, data: { amount: 5 } },
      ],
    });
    expect(batch.status).toBe(202);
    expect(batch.body.results[1]).toMatchObject({
      status: "rejected",
      errors: [{ path: "events[1].data.currency", pointer: "/data/currency", keyword: "required" }],
    });
    const stored = await api.settled(batch.body.results[0]?.id as string);
    expect(stored).toMatchObject({ status: "processed", schemaVersion: 1 });
  });

  it("quarantine: accepted, stored failed/schema_violation, replayed after the schema is fixed", async () => {
    const type = uniqueType("quarantined");
    const plan = (plans: string[]) => ({
      type: "object",
      required: ["plan"],
      properties: { plan: { type: "string", enum: plans } },
    });
    await put(type, { schema: plan(["free", "pro"]), enforcement: "quarantine" });
    const id = uniqueId("q");
    expect(await api.send({ id, type, data: { plan: "team" } })).toBe(id);
    const failed = await api.settled(id);
    expect(failed).toMatchObject({
      status: "failed",
      failure: { kind: "schema_violation", errors: [{ pointer: "/data/plan", keyword: "enum" }] },
    });
    const listed = await api.request<{ items: { id: string }[] }>(
      "GET",
      `/v1/failed?kind=schema_violation&type=${encodeURIComponent(type)}`,
    );
    expect(listed.body.items.map((i) => i.id)).toEqual([id]);

    // Before the fix a replay would only fail again: it is skipped, with the reason.
    const early = await api.request<{ skipped: { id: string; reason: string }[] }>(
      "POST",
      "/v1/failed/replay",
      {
        ids: [id],
        dryRun: true,
      },
    );
    expect(early.body.skipped).toEqual([
      expect.objectContaining({ id, reason: "schema_violation" }),
    ]);

    expect((await put(type, { schema: plan(["free", "pro", "team"]) })).status).toBe(201);
    await afterCache();
    const replay = await api.request<{ replayed: number }>("POST", "/v1/failed/replay", {
      ids: [id],
    });
    expect(replay.status).toBe(202);
    expect(replay.body.replayed).toBe(1);
    const processed = await waitFor(
      async () => {
        const e = await api.event(id);
        return e?.status === "processed" ? e : undefined;
      },
      30_000,
      "the replayed event to be processed",
    );
    expect(processed).toMatchObject({ schemaVersion: 2, attempts: 2 });
  });

  it("a CloudEvent's dataschema pins a version", async () => {
    const type = uniqueType("pinned");
    const limit = (maximum: number) => ({
      type: "object",
      properties: { n: { type: "integer", maximum } },
    });
    await put(type, { schema: limit(10), compatibility: "NONE" });
    await put(type, { schema: limit(5) });
    const send = (dataschema: string) =>
      api.request<{ id: string }>("POST", "/v1/events", undefined, {
        raw: JSON.stringify({
          specversion: "1.0",
          id: uniqueId("ce"),
          source: "/e2e",
          type,
          dataschema,
          data: { n: 8 },
        }),
        headers: { "content-type": "application/cloudevents+json" },
      });
    const pinned = await send(`${platform.url}/v1/schemas/${type}/versions/1`);
    expect(pinned.status).toBe(202);
    expect(await api.settled(pinned.body.id)).toMatchObject({ schemaVersion: 1 });
    expect((await send(`eventflow:/schemas/${type}/versions/2`)).status).toBe(400);
    expect((await send(`eventflow:/schemas/${type}/versions/7`)).status).toBe(400);
  });

  it("the tenant may reject types without a schema", async () => {
    const settings = await api.request<{ unregistered: string }>("PUT", "/v1/schema-settings", {
      unregistered: "reject",
    });
    expect(settings.status).toBe(200);
    try {
      await afterCache();
      const refused = await api.request<ErrorBody>("POST", "/v1/events", {
        type: uniqueType("unregistered"),
        data: {},
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.details?.[0]?.path).toBe("type");
    } finally {
      await api.request("PUT", "/v1/schema-settings", { unregistered: "allow" });
      await afterCache();
    }
    expect(
      (await api.request<{ unregistered: string }>("GET", "/v1/schema-settings")).body,
    ).toEqual({ unregistered: "allow" });
  });
});

describe("discovery", () => {
  it("an inferred schema validates the events it came from, and registers as is", async () => {
    const type = uniqueType("inferred");
    const events = Array.from({ length: 8 }, (_, i) => ({
      type,
      subject: `user-${i}`,
      data: {
        amount: i + 0.5,
        currency: i % 2 ? "EUR" : "USD",
        at: "2026-12-06T10:00:00Z",
        ...(i % 3 ? { note: "x" } : {}),
      },
    }));
    const ids = await api.sendBatch(events);
    const stored: StoredEvent[] = await api.settledAll(ids);
    const inferred = await api.request<{
      sampled: number;
      schema: Record<string, unknown>;
      subject?: unknown;
    }>("GET", `/v1/schemas/${type}/inferred`);
    expect(inferred.status).toBe(200);
    expect(inferred.body.sampled).toBe(8);
    expect(inferred.body.schema).toMatchObject({
      properties: { currency: { enum: ["EUR", "USD"] }, at: { format: "date-time" } },
      required: ["amount", "currency", "at"],
    });
    for (const event of stored) {
      const checked = await api.request<{ event: { valid: boolean } }>(
        "POST",
        `/v1/schemas/${type}/check`,
        {
          schema: inferred.body.schema,
          ...(inferred.body.subject ? { subject: inferred.body.subject } : {}),
          event: { data: event.data, subject: event.subject },
        },
      );
      expect(checked.body.event.valid).toBe(true);
    }
    const registered = await put(type, { schema: inferred.body.schema });
    expect(registered.status).toBe(201);
    await afterCache();
    expect((await api.sendBatch(events)).length).toBe(8);
    expect((await api.request("GET", `/v1/schemas/${uniqueType("nothing")}/inferred`)).status).toBe(
      404,
    );
  });
});

describe.skipIf(!localOnly)(
  "npm run schemas: the CLI on the local runtime, and generated types",
  () => {
    async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
      const out: string[] = [];
      const err: string[] = [];
      const io: Io = {
        out: (line) => out.push(line),
        err: (line) => err.push(line),
        env: process.env,
        now: () => new Date(),
        readFile: (path) => readFileSync(path, "utf8"),
        writeFile: (path, text) => writeFileSync(path, text),
        isAlive: () => true,
      };
      const endpoint = platform.local?.dynamodbEndpoint as string;
      const code = await main([...args, "--tenant", "local", "--endpoint", endpoint], io);
      return { code, out: out.join("\n"), err: err.join("\n") };
    }

    it("register, show, infer; types that compile and check data at compile time", async () => {
      const dir = mkdtempSync(join(tmpdir(), "eventflow-schemas-e2e-"));
      try {
        const type = uniqueType("cli");
        writeFileSync(join(dir, "v1.json"), JSON.stringify(order));
        const registered = await cli(["register", "--type", type, "--file", join(dir, "v1.json")]);
        expect(registered).toMatchObject({ code: 0 });
        expect(registered.out).toMatch(/version 1/);
        writeFileSync(
          join(dir, "narrow.json"),
          JSON.stringify({ ...order, required: [...order.required, "note"] }),
        );
        const refused = await cli(["register", "--type", type, "--file", join(dir, "narrow.json")]);
        expect(refused.code).toBe(1);
        expect(refused.err).toMatch(/REQUIRED_ATTRIBUTE_ADDED/);
        // The HTTP API sees what the CLI registered, and the other way round.
        expect(
          (await api.request<{ version: number }>("GET", `/v1/schemas/${type}`)).body.version,
        ).toBe(1);
        const shown = await cli(["show", "--type", type, "--json"]);
        expect(JSON.parse(shown.out)).toMatchObject({ type, version: 1 });

        const seen = uniqueType("cli.seen");
        await api.settledAll(
          await api.sendBatch([1, 2, 3].map((n) => ({ type: seen, data: { n, tag: "x" } }))),
        );
        const inferred = await cli(["infer", "--type", seen, "--out", join(dir, "inferred.json")]);
        expect(inferred.code).toBe(0);
        expect(
          await cli(["register", "--type", seen, "--file", join(dir, "inferred.json")]),
        ).toMatchObject({ code: 0 });

        const types = await cli(["types", "--out", join(dir, "event-types.ts")]);
        expect(types.code).toBe(0);
        const module = readFileSync(join(dir, "event-types.ts"), "utf8");
        expect(module).toMatch(/export interface EventTypes \{/);
        expect(module).toContain(`${JSON.stringify(type)}:`);
        // How the producer SDK uses it: track({ type, data }) checked at compile time.
        writeFileSync(
          join(dir, "use.ts"),
          [
            `import type { EventTypes } from "./event-types.js";`,
            `declare function track<T extends keyof EventTypes>(type: T, data: EventTypes[T]): void;`,
            `track(${JSON.stringify(type)}, { amount: 12.5, currency: "EUR" });`,
            `// @ts-expect-error currency must be EUR or USD`,
            `track(${JSON.stringify(type)}, { amount: 1, currency: "GBP" });`,
            `// @ts-expect-error amount is required`,
            `track(${JSON.stringify(type)}, { currency: "EUR" });`,
            `track(${JSON.stringify(seen)}, { n: 1, tag: "x" });`,
          ].join("\n"),
        );
        const program = ts.createProgram([join(dir, "use.ts")], {
          strict: true,
          noEmit: true,
          module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext,
          target: ts.ScriptTarget.ES2022,
          skipLibCheck: true,
          types: [],
        });
        const diagnostics = ts
          .getPreEmitDiagnostics(program)
          .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
        expect(diagnostics).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);

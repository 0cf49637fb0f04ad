/**
 * Multi-tenant security over HTTP: every route × (no key, malformed, unknown, revoked,
 * wrong scope, another tenant's key, the right key), asserting the status and that no
 * event, count or existence leaks; then mass assignment (tenant, status and server-owned
 * fields from the body, the query or headers) is rejected or ignored.
 *
 * Keys are made with `npm run keys`'s code (test/support/keys.ts): locally against the
 * runtime's DynamoDB; against a deployed stack with EVENTFLOW_STACK_OUTPUTS.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../../lambdas/domain/api-keys.js";
import { DEFAULT_RULES } from "../../lambdas/domain/rules.js";
import { ROUTES, type Route } from "../../lib/contracts/functions.js";
import { canManageKeys, createKey, revokeKey } from "../support/keys.js";
import { type Platform, startPlatform } from "../support/runtime.js";
import { type Answer, Api, uniqueId, uniqueType, waitFor } from "./client.js";

const tenant = (name: string) => `e2e-${name}-${randomBytes(4).toString("hex")}`;

let platform: Platform;
let base: Api;
const A = tenant("a");
const SECRET = `secret-of-${randomBytes(6).toString("hex")}`;
const B = tenant("b");
/** Tenant A's keys by scopes, tenant B's full key, and keys that must not work. */
const keys = {} as Record<
  | "full"
  | "read"
  | "write"
  | "readWrite"
  | "admin"
  | "history"
  | "rules"
  | "schemas"
  | "dest"
  | "other"
  | "revoked",
  string
>;
/** Tenant A's history jobs (README "History"): no other tenant may see or cancel them. */
const jobsA = {} as Record<"export" | "replay" | "erasure", string>;
/** Tenant A's destinations (one the DELETE route removes) and a delivery of its. */
let destinationA: string;
let doomedDestinationA: string;
let deliveryA: string;
/** Tenant A's data, which no other credential may see, count or replay. */
let typeA: string;
let processedId: string;
let failedId: string;
/** A type tenant A registered a schema for. */
let schemaType: string;
const schemaBody = { schema: { type: "object", properties: { n: { type: "integer" } } } };

describe.skipIf(!canManageKeys)("tenant isolation and scopes", () => {
  beforeAll(async () => {
    platform = await startPlatform();
    base = new Api(platform.url, null);
    const make = (t: string, scopes: string) => createKey(platform, t, scopes).then((k) => k.key);
    keys.full = await make(A, "events:write,events:read,history:read,admin,rules:write");
    keys.read = await make(A, "events:read");
    keys.write = await make(A, "events:write");
    keys.readWrite = await make(A, "events:write,events:read");
    keys.admin = await make(A, "admin");
    keys.history = await make(A, "history:read");
    keys.rules = await make(A, "rules:write");
    keys.schemas = await make(A, "schemas:write");
    keys.dest = await make(A, "destinations:write");
    keys.other = await make(
      B,
      "events:write,events:read,history:read,admin,rules:write,schemas:write,destinations:write",
    );
    // Revoked before it was ever used: no authorizer answer for it is cached anywhere.
    keys.revoked = await make(A, "events:write,events:read,admin");
    await revokeKey(platform, A, keys.revoked);

    const a = base.withKey(keys.full);
    schemaType = uniqueType("schemas-a");
    const registered = await base
      .withKey(keys.schemas)
      .request("PUT", `/v1/schemas/${schemaType}`, schemaBody);
    expect(registered.status).toBe(201);
    typeA = uniqueType("tenant-a");
    processedId = uniqueId("a-processed");
    failedId = uniqueId("a-failed");
    await a.send({ id: processedId, type: typeA, data: { secret: SECRET } });
    await a.send({ id: failedId, type: "purchase", data: { amount: -5 } });
    const [processed, failed] = await a.settledAll([processedId, failedId]);
    expect(processed?.status).toBe("processed");
    expect(failed?.status).toBe("failed");
    const since = new Date(Date.now() - 60_000).toISOString();
    const job = async (method: string, path: string, body?: unknown) =>
      ((await a.request<{ id: string }>(method, path, body)).body as { id: string }).id;
    jobsA.export = await job("POST", "/v1/exports", { from: since, type: typeA });
    jobsA.replay = await job("POST", "/v1/replays", { from: since, type: typeA, rate: 1 });
    jobsA.erasure = await job("DELETE", `/v1/subjects/${uniqueId("subject")}`);
    // A destination of tenant A and one delivery to it (to a port nobody listens on).
    const d = base.withKey(keys.dest);
    const destination = (name: string) =>
      d
        .request<{ id: string }>("POST", "/v1/destinations", {
          kind: "webhook",
          name,
          url: "http://127.0.0.1:9/hook",
        })
        .then((r) => r.body.id);
    destinationA = await destination("tenant-a");
    doomedDestinationA = await destination("tenant-a-doomed");
    const replayed = await d.request("POST", `/v1/destinations/${destinationA}/replay`, {
      from: new Date(Date.now() - 600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
      pattern: { type: [typeA] },
    });
    expect(replayed.status).toBe(202);
    const page = await waitFor(
      async () => {
        const r = await base
          .withKey(keys.read)
          .request<{ items: { id: string }[] }>(
            "GET",
            `/v1/deliveries?destination=${destinationA}`,
          );
        return r.body.items[0];
      },
      30_000,
      "tenant A's delivery",
    );
    deliveryA = page.id;
    // Windows and patterns: tenant A's declarations (over its own type).
    for (const name of ["shared-agg", "doomed-agg"]) {
      const put = await a.request("PUT", `/v1/aggregations/${name}`, aggregationBody(typeA));
      expect(put.status).toBe(201);
    }
    for (const name of ["shared-pattern", "doomed-pattern"]) {
      const put = await a.request("PUT", `/v1/patterns/${name}`, patternBody(typeA));
      expect(put.status).toBe(201);
    }
    const backfill = await a.request<{ contributed: number }>(
      "POST",
      "/v1/aggregations/shared-agg/backfill",
      { from: "1h" },
    );
    expect(backfill.body.contributed).toBe(1);
  });

  afterAll(async () => {
    await platform?.stop();
  });

  type Credential =
    | "none"
    | "malformed"
    | "unknown"
    | "revoked"
    | "wrong scope"
    | "other tenant"
    | "right key";

  /** Not a key, or not sent as one: each route gets one of these, and one route all. */
  const MALFORMED = [
    "Bearer not-an-eventflow-key",
    "Basic !!!not-base64",
    `${generateApiKey().key}`,
    `Token ${generateApiKey().key}`,
    `Bearer ${generateApiKey().key.slice(0, -3)}`,
  ];

  const aggregationBody = (type: string) => ({
    match: { type: [type] },
    groupBy: ["type"],
    measures: [{ name: "n", op: "count" }],
    window: { kind: "tumbling", size: "1h" },
  });
  const patternBody = (type: string) => ({
    kind: "threshold",
    key: "type",
    within: "1m",
    count: 2,
    steps: [{ match: { type: [type] } }],
  });

  /** The request each route gets; a route missing here fails the test. */
  const REQUESTS: Record<string, () => { path: string; body?: unknown }> = {
    "POST /v1/events": () => ({ path: "/v1/events", body: { type: uniqueType("m"), data: {} } }),
    "GET /v1/events": () => ({ path: `/v1/events?type=${encodeURIComponent(typeA)}` }),
    "GET /v1/events/{id}": () => ({ path: `/v1/events/${processedId}` }),
    "GET /v1/stats": () => ({ path: "/v1/stats" }),
    "GET /v1/health": () => ({ path: "/v1/health" }),
    "GET /v1/openapi.json": () => ({ path: "/v1/openapi.json" }),
    "GET /v1/failed": () => ({ path: "/v1/failed?type=purchase" }),
    "POST /v1/failed/replay": () => ({
      path: "/v1/failed/replay",
      body: { ids: [failedId], dryRun: true },
    }),
    "POST /v1/exports": () => ({
      path: "/v1/exports",
      body: { from: new Date(Date.now() - 60_000).toISOString(), type: uniqueType("x") },
    }),
    "GET /v1/exports": () => ({ path: "/v1/exports" }),
    "GET /v1/exports/{id}": () => ({ path: `/v1/exports/${jobsA.export}` }),
    "GET /v1/subjects/{subject}/export": () => ({ path: `/v1/subjects/${uniqueId("s")}/export` }),
    "POST /v1/replays": () => ({
      path: "/v1/replays",
      body: { from: new Date(Date.now() - 60_000).toISOString(), type: uniqueType("r") },
    }),
    "GET /v1/replays": () => ({ path: "/v1/replays" }),
    "GET /v1/replays/{id}": () => ({ path: `/v1/replays/${jobsA.replay}` }),
    "DELETE /v1/replays/{id}": () => ({ path: `/v1/replays/${jobsA.replay}` }),
    "DELETE /v1/subjects/{subject}": () => ({ path: `/v1/subjects/${uniqueId("s")}` }),
    "GET /v1/erasures": () => ({ path: "/v1/erasures" }),
    "GET /v1/erasures/{id}": () => ({ path: `/v1/erasures/${jobsA.erasure}` }),
    "GET /v1/rules": () => ({ path: "/v1/rules" }),
    // The defaults again: a new version, the same verdicts for the rest of this file.
    "PUT /v1/rules": () => ({ path: "/v1/rules", body: { rules: DEFAULT_RULES } }),
    "DELETE /v1/rules": () => ({ path: "/v1/rules" }),
    "POST /v1/rules/test": () => ({ path: "/v1/rules/test", body: { type: "purchase", last: 5 } }),
    "GET /v1/schemas": () => ({ path: "/v1/schemas" }),
    "GET /v1/schemas/{type}": () => ({ path: `/v1/schemas/${schemaType}` }),
    // Identical to tenant A's version 1: 200 for A; another tenant registers its own (201).
    "PUT /v1/schemas/{type}": () => ({ path: `/v1/schemas/${schemaType}`, body: schemaBody }),
    "DELETE /v1/schemas/{type}": () => ({ path: `/v1/schemas/${schemaType}` }),
    "GET /v1/schemas/{type}/versions/{version}": () => ({
      path: `/v1/schemas/${schemaType}/versions/1`,
    }),
    "POST /v1/schemas/{type}/check": () => ({
      path: `/v1/schemas/${schemaType}/check`,
      body: { event: { data: { n: 1 } } },
    }),
    // Tenant A's stored events of typeA (another tenant has none: 404).
    "GET /v1/schemas/{type}/inferred": () => ({ path: `/v1/schemas/${typeA}/inferred` }),
    "GET /v1/schema-settings": () => ({ path: "/v1/schema-settings" }),
    "PUT /v1/schema-settings": () => ({
      path: "/v1/schema-settings",
      body: { unregistered: "allow" },
    }),
    "POST /v1/destinations": () => ({
      path: "/v1/destinations",
      body: { kind: "webhook", name: "n", url: "http://127.0.0.1:9/x" },
    }),
    "GET /v1/destinations": () => ({ path: "/v1/destinations" }),
    "GET /v1/destinations/{id}": () => ({ path: `/v1/destinations/${destinationA}` }),
    "PATCH /v1/destinations/{id}": () => ({
      path: `/v1/destinations/${destinationA}`,
      body: { name: "renamed" },
    }),
    "DELETE /v1/destinations/{id}": () => ({ path: `/v1/destinations/${doomedDestinationA}` }),
    "POST /v1/destinations/{id}/rotate-secret": () => ({
      path: `/v1/destinations/${destinationA}/rotate-secret`,
      body: {},
    }),
    "POST /v1/destinations/{id}/replay": () => ({
      path: `/v1/destinations/${destinationA}/replay`,
      body: { from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z", dryRun: true },
    }),
    "GET /v1/deliveries": () => ({ path: `/v1/deliveries?destination=${destinationA}` }),
    "GET /v1/deliveries/{id}": () => ({ path: `/v1/deliveries/${deliveryA}` }),
    "POST /v1/deliveries/{id}/retry": () => ({ path: `/v1/deliveries/${deliveryA}/retry` }),
    // Tenant A declared shared-* and doomed-* (beforeAll); another tenant has none until
    // its own PUT (which runs before its GET of the same name).
    "GET /v1/aggregations": () => ({ path: "/v1/aggregations" }),
    "PUT /v1/aggregations/{name}": () => ({
      path: "/v1/aggregations/shared-agg",
      body: aggregationBody("purchase"),
    }),
    "GET /v1/aggregations/{name}": () => ({ path: "/v1/aggregations/shared-agg" }),
    "DELETE /v1/aggregations/{name}": () => ({ path: "/v1/aggregations/doomed-agg" }),
    "POST /v1/aggregations/{name}/backfill": () => ({
      path: "/v1/aggregations/shared-agg/backfill",
      body: { from: "1h" },
    }),
    "GET /v1/patterns": () => ({ path: "/v1/patterns" }),
    "PUT /v1/patterns/{name}": () => ({
      path: "/v1/patterns/shared-pattern",
      body: patternBody("purchase"),
    }),
    "GET /v1/patterns/{name}": () => ({ path: "/v1/patterns/shared-pattern" }),
    "DELETE /v1/patterns/{name}": () => ({ path: "/v1/patterns/doomed-pattern" }),
  };

  /** The least-scoped key of tenant A that may call the route, and one that may not. */
  const rightKey = (route: Route) =>
    route.scope === "events:write"
      ? keys.write
      : route.scope === "events:read"
        ? keys.read
        : route.scope === "admin"
          ? keys.admin
          : route.scope === "history:read"
            ? keys.history
            : route.scope === "rules:write"
              ? keys.rules
              : route.scope === "schemas:write"
                ? keys.schemas
                : route.scope === "destinations:write"
                  ? keys.dest
                  : keys.write;
  const wrongKey = (route: Route) =>
    route.scope === "events:write"
      ? keys.read
      : route.scope === "events:read"
        ? keys.write
        : route.scope === "admin" ||
            route.scope === "history:read" ||
            route.scope === "rules:write" ||
            route.scope === "schemas:write" ||
            route.scope === "destinations:write"
          ? keys.readWrite
          : undefined;

  function call(route: Route, credential: Credential): Promise<Answer> | undefined {
    const spec = REQUESTS[`${route.method} ${route.path}`]?.();
    if (!spec) throw new Error(`no request for ${route.method} ${route.path}`);
    const header: Record<Credential, string | undefined> = {
      none: undefined,
      malformed: MALFORMED[route.path.length % MALFORMED.length],
      unknown: `Bearer ${generateApiKey().key}`,
      revoked: `Bearer ${keys.revoked}`,
      "wrong scope": wrongKey(route) && `Bearer ${wrongKey(route)}`,
      "other tenant": `Bearer ${keys.other}`,
      "right key": `Bearer ${rightKey(route)}`,
    };
    if (credential === "wrong scope" && !wrongKey(route)) return undefined;
    const auth = header[credential];
    return base.request(route.method, spec.path, spec.body, {
      ...(auth ? { headers: { authorization: auth } } : {}),
    });
  }

  /** Nothing of tenant A's in an answer. */
  const expectNoLeak = (answer: Answer) => {
    for (const secret of [processedId, failedId, typeA, SECRET, A]) {
      expect(answer.text, `answer leaks ${secret}`).not.toContain(secret);
    }
  };

  it("covers every route", () => {
    expect(Object.keys(REQUESTS).sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  for (const route of ROUTES) {
    describe(`${route.method} ${route.path} (${route.scope})`, () => {
      it.each(["none", "malformed", "unknown", "revoked"] as const)(
        "%s: 401 with WWW-Authenticate, nothing else",
        async (credential) => {
          const answer = (await call(route, credential)) as Answer;
          expect(answer.status).toBe(401);
          expect(answer.headers.get("www-authenticate")).toBe('Bearer realm="eventflow"');
          expect(answer.body).toEqual({
            error: {
              code: "unauthorized",
              message: expect.any(String),
              requestId: expect.any(String),
            },
          });
          expectNoLeak(answer);
        },
      );

      // Routes open to any valid key have no wrong scope to try.
      if (route.scope !== "authenticated") {
        it("wrong scope: 403, nothing else", async () => {
          const answer = (await call(route, "wrong scope")) as Answer;
          expect(answer.status).toBe(403);
          expect(answer.body).toEqual({
            error: {
              code: "forbidden",
              message: expect.any(String),
              requestId: expect.any(String),
            },
          });
          expectNoLeak(answer);
        });
      }

      it("another tenant's key: its own view, never tenant A's data", async () => {
        const answer = (await call(route, "other tenant")) as Answer;
        const expected: Record<string, number> = {
          "POST /v1/events": 202,
          "GET /v1/events/{id}": 404,
          "POST /v1/failed/replay": 200,
          // History: B starts its own jobs; A's job ids are unknown to it.
          "POST /v1/exports": 202,
          "POST /v1/replays": 202,
          "DELETE /v1/subjects/{subject}": 202,
          "GET /v1/exports/{id}": 404,
          "GET /v1/replays/{id}": 404,
          "DELETE /v1/replays/{id}": 404,
          "GET /v1/erasures/{id}": 404,
          // Tenant A's schema is not another tenant's: absent, or registered afresh as its own.
          "GET /v1/schemas/{type}": 404,
          "PUT /v1/schemas/{type}": 201,
          "GET /v1/schemas/{type}/inferred": 404,
          // Tenant A's destination and delivery ids are unknown to tenant B.
          "POST /v1/destinations": 201,
          "GET /v1/destinations/{id}": 404,
          "PATCH /v1/destinations/{id}": 404,
          "DELETE /v1/destinations/{id}": 404,
          "POST /v1/destinations/{id}/rotate-secret": 404,
          "POST /v1/destinations/{id}/replay": 404,
          "GET /v1/deliveries/{id}": 404,
          "POST /v1/deliveries/{id}/retry": 404,
          // Its own first declaration of the name; nothing of tenant A's to delete.
          "PUT /v1/aggregations/{name}": 201,
          "DELETE /v1/aggregations/{name}": 404,
          "PUT /v1/patterns/{name}": 201,
          "DELETE /v1/patterns/{name}": 404,
        };
        expect(answer.status).toBe(expected[`${route.method} ${route.path}`] ?? 200);
        // A replay echoes the ids it was asked for (skipped, as for an id nobody has:
        // compared below); nothing else of tenant A's.
        const text = answer.text.replaceAll(failedId, "<requested id>");
        expectNoLeak({ ...answer, text });
      });

      it("the right key (least scope that opens it): served", async () => {
        const answer = (await call(route, "right key")) as Answer;
        // Ingest and the history jobs (exports, replays, erasures) answer 202: accepted.
        const accepted =
          (route.method === "POST" && route.function === "ingest") ||
          (route.function === "history" && route.method !== "GET");
        const created: Record<string, number> = {
          "POST /v1/destinations": 201,
          "POST /v1/deliveries/{id}/retry": 202,
        };
        expect(answer.status, answer.text).toBe(
          created[`${route.method} ${route.path}`] ?? (accepted ? 202 : 200),
        );
      });
    });
  }

  it.each(MALFORMED)("malformed %s: 401", async (authorization) => {
    const answer = await base.request("GET", `/v1/events/${processedId}`, undefined, {
      headers: { authorization },
    });
    expect(answer.status).toBe(401);
    expectNoLeak(answer);
  });

  describe("another tenant cannot learn whether an id exists", () => {
    const b = () => base.withKey(keys.other);

    it("GET of tenant A's id is the same 404 as an id nobody has", async () => {
      const theirs = await b().request("GET", `/v1/events/${processedId}`);
      const nobody = await b().request("GET", `/v1/events/${uniqueId("nobody")}`);
      expect(theirs.status).toBe(404);
      // Each answer has its own request id; everything else is the same.
      const withoutId = (text: string) => text.replace(/"requestId":"[^"]+"/, "");
      expect(withoutId(theirs.text)).toBe(withoutId(nobody.text));
      expect(theirs.body).toMatchObject({ error: { code: "not_found" } });
    });

    it("a replay of tenant A's failed id is skipped as an id nobody has, and changes nothing", async () => {
      const nobodyId = uniqueId("nobody");
      for (const dryRun of [true, false]) {
        const theirs = await b().request<{ skipped: { id: string; reason: string }[] }>(
          "POST",
          "/v1/failed/replay",
          { ids: [failedId], ...(dryRun ? { dryRun } : {}) },
        );
        const nobody = await b().request<{ skipped: { id: string; reason: string }[] }>(
          "POST",
          "/v1/failed/replay",
          { ids: [nobodyId], ...(dryRun ? { dryRun } : {}) },
        );
        expect(theirs.status).toBe(nobody.status);
        expect(theirs.body.skipped.map((s) => s.reason)).toEqual(
          nobody.body.skipped.map((s) => s.reason),
        );
        expect(theirs.text.replaceAll(failedId, "ID").replace(/"requestId":"[^"]+"/, "")).toBe(
          nobody.text.replaceAll(nobodyId, "ID").replace(/"requestId":"[^"]+"/, ""),
        );
      }
      const stillFailed = await base.withKey(keys.full).event(failedId);
      expect(stillFailed).toMatchObject({ status: "failed", attempts: 1 });
    });

    it("lists, failed lists and stats hold none of tenant A's events or counts", async () => {
      const list = await b().listAll({ type: typeA });
      expect(list.items).toEqual([]);
      const failed = await b().request<{ items: { id: string }[] }>("GET", "/v1/failed");
      expect(failed.body.items.map((i) => i.id)).not.toContain(failedId);
      const stats = await b().request<{ types: { type: string }[] }>("GET", "/v1/stats");
      expect(stats.body.types.map((t) => t.type)).not.toContain(typeA);
      expect(stats.body.types.map((t) => t.type)).not.toContain("purchase");
      // While tenant A sees its own.
      const own = await base.withKey(keys.full).stats(typeA);
      expect(own.processed).toBe(1);
    });
  });

  describe("mass assignment: the body, query and headers cannot set server-owned fields", () => {
    const a = () => base.withKey(keys.full);

    it.each([
      ["tenantId", B],
      ["tenant", B],
      ["status", "processed"],
      ["processedAt", "2020-01-01T00:00:00.000Z"],
      ["receivedAt", "2020-01-01T00:00:00.000Z"],
      ["attempts", 0],
      ["failure", { kind: "business_rule", reason: "x" }],
    ])("an event with %s is rejected (400) and nothing is stored", async (field, value) => {
      const id = uniqueId("mass");
      const answer = await a().request<{ error: { code: string; details: { path: string }[] } }>(
        "POST",
        "/v1/events",
        { id, type: uniqueType("mass"), data: {}, [field]: value },
      );
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe("validation_failed");
      expect(answer.body.error.details.map((d) => d.path).join(" ")).toContain(field);
      // Rejected before the queue: nothing can appear later.
      expect(await a().event(id)).toBeUndefined();
    });

    it("in a batch, only the event that tries is rejected", async () => {
      const good = uniqueId("good");
      const bad = uniqueId("bad");
      const type = uniqueType("mass-batch");
      const answer = await a().request<{ results: { status: string }[] }>("POST", "/v1/events", {
        events: [
          { id: good, type, data: {} },
          { id: bad, type, data: {}, tenantId: B },
        ],
      });
      expect(answer.status).toBe(202);
      expect(answer.body.results.map((r) => r.status)).toEqual(["queued", "rejected"]);
      await a().settled(good);
      expect(await a().event(bad)).toBeUndefined();
    });

    it("a tenant in the query string is refused, in a header ignored: the key's tenant owns the event", async () => {
      const viaQuery = uniqueId("query");
      const viaHeader = uniqueId("header");
      const type = uniqueType("mass-where");
      const q = await a().request<{ error: { details: { path: string }[] } }>(
        "POST",
        `/v1/events?tenantId=${B}&tenant=${B}`,
        { id: viaQuery, type, data: {} },
      );
      expect(q.status).toBe(400);
      expect(q.body.error.details.map((d) => d.path).sort()).toEqual(["tenant", "tenantId"]);
      const h = await a().request(
        "POST",
        "/v1/events",
        { id: viaHeader, type, data: {} },
        { headers: { "x-tenant-id": B, "x-eventflow-tenant": B } },
      );
      expect(h.status).toBe(202);
      await a().settled(viaHeader);
      expect(await a().event(viaQuery)).toBeUndefined();
      for (const id of [viaHeader]) {
        expect((await base.withKey(keys.other).request("GET", `/v1/events/${id}`)).status).toBe(
          404,
        );
      }
    });

    it("a CloudEvent's tenantid extension is only data: the key's tenant owns the event", async () => {
      const answer = await a().request<{ id: string }>("POST", "/v1/events", undefined, {
        headers: { "content-type": "application/cloudevents+json" },
        raw: JSON.stringify({
          specversion: "1.0",
          id: uniqueId("ce"),
          source: "/e2e/mass",
          type: uniqueType("ce-mass"),
          tenantid: B,
          data: {},
        }),
      });
      expect(answer.status).toBe(202);
      await a().settled(answer.body.id);
      const other = await base
        .withKey(keys.other)
        .request("GET", `/v1/events/${encodeURIComponent(answer.body.id)}`);
      expect(other.status).toBe(404);
    });

    it("a tenant parameter on reads, or in a replay body, is a 400", async () => {
      const list = await a().request("GET", `/v1/events?tenantId=${B}`);
      expect(list.status).toBe(400);
      const failed = await a().request("GET", `/v1/failed?tenantId=${B}`);
      expect(failed.status).toBe(400);
      const replay = await a().request("POST", "/v1/failed/replay", {
        tenantId: B,
        dryRun: true,
      });
      expect(replay.status).toBe(400);
    });
  });
});

/**
 * Rules end to end, over HTTP only: the seeds' default rules as a tenant sees and gets
 * them, a rule changed while events flow (each event keeps the version that applied),
 * dry runs (POST /v1/rules/test) that store nothing, and the errors a bad rule gets.
 *
 * Each tenant is new (keys made with `npm run keys`'s code), so a deployed stack's other
 * tenants and the other e2e files never see these rules.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ruleset } from "../../lambdas/domain/rules.js";
import { canManageKeys, createKey } from "../support/keys.js";
import { type Platform, startPlatform } from "../support/runtime.js";
import { Api, type StoredEvent, sleep, uniqueId, uniqueType } from "./client.js";

/** The bound under test: the process function caches a tenant's rules this long. */
const CACHE_SECONDS = 1;
const DST = "dst_e2erulese2erulese2erules00";

let platform: Platform;
const tenant = (name: string) => `e2e-rules-${name}-${randomBytes(4).toString("hex")}`;

const apiFor = async (name: string, scopes = "events:write,events:read,rules:write") =>
  new Api(platform.url, (await createKey(platform, tenant(name), scopes)).key);

beforeAll(async () => {
  platform = await startPlatform({ settings: { rulesCacheSeconds: CACHE_SECONDS } });
});

afterAll(async () => {
  await platform?.stop();
});

const getRules = async (api: Api) => {
  const answer = await api.request<Ruleset>("GET", "/v1/rules");
  expect(answer.status).toBe(200);
  return answer.body;
};

const putRules = async (api: Api, body: unknown) => {
  const answer = await api.request<Ruleset>("PUT", "/v1/rules", body);
  expect(answer.status, answer.text).toBe(200);
  return answer.body;
};

describe.skipIf(!canManageKeys)("rules", () => {
  it("a new tenant has the seeds' rules as its version-0 defaults, and gets their verdicts", async () => {
    const api = await apiFor("defaults");
    const rules = await getRules(api);
    expect(rules).toMatchObject({ version: 0, source: "default" });
    expect(rules.rules.map((r) => r.name)).toEqual([
      "purchase-amount-is-number",
      "purchase-amount-positive",
      "purchase-category",
      "user-signup-needs-subject",
      "page-view-needs-url",
    ]);
    const ids = [
      await api.send({ type: "purchase", data: { amount: 1500 } }),
      await api.send({ type: "purchase", data: { amount: 20 } }),
      await api.send({ type: "purchase", data: { amount: 0 } }),
      await api.send({ type: "purchase", data: { amount: "12" } }),
      await api.send({ type: "user_signup", data: {} }),
      await api.send({ type: "page_view", data: { url: 42 } }),
      await api.send({ type: "page_view", data: { url: "/pricing" } }),
    ];
    const stored = await api.settledAll(ids);
    const verdict = (e: StoredEvent) =>
      e.status === "failed" ? e.failure?.reason : (e.enrichment?.category ?? "ok");
    expect(stored.map(verdict)).toEqual([
      "high_value",
      "standard",
      "purchase: data.amount must be greater than 0",
      "purchase: data.amount must be a number",
      "user_signup: subject (the user id) is required",
      "page_view: data.url must be a string",
      "ok",
    ]);
    expect(stored.every((e) => e.rulesetVersion === 0)).toBe(true);
    expect(stored.filter((e) => e.status === "failed").every((e) => e.attempts === 1)).toBe(true);
  });

  it("the defaults can be turned off, and brought back as a new version", async () => {
    const api = await apiFor("off");
    const off = await putRules(api, { rules: [] });
    expect(off).toMatchObject({ version: 1, source: "tenant", rules: [] });
    await sleep(CACHE_SECONDS * 1000 + 200);
    const [stored] = await api.settledAll([
      await api.send({ type: "purchase", data: { amount: -5 } }),
    ]);
    expect(stored).toMatchObject({ status: "processed", rulesetVersion: 1 });
    expect(stored?.enrichment).toBeUndefined();

    const back = await api.request<Ruleset>("DELETE", "/v1/rules");
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ version: 2, source: "default" });
    expect(back.body.rules).toHaveLength(5);
    await sleep(CACHE_SECONDS * 1000 + 200);
    const [again] = await api.settledAll([
      await api.send({ type: "purchase", data: { amount: -5 } }),
    ]);
    expect(again).toMatchObject({ status: "failed", rulesetVersion: 2 });
  });

  it("a rule changed while events flow: each event keeps the version that applied", async () => {
    const api = await apiFor("flow");
    const type = uniqueType("flow");
    const stage = (label: string) => ({
      rules: [
        {
          name: "stage",
          match: { type: [type] },
          actions: [{ type: "enrich", set: { stage: `"${label}"` } }],
        },
      ],
    });
    const ids: string[] = [];
    let sending = true;
    const sender = (async () => {
      for (let n = 0; sending; n++) {
        const id = uniqueId(`flow-${n}`);
        ids.push(id);
        await api.send({ id, type, data: { n } });
        await sleep(40);
      }
    })();
    await sleep(600);
    const v1 = await putRules(api, stage("one"));
    await sleep(CACHE_SECONDS * 1000 + 1200);
    const v2 = await putRules(api, { ...stage("two"), expectedVersion: v1.version });
    await sleep(CACHE_SECONDS * 1000 + 1200);
    sending = false;
    await sender;

    const stored = await api.settledAll(ids);
    expect(stored).toHaveLength(ids.length);
    const expectedStage: Record<number, string | undefined> = {
      0: undefined,
      [v1.version]: "one",
      [v2.version]: "two",
    };
    // What the bound promises, on one clock (the runtime stamps all three times):
    // processed before a change was made -> an older version; received a bound (plus
    // slack for the write) after it -> that version or newer.
    const bound = CACHE_SECONDS * 1000 + 500;
    const t1 = Date.parse(v1.updatedAt ?? "");
    const t2 = Date.parse(v2.updatedAt ?? "");
    for (const event of stored) {
      const version = event.rulesetVersion ?? -1;
      expect(Object.keys(expectedStage).map(Number)).toContain(version);
      // The enrichment is the one of the version the event records.
      expect(event.enrichment?.stage, event.id).toBe(expectedStage[version]);
      const processedAt = Date.parse(event.processedAt ?? "");
      const receivedAt = Date.parse(event.receivedAt);
      if (processedAt < t1) expect(version, event.id).toBe(0);
      if (processedAt < t2) expect(version, event.id).toBeLessThanOrEqual(v1.version);
      if (receivedAt > t1 + bound) expect(version, event.id).toBeGreaterThanOrEqual(v1.version);
      if (receivedAt > t2 + bound) expect(version, event.id).toBe(v2.version);
    }
    const versions = new Set(stored.map((e) => e.rulesetVersion));
    expect(versions).toEqual(new Set([0, v1.version, v2.version]));
    // Read again after the changes: old events still carry the version that applied.
    const first = await api.event(ids[0] ?? "");
    expect(first).toMatchObject({ rulesetVersion: 0 });
    expect(first?.enrichment).toBeUndefined();

    // A change made from a stale version is refused.
    const stale = await api.request("PUT", "/v1/rules", {
      ...stage("three"),
      expectedVersion: v1.version,
    });
    expect(stale.status).toBe(409);
  });

  it("POST /v1/rules/test: matches, enrichment and destination bodies; nothing stored or sent", async () => {
    const api = await apiFor("dry");
    const type = uniqueType("dry");
    const draft = [
      {
        name: "tier",
        match: { type: [type] },
        actions: [{ type: "enrich", set: { tier: "data.total >= 100 ? 'gold' : 'basic'" } }],
      },
      {
        name: "gold-out",
        match: { enrichment: { tier: ["gold"] } },
        actions: [
          {
            type: "route",
            destinations: [DST],
            transform: "{ 'order': id, 'total': data.total }",
          },
        ],
      },
    ];
    const one = await api.request<{
      rulesetVersion?: number;
      results: {
        matched: string[];
        enrichment: Record<string, unknown>;
        deliveries: { destinationId: string; body: unknown; deliveryId: string }[];
      }[];
    }>("POST", "/v1/rules/test", {
      event: { id: "order-9", type, data: { total: 250 } },
      rules: draft,
    });
    expect(one.status, one.text).toBe(200);
    expect(one.body.rulesetVersion).toBeUndefined();
    expect(one.body.results).toEqual([
      expect.objectContaining({
        matched: ["tier", "gold-out"],
        outcome: "processed",
        enrichment: { tier: "gold" },
        deliveries: [
          {
            rule: "gold-out",
            destinationId: DST,
            deliveryId: expect.stringMatching(/^dlv_/),
            body: { order: "order-9", total: 250 },
          },
        ],
      }),
    ]);
    expect(await api.event("order-9")).toBeUndefined();

    // The newest stored events of a type, under the tenant's current rules (the defaults).
    const ids = [
      await api.send({ type: "purchase", data: { amount: 5000 } }),
      await api.send({ type: "purchase", data: { amount: -1 } }),
    ];
    await api.settledAll(ids);
    const recent = await api.request<{
      rulesetVersion: number;
      results: { event: { id: string }; outcome: string; rejectedBy?: { rule: string } }[];
    }>("POST", "/v1/rules/test", { type: "purchase", last: 5 });
    expect(recent.status, recent.text).toBe(200);
    expect(recent.body.rulesetVersion).toBe(0);
    const byId = new Map(recent.body.results.map((r) => [r.event.id, r]));
    expect(byId.get(ids[0] ?? "")).toMatchObject({ outcome: "processed" });
    expect(byId.get(ids[1] ?? "")).toMatchObject({
      outcome: "rejected",
      rejectedBy: { rule: "purchase-amount-positive" },
    });
    // Dry runs changed nothing: still version 0.
    expect((await getRules(api)).version).toBe(0);
  });

  it("a bad rule gets a 400 naming each problem's path and a JSONata error's position", async () => {
    const api = await apiFor("bad");
    const answer = await api.request<{ error: { details: { path: string; message: string }[] } }>(
      "PUT",
      "/v1/rules",
      {
        rules: [
          {
            name: "bad",
            match: { data: { amount: [{ numeric: [">>", 1] }] } },
            actions: [{ type: "enrich", set: { total: "data.amount *" } }],
          },
        ],
      },
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([
      { path: "rules[0].match.data.amount[0].numeric[0]", message: "must be one of < <= > >= =" },
      {
        path: "rules[0].actions[0].set.total",
        message: expect.stringMatching(/^S0\d{3} at character \d+: /),
      },
    ]);
    expect((await getRules(api)).version).toBe(0);
    const notJson = await api.request("PUT", "/v1/rules", undefined, {
      raw: "{",
      headers: { "content-type": "application/json" },
    });
    expect(notJson.status).toBe(400);
  });

  it("changing rules needs rules:write; reading them events:read", async () => {
    const reader = await apiFor("scopes", "events:read");
    expect((await reader.request("GET", "/v1/rules")).status).toBe(200);
    expect((await reader.request("PUT", "/v1/rules", { rules: [] })).status).toBe(403);
    expect((await reader.request("DELETE", "/v1/rules")).status).toBe(403);
    const writerOnly = await apiFor("scopes-w", "events:write");
    expect((await writerOnly.request("GET", "/v1/rules")).status).toBe(403);
  });
});

/**
 * Noisy neighbour, on the local runtime with small per-tenant limits (the stack's usage
 * plan settings): one tenant over its rate gets 429 with Retry-After, then over its daily
 * quota, while another tenant's requests keep succeeding all along.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../support/keys.js";
import { type LocalRuntime, localOnly, startLocalRuntime } from "../support/runtime.js";
import { type Answer, Api, sleep, uniqueType } from "./client.js";

const LIMITS = { tenantRateLimit: 5, tenantBurstLimit: 10, tenantQuotaPerDay: 40 };

let runtime: LocalRuntime;
let noisy: Api;
let quiet: Api;

describe.skipIf(!localOnly)("per-tenant limits", () => {
  beforeAll(async () => {
    runtime = await startLocalRuntime({ settings: LIMITS });
    const base = new Api(runtime.url, null);
    const suffix = randomBytes(4).toString("hex");
    noisy = base.withKey((await createKey(runtime, `noisy-${suffix}`, "events:write")).key);
    quiet = base.withKey(
      (await createKey(runtime, `quiet-${suffix}`, "events:write,events:read")).key,
    );
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  const noRetry = { retryThrottled: false };
  const quietSends = async (type: string, count: number, gapMs: number) => {
    const statuses: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const a = await quiet.request<{ id: string }>(
        "POST",
        "/v1/events",
        { type, data: { i } },
        noRetry,
      );
      statuses.push(a.status);
      if (a.status === 202) ids.push(a.body.id);
      await sleep(gapMs);
    }
    return { statuses, ids };
  };

  it("a tenant over its rate gets 429 throttled with Retry-After; another is untouched", async () => {
    const type = uniqueType("noisy");
    const burst = Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        noisy.request("POST", "/v1/events", { type, data: { i } }, noRetry),
      ),
    );
    const quietType = uniqueType("quiet");
    const [answers, calm] = await Promise.all([burst, quietSends(quietType, 8, 150)]);
    const by = (status: number) => answers.filter((a) => a.status === status);
    // The burst (10) and what refills while 30 requests arrive; the rest refused.
    expect(by(202).length).toBeGreaterThanOrEqual(LIMITS.tenantBurstLimit);
    expect(by(202).length).toBeLessThan(20);
    expect(by(429).length).toBe(30 - by(202).length);
    for (const a of by(429) as Answer<{ error: { code: string } }>[]) {
      expect(a.body.error.code).toBe("throttled");
      expect(a.headers.get("retry-after")).toBe("1");
    }
    // The quiet tenant: every request accepted, every event stored.
    expect(calm.statuses.every((s) => s === 202)).toBe(true);
    const stored = await quiet.settledAll(calm.ids);
    expect(stored.every((e) => e.status === "processed")).toBe(true);
  });

  it("waiting out Retry-After is enough: the bucket refills at the rate", async () => {
    await sleep(2_100); // 2 s at 5/s: 10 tokens, the whole burst
    const type = uniqueType("refilled");
    const answers: number[] = [];
    for (let i = 0; i < 5; i++) {
      answers.push((await noisy.request("POST", "/v1/events", { type, data: {} }, noRetry)).status);
    }
    expect(answers).toEqual([202, 202, 202, 202, 202]);
  });

  it("a tenant over its daily quota gets 429 quota_exceeded; another still succeeds", async () => {
    const type = uniqueType("quota");
    let quota: Answer<{ error: { code: string } }> | undefined;
    // Below the rate (4/s), so only the quota can refuse.
    for (let i = 0; i < 60 && !quota; i++) {
      const a = await noisy.request<{ error: { code: string } }>(
        "POST",
        "/v1/events",
        { type, data: { i } },
        noRetry,
      );
      if (a.status === 429 && a.body.error.code === "quota_exceeded") quota = a;
      else expect(a.status).toBe(202);
      await sleep(250);
    }
    expect(quota?.headers.get("retry-after")).toBe("3600");
    // Still refused, whatever the pace.
    await sleep(1_100);
    expect((await noisy.request("GET", "/v1/health", undefined, noRetry)).status).toBe(429);
    const calm = await quietSends(uniqueType("quiet-quota"), 3, 50);
    expect(calm.statuses).toEqual([202, 202, 202]);
  });
});

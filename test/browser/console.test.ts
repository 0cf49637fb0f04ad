/**
 * The local console (local/console/) in a real browser: Debian's Chromium driven by
 * playwright-core against a local runtime. Events sent through the API move the
 * EMF-derived counters and show up in the table; a poison event ends in the failed
 * list and is replayed from the page (dry run, then confirm) until it is processed.
 *
 * Screenshots: reports/screenshots/console-*.png. With UPDATE_CONSOLE_SCREENSHOT=1 the
 * run also refreshes the README's picture, local/console/screenshot.png.
 */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FaultInput } from "../../local/faults.js";
import {
  Api,
  type EventInput,
  type StoredEvent,
  sleep,
  uniqueId,
  uniqueType,
} from "../e2e/client.js";
import { contract } from "../support/openapi-contract.js";
import { type LocalRuntime, startLocalRuntime } from "../support/runtime.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Headless, and nothing in the background: the build machines have no network beyond loopback. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SHOTS = resolve(repoRoot, "reports/screenshots");
const README_SHOT = resolve(repoRoot, "local/console/screenshot.png");
const UI_TIMEOUT = 30_000;

/**
 * The public API with the key the runtime offers its console (GET /_local/dev-key), so
 * the test and the page see the same tenant.
 */
class KeyedApi {
  constructor(
    readonly url: string,
    readonly key: string | undefined,
  ) {}

  /** Through the e2e client, so every answer is checked against the OpenAPI document. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const answer = await new Api(this.url, this.key ?? null).request<T>(method, path, body, {
      retryThrottled: false,
    });
    return { status: answer.status, body: answer.body };
  }

  async send(event: EventInput): Promise<string> {
    const answer = await this.request<{ id: string }>("POST", "/v1/events", event);
    if (answer.status !== 202)
      throw new Error(`POST /v1/events: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.id;
  }

  async sendBatch(events: EventInput[]): Promise<void> {
    const answer = await this.request("POST", "/v1/events", { events });
    if (answer.status !== 202)
      throw new Error(`POST /v1/events: ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  async event(id: string): Promise<StoredEvent | undefined> {
    const answer = await this.request<StoredEvent>("GET", `/v1/events/${encodeURIComponent(id)}`);
    return answer.status === 200 ? answer.body : undefined;
  }

  async faults(input: FaultInput): Promise<void> {
    const answer = await this.request("POST", "/_local/faults", input);
    if (answer.status !== 200) throw new Error(`faults: ${JSON.stringify(answer.body)}`);
  }

  async clearFaults(): Promise<void> {
    await this.request("DELETE", "/_local/faults");
  }
}

/** A GET with headers fetch will not set (Host), for the dev key's guard. */
function rawGet(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      res.resume();
      resolvePromise(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

let runtime: LocalRuntime;
let api: KeyedApi;
/** The runtime's dev key; undefined on a runtime without API keys. */
let devKey: string | undefined;
let browser: Browser;
let page: Page;
/** Problems the page reported: script errors, console errors, requests to other origins. */
const pageProblems: string[] = [];

async function shot(name: string): Promise<string> {
  const path = resolve(SHOTS, `console-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A tile's figure as a number ("1,234" -> 1234). */
async function tileValue(id: string): Promise<number> {
  const text = (await page.locator(`#tile-${id} .value`).textContent()) ?? "";
  const n = Number(text.replaceAll(",", ""));
  return Number.isFinite(n) ? n : Number.NaN;
}

async function waitForTile(id: string, atLeast: number): Promise<void> {
  await expect
    .poll(() => tileValue(id), { timeout: UI_TIMEOUT, interval: 250 })
    .toBeGreaterThanOrEqual(atLeast);
}

const MISSING_CHROMIUM = `Chromium is not installed at ${CHROMIUM}: the browser tests drive Debian's chromium. Install it with \`apt-get update && apt-get install -y chromium\` (.ci/run does this when it runs as root), or set CHROMIUM_PATH.`;

// Counted as a failed test (not only a failed hook, whose tests count as skipped).
it("finds Debian's Chromium", () => {
  expect(existsSync(CHROMIUM), MISSING_CHROMIUM).toBe(true);
});

describe("local console in Chromium", () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(MISSING_CHROMIUM);
    mkdirSync(SHOTS, { recursive: true });
    // Small retry delays and a 1 s function timeout: a poison event reaches the DLQ (five
    // receives) in seconds instead of minutes.
    runtime = await startLocalRuntime({
      settings: {
        processTimeoutSeconds: 1,
        retryBaseDelaySeconds: 1,
        retryMaxDelaySeconds: 1,
        // A declaration applies to the next events at once (the aggregates test).
        windowConfigCacheSeconds: 0,
      },
    });
    const offered = await fetch(`${runtime.url}/_local/dev-key`);
    devKey = offered.ok ? ((await offered.json()) as { key: string }).key : undefined;
    api = new KeyedApi(runtime.url, devKey);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    page = await context.newPage();
    const origin = new URL(runtime.url).origin;
    page.on("pageerror", (error) => pageProblems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      // A non-2xx fetch is logged as "Failed to load resource" (a 404 for an id not stored
      // yet, /_local/dev-key before keys exist): answers the page handles, not errors.
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        pageProblems.push(`console error: ${message.text()}`);
      }
    });
    // The page's own API calls keep the OpenAPI contract too (test/support/openapi-contract.ts).
    page.on("response", async (response) => {
      const url = new URL(response.url());
      if (url.origin !== origin || !url.pathname.startsWith("/v1/")) return;
      const request = response.request();
      let headers: { request: Record<string, string>; response: Record<string, string> };
      try {
        headers = { request: await request.allHeaders(), response: await response.allHeaders() };
      } catch {
        // The page closed while a poll's answer was in flight (the console polls several
        // panels): nothing left to check.
        return;
      }
      const violation = await contract().check({
        method: request.method(),
        path: `${url.pathname}${url.search}`,
        requestHeaders: headers.request,
        ...(request.postData() ? { requestBody: request.postData() ?? "" } : {}),
        status: response.status(),
        responseHeaders: new Headers(headers.response),
        responseText: await response.text().catch(() => ""),
      });
      if (violation) pageProblems.push(`contract: ${JSON.stringify(violation)}`);
    });
    page.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith("data:") && new URL(url).origin !== origin) {
        pageProblems.push(`request to another origin: ${url}`);
      }
    });
    await page.goto(`${runtime.url}/`);
    await page.locator("#conn", { hasText: "live" }).waitFor({ timeout: UI_TIMEOUT });
    // A one-minute window: the whole run fits in it, so the charts have a shape.
    await page.selectOption("#window", "60");
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it("serves the console and the API docs as static files with the right types", async () => {
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${runtime.url}${path}`, { headers });
    const index = await get("/");
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(index.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(await index.text()).toContain('src="/console/console.js"');
    const script = await get("/console/console.js");
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const etag = script.headers.get("etag");
    expect(etag).toBeTruthy();
    expect((await get("/console/console.js", { "if-none-match": etag ?? "" })).status).toBe(304);
    expect((await get("/console/console.css")).headers.get("content-type")).toBe(
      "text/css; charset=utf-8",
    );
    expect((await get("/console/screenshot.png")).headers.get("content-type")).toBe("image/png");
    for (const path of ["/console/%2e%2e%2fruntime.ts", "/console/nope.js", "/console/.x.js"]) {
      expect((await get(path)).status, path).toBe(404);
    }
    if (devKey) {
      // Only to this machine's pages: not to a rebound DNS name, not to a cross-site fetch.
      const devKeyUrl = `${runtime.url}/_local/dev-key`;
      expect(await rawGet(devKeyUrl, {})).toBe(200);
      expect(await rawGet(devKeyUrl, { host: "attacker.example" })).toBe(403);
      expect(await rawGet(devKeyUrl, { "sec-fetch-site": "cross-site" })).toBe(403);
    }
    const docs = await get("/docs");
    expect(docs.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await docs.text()).toContain("/v1/failed/replay");
  });

  it("shows events sent through the API: the counters move and the event is listed", async () => {
    if (devKey) {
      // The page took the runtime's dev key by itself.
      await page
        .locator("#key-state", { hasText: "local dev key" })
        .waitFor({ timeout: UI_TIMEOUT });
    }
    await page.locator("#tile-received .value").filter({ hasText: /^\d/ }).waitFor();
    const receivedBefore = await tileValue("received");
    const processedBefore = await tileValue("processed");
    const type = uniqueType("console");
    const id = uniqueId("console");
    // A few seconds of traffic, so the per-second chart has a shape.
    await api.send({ id, type, data: { amount: 42, note: "sent by the browser test" } });
    for (let i = 0; i < 4; i++) {
      await api.sendBatch(Array.from({ length: 3 }, (_, j) => ({ type, data: { i, j } })));
      await sleep(700);
    }
    const sent = 13;
    await waitForTile("received", receivedBefore + sent);
    await waitForTile("processed", processedBefore + sent);

    // The figures are the EMF aggregation, not a count of the page's own.
    const metrics = (await (await fetch(`${runtime.url}/_local/metrics`)).json()) as {
      totals: Record<string, { sum: number }>;
    };
    expect(await tileValue("received")).toBe(metrics.totals.EventsReceived?.sum);
    const rateLegend = page.locator('#chart-rate [data-series="received"] b');
    await expect.poll(() => rateLegend.textContent(), { timeout: UI_TIMEOUT }).toMatch(/· 1\d/);
    await expect
      .poll(() => page.locator("#chart-processing [data-series='p50'] b").textContent())
      .toMatch(/ms in the window/);

    await page.fill("#filter-type", type);
    const rows = page.locator("#events-table tbody tr[data-id]");
    await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(sent);
    const statuses = await page.locator("#events-table tbody .badge").allTextContents();
    expect(statuses).toEqual(new Array(sent).fill("processed"));

    await page.fill("#search-id", id);
    const row = page.locator(`#events-table tbody tr[data-id="${id}"]`);
    await row.waitFor({ timeout: UI_TIMEOUT });
    await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(1);
    expect(await row.locator(".badge").textContent()).toBe("processed");
    await row.locator("button.link").click();
    await expect
      .poll(() => page.locator("#events-table tr.detail pre").textContent())
      .toContain("sent by the browser test");
    await shot("events");
    await row.locator("button.link").click();
    await page.fill("#search-id", "");
    await page.fill("#filter-type", "");
  });

  it("shows an aggregation's windows live, open, with the events counted once", async () => {
    const type = uniqueType("agg");
    const name = `console-${type.slice(-8)}`;
    const declared = await api.request("PUT", `/v1/aggregations/${name}`, {
      match: { type: [type] },
      groupBy: ["subject"],
      measures: [
        { name: "n", op: "count" },
        { name: "total", op: "sum", path: "data.amount" },
      ],
      window: { kind: "tumbling", size: "1h" },
    });
    expect(declared.status).toBe(201);
    const id = uniqueId("agg");
    await api.send({ id, type, subject: "buyer-1", data: { amount: 30 } });
    await api.send({ id, type, subject: "buyer-1", data: { amount: 30 } });
    await api.send({ type, subject: "buyer-1", data: { amount: 12 } });
    const row = page.locator("#aggregates-table tbody tr", { hasText: name });
    await expect
      .poll(async () => ((await row.count()) > 0 ? await row.first().textContent() : ""), {
        timeout: UI_TIMEOUT,
      })
      .toMatch(/n=2 total=42/);
    expect(await row.first().textContent()).toContain('"buyer-1"');
    expect(await row.first().locator(".badge").textContent()).toBe("open");
    await shot("aggregates");
  });

  it("shows the tenant's rules in order, and a change within its refresh", async () => {
    const rows = page.locator("#rules-table tbody tr[data-rule]");
    await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBeGreaterThan(0);
    const before = await api.request<{ version: number; rules: { name: string }[] }>(
      "GET",
      "/v1/rules",
    );
    expect(
      await page.locator("#rules-table tbody tr[data-rule] td:nth-child(2)").allTextContents(),
    ).toEqual(before.body.rules.map((r) => r.name));
    // One more rule at the end (the defaults kept): the panel shows it with its action.
    const put = await api.request<{ version: number }>("PUT", "/v1/rules", {
      rules: [
        ...before.body.rules,
        {
          name: "console-test-rule",
          match: { type: [{ prefix: "console." }] },
          actions: [{ type: "enrich", set: { seen: "true" } }],
        },
      ],
    });
    expect(put.status).toBe(200);
    const added = page.locator('#rules-table tbody tr[data-rule="console-test-rule"]');
    await added.waitFor({ timeout: UI_TIMEOUT });
    expect(await added.textContent()).toContain("enrich: seen = true");
    await expect
      .poll(() => page.locator("#rules-version").textContent(), { timeout: UI_TIMEOUT })
      .toContain(`version ${put.body.version}`);
    await shot("rules");
    expect((await api.request("DELETE", "/v1/rules")).status).toBe(200);
  });

  it("lists a poison event as failed, replays it after a dry run, and it ends processed", async () => {
    const type = uniqueType("poison");
    const id = uniqueId("poison");
    await api.faults({ poisonType: type });
    await page.locator("#banner", { hasText: type }).waitFor({ timeout: UI_TIMEOUT });
    await api.send({ id, type, data: { amount: 7 } });
    await api.sendBatch(Array.from({ length: 5 }, (_, i) => ({ type: `${type}.ok`, data: { i } })));

    // maxReceiveCount receives, then the DLQ, then the dlq function records it failed.
    const failedRow = page.locator(`#failed-table tbody tr[data-id="${id}"]`);
    await failedRow.waitFor({ timeout: 90_000 });
    expect(await failedRow.locator(".badge").textContent()).toBe("dead_letter");
    expect(await failedRow.locator("td.reason").textContent()).not.toBe("");
    await waitForTile("failed", 1);
    expect(await page.locator("#tile-failed .sub").textContent()).toContain("1 dead-lettered");
    await shot("failed");

    await api.clearFaults();
    await page.locator("#banner").waitFor({ state: "hidden", timeout: UI_TIMEOUT });
    await failedRow.locator("button.replay-one").click();
    const panel = page.locator("#replay-panel");
    await panel.waitFor({ state: "visible", timeout: UI_TIMEOUT });
    expect(await panel.locator(".replay-title").textContent()).toContain(
      "Dry run: 1 event would be replayed",
    );
    await panel.locator(`.replay-list li[data-id="${id}"]`).waitFor();
    const dryRunShot = await shot("replay-dry-run");
    if (process.env.UPDATE_CONSOLE_SCREENSHOT === "1") copyFileSync(dryRunShot, README_SHOT);
    // A dry run changes nothing.
    expect((await api.event(id))?.status).toBe("failed");

    await page.click("#replay-confirm");
    await page
      .locator("#replay-result", { hasText: "Replayed 1 event" })
      .waitFor({ timeout: UI_TIMEOUT });
    await failedRow.waitFor({ state: "detached", timeout: 60_000 });
    await page.fill("#search-id", id);
    await page
      .locator(`#events-table tbody tr[data-id="${id}"] .badge`, { hasText: "processed" })
      .waitFor({ timeout: 60_000 });
    await page.fill("#search-id", "");
    await shot("replayed");
    const stored = await api.event(id);
    expect(stored?.status).toBe("processed");
  });

  it("made no request to another origin and logged no error", () => {
    expect(pageProblems).toEqual([]);
  });
});

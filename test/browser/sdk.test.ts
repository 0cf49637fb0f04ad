/**
 * The producer SDK in Chromium (playwright-core): the browser example the local runtime
 * serves at /examples/sdk/ (sdk/examples/browser/) tracks and sends from the page, and
 * the SDK bundle, used from the page, delivers 1,000 tracked events in batches. Every event
 * is then read back through the API.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api, uniqueType, waitFor } from "../e2e/client.js";
import { type LocalRuntime, startLocalRuntime } from "../support/runtime.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
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

let runtime: LocalRuntime;
let browser: Browser;
let page: Page;
const problems: string[] = [];

describe("the SDK in a browser", () => {
  beforeAll(async () => {
    runtime = await startLocalRuntime();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
    page = await (await browser.newContext()).newPage();
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it("the example page tracks a page view and sends a purchase", async () => {
    await page.goto(`${runtime.url}/examples/sdk/`);
    await page.locator("#state", { hasText: "ready" }).waitFor({ timeout: 30_000 });
    await page.click("#track");
    await page.fill("#amount", "42");
    await page.click("#send");
    const line = await page
      .locator("#log", { hasText: "purchase queued" })
      .textContent({ timeout: 30_000 });
    const id = /purchase queued: (\S+)/.exec(line ?? "")?.[1] ?? "";
    const api = new Api(runtime.url);
    const purchase = await api.settled(id);
    expect(purchase).toMatchObject({ type: "purchase", data: { amount: 42, currency: "EUR" } });
    const views = await waitFor(
      async () => {
        const { items } = await api.listAll({ type: "page_view" });
        return items.find((e) => e.data.url === "/examples/sdk/");
      },
      30_000,
      "the tracked page view",
    );
    expect(views.status).toBe("processed");
    expect(problems).toEqual([]);
  });

  it("1,000 events tracked in the page arrive in batches, each stored once", async () => {
    const type = uniqueType("browser-sdk");
    const stats = await page.evaluate(async (type) => {
      type Client = {
        track(e: unknown): void;
        close(): Promise<void>;
        stats(): Record<string, number>;
      };
      const w = globalThis as unknown as {
        location: { origin: string };
        eventflow: { EventFlow: new (o: object) => Client; key: string };
      };
      const client = new w.eventflow.EventFlow({
        url: w.location.origin,
        apiKey: w.eventflow.key,
        maxBatchEvents: 100,
      });
      for (let n = 0; n < 1000; n++) client.track({ type, data: { n } });
      await client.close();
      return client.stats();
    }, type);
    expect(stats).toMatchObject({ accepted: 1000, rejected: 0, failed: 0, requests: 10 });
    const api = new Api(runtime.url);
    const stored = await waitFor(
      async () => {
        const { items } = await api.listAll({ type, limit: "100" });
        return items.length >= 1000 ? items : undefined;
      },
      60_000,
      "1,000 events stored",
      500,
    );
    expect(stored).toHaveLength(1000);
    expect(new Set(stored.map((e) => e.data.n)).size).toBe(1000);
    expect(problems).toEqual([]);
  });
});

/**
 * The load generator end to end against a throwaway in-process fake of the EventFlow
 * API (ingest → in-memory queue → processor with the business rules → query API), with
 * faults that the accounting must catch.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LoadOptions, parseOptions } from "../../../../load-testing/core/options.js";
import { type RunOutput, runLoad } from "../../../../load-testing/core/run.js";

interface Faults {
  /** Answer "queued" for every n-th event but never store it. */
  loseEvery?: number;
  /** List results repeat every n-th item. */
  listRepeatEvery?: number;
  /** Store every n-th valid event as failed. */
  wrongStatusEvery?: number;
  /** Answer 429 to every n-th POST. */
  throttleEvery?: number;
  /** Count every n-th stored event twice in the stats. */
  statsDoubleEvery?: number;
  /** Queue the events of every n-th POST but never answer it. */
  hangEvery?: number;
}

interface Stored {
  id: string;
  type: string;
  status: "processed" | "failed";
  receivedAt: string;
  processedAt?: string;
  failedAt?: string;
  failure?: { kind: string; reason: string };
  data: Record<string, unknown>;
}

type Incoming = {
  id?: string;
  type?: unknown;
  subject?: string;
  data?: Record<string, unknown>;
};

function fakeApi(faults: Faults = {}) {
  const queue: { event: Incoming & { id: string }; receivedAt: string }[] = [];
  const table = new Map<string, Stored>();
  const stats = new Map<string, { processed: number; failed: number; duplicate: number }>();
  let accepted = 0;
  let posts = 0;
  let processedCount = 0;
  const counter = (type: string) => {
    const c = stats.get(type) ?? { processed: 0, failed: 0, duplicate: 0 };
    stats.set(type, c);
    return c;
  };
  const ruleBroken = (e: Incoming) =>
    (e.type === "purchase" && !(Number(e.data?.amount) > 0)) ||
    (e.type === "user_signup" && !e.subject) ||
    (e.type === "page_view" && !e.data?.url);

  const processor = setInterval(() => {
    for (const { event, receivedAt } of queue.splice(0, 500)) {
      const type = String(event.type);
      if (table.has(event.id)) {
        counter(type).duplicate++;
        continue;
      }
      processedCount++;
      const now = new Date().toISOString();
      let failed = ruleBroken(event);
      if (!failed && faults.wrongStatusEvery && processedCount % faults.wrongStatusEvery === 0) {
        failed = true;
      }
      const item: Stored = failed
        ? {
            id: event.id,
            type,
            status: "failed",
            receivedAt,
            failedAt: now,
            failure: { kind: "business_rule", reason: "rule" },
            data: event.data ?? {},
          }
        : {
            id: event.id,
            type,
            status: "processed",
            receivedAt,
            processedAt: now,
            data: event.data ?? {},
          };
      table.set(event.id, item);
      counter(type)[item.status]++;
      if (faults.statsDoubleEvery && processedCount % faults.statsDoubleEvery === 0) {
        counter(type)[item.status]++;
      }
    }
  }, 20);

  const json = (res: import("node:http").ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST" && url.pathname === "/v1/events") {
        posts++;
        if (faults.throttleEvery && posts % faults.throttleEvery === 0) {
          return json(res, 429, { message: "Too Many Requests" });
        }
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        const receivedAt = new Date().toISOString();
        const take = (e: Incoming) => {
          accepted++;
          const event = { ...e, id: e.id ?? `gen-${accepted}` };
          if (!(faults.loseEvery && accepted % faults.loseEvery === 0)) {
            queue.push({ event, receivedAt });
          }
          return event.id;
        };
        if (faults.hangEvery && posts % faults.hangEvery === 0) {
          for (const e of body.events as Incoming[]) take(e);
          return; // no answer: the client times out
        }
        if (Array.isArray(body.events)) {
          const results = (body.events as Incoming[]).map((e, index) =>
            typeof e.type === "string" && e.data
              ? { index, id: take(e), status: "queued" }
              : { index, status: "rejected", errors: ["type"] },
          );
          const ok = results.filter((r) => r.status === "queued").length;
          return json(res, 202, { accepted: ok, rejected: results.length - ok, results });
        }
        return json(res, 202, { id: take(body), status: "queued" });
      }
      if (req.method !== "GET") return json(res, 405, {});
      if (url.pathname === "/v1/health") return json(res, 200, { status: "ok" });
      if (url.pathname === "/v1/stats") {
        return json(res, 200, { types: [...stats].map(([type, c]) => ({ type, ...c })) });
      }
      if (url.pathname === "/v1/events") {
        const type = url.searchParams.get("type");
        const from = url.searchParams.get("from") ?? "";
        const to = url.searchParams.get("to") ?? "9999";
        const limit = Number(url.searchParams.get("limit") ?? 100);
        const offset = Number(url.searchParams.get("cursor") ?? 0);
        const all = [...table.values()]
          .filter((e) => (!type || e.type === type) && e.receivedAt >= from && e.receivedAt <= to)
          .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
        const items: Stored[] = [];
        all.slice(offset, offset + limit).forEach((e, i) => {
          items.push(e);
          if (faults.listRepeatEvery && (offset + i + 1) % faults.listRepeatEvery === 0) {
            items.push(e);
          }
        });
        const next = offset + limit < all.length ? String(offset + limit) : undefined;
        return json(res, 200, { items, ...(next ? { nextCursor: next } : {}) });
      }
      const match = /^\/v1\/events\/([^/]+)$/.exec(url.pathname);
      if (match?.[1]) {
        const item = table.get(decodeURIComponent(match[1]));
        return item ? json(res, 200, item) : json(res, 404, { message: "not found" });
      }
      return json(res, 404, {});
    });
  });
  return {
    server,
    table,
    async start(): Promise<string> {
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async stop() {
      clearInterval(processor);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let outRoot: string;
beforeAll(async () => {
  outRoot = await mkdtemp(path.join(tmpdir(), "eventflow-load-"));
});
afterAll(async () => {
  await rm(outRoot, { recursive: true, force: true });
});

let api: ReturnType<typeof fakeApi> | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

async function run(args: string[], faults: Faults = {}) {
  api = fakeApi(faults);
  const url = await api.start();
  const options = parseOptions(
    ["--url", url, "--out", path.join(outRoot, String(Math.random())), "--seed", "7", ...args],
    {},
  ) as LoadOptions;
  return (await runLoad(options, { status: () => {} })) as RunOutput;
}

/** One invocation against the running fake API (no new API): a generator or a merge. */
async function invoke(url: string, args: string[]) {
  const options = parseOptions(["--url", url, ...args], {}) as LoadOptions;
  return runLoad(options, { status: () => {} });
}

describe("several generators, one verdict", () => {
  it("merges two generators' ledgers: every event of both checked once", async () => {
    api = fakeApi({});
    const url = await api.start();
    const dir = await mkdtemp(path.join(tmpdir(), "load-merge-"));
    const files = [0, 1].map((i) => path.join(dir, `ledger-${i}.json`));
    for (const [i, file] of files.entries()) {
      const common = ["--run-id", "mrg1", "--count", "200", "--connections", "2"];
      const out = await invoke(url, [...common, "--worker", `${i}/2`, "--send-only", file]);
      expect(out).toMatchObject({ sendOnly: file, counts: { acceptedUnique: 100 } });
    }
    const merged = (await invoke(url, [
      ...["--merge", files.join(","), "--drain-timeout", "10"],
      ...["--out", path.join(outRoot, "merged")],
    ])) as RunOutput;
    const a = merged.result.accounting;
    expect(merged.result.runId).toBe("mrg1");
    expect(merged.result.ok).toBe(true);
    expect([a.lost, a.duplicated, a.unexpected]).toEqual([0, 0, 0]);
    expect(a.ledger.acceptedUnique).toBe(200);
    expect(a.verdict.checked).toBe(200);
    expect(a.stats?.storedDelta).toBe(200);
  });

  it("a generator's lost events fail the merged run", async () => {
    api = fakeApi({ loseEvery: 50 });
    const url = await api.start();
    const dir = await mkdtemp(path.join(tmpdir(), "load-merge-"));
    const files = [0, 1].map((i) => path.join(dir, `ledger-${i}.json`));
    for (const [i, file] of files.entries()) {
      await invoke(url, [
        ...["--run-id", "mrg2", "--count", "100", "--worker", `${i}/2`, "--send-only", file],
      ]);
    }
    const merged = (await invoke(url, [
      ...["--merge", files.join(","), "--drain-timeout", "2"],
      ...["--out", path.join(outRoot, "merged-lost")],
    ])) as RunOutput;
    expect(merged.result.ok).toBe(false);
    expect(merged.result.accounting.lost).toBeGreaterThan(0);
  });

  it("refuses ledgers of two runs, and the same worker twice", () => {
    expect(() => parseOptions(["--worker", "0/2"], {})).toThrow(/--run-id/);
    expect(() => parseOptions(["--worker", "2/2", "--run-id", "x"], {})).toThrow(/I\/N/);
    expect(() => parseOptions(["--processes", "2", "--merge", "a"], {})).toThrow(/at most one/);
  });
});

describe("load generator against a fake API", () => {
  it("accounts for every event: duplicates and business-rule failures are expected", async () => {
    const { result, jsonPath, htmlPath } = await run([
      ...["--duration", "2", "--rate", "1000", "--batch", "25", "--connections", "4"],
      ...["--duplicates", "0.05", "--invalid", "0.1", "--size", "512", "--drain-timeout", "10"],
    ]);
    const a = result.accounting;
    expect(result.ok).toBe(true);
    expect([a.lost, a.duplicated, a.unexpected]).toEqual([0, 0, 0]);
    expect(a.ledger.acceptedUnique).toBeGreaterThan(1000);
    expect(a.ledger.acceptedDuplicateSends).toBeGreaterThan(0);
    expect(a.ledger.expectedFailures).toBeGreaterThan(0);
    expect(a.verdict.failedAsExpected).toBe(a.ledger.expectedFailures);
    expect(a.stats?.storedDelta).toBe(a.ledger.acceptedUnique);
    expect(a.stats?.duplicateDelta).toBe(a.ledger.acceptedDuplicateSends);
    expect(a.drain.drained).toBe(true);
    // 1000 events/s for 2 s, within the 1-second windows of the rate limiter.
    expect(result.ingest.eventsSent).toBeGreaterThanOrEqual(1500);
    expect(result.ingest.eventsSent).toBeLessThanOrEqual(3200);
    expect(result.ingest.statusCodes["202"]).toBe(result.ingest.requests);
    expect(result.endToEnd.basis).toBe("sentAt");
    expect(result.endToEnd.latencyMs.count).toBe(a.ledger.acceptedUnique);
    expect(result.timeline.requests.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(await readFile(jsonPath, "utf8")).runId).toBe(result.runId);
    const html = await readFile(htmlPath, "utf8");
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script|<link|src=|href=/i);
  });

  it("sends exactly --count events in the single-event form with --batch 1, verified by GET", async () => {
    const { result } = await run(
      ["--count", "300", "--batch", "1", "--connections", "3", "--verify", "get"],
      {},
    );
    expect(result.ok).toBe(true);
    expect(result.ingest.eventsSent).toBe(300);
    expect(result.ingest.requests).toBe(300);
    expect(result.accounting.verdict.processed).toBe(300);
    expect(result.accounting.verify.listPages).toBe(0);
    expect(api?.table.size).toBe(300);
  });

  it("reports events answered 'queued' but never stored as lost", async () => {
    const { result } = await run(["--count", "500", "--drain-timeout", "2"], { loseEvery: 50 });
    expect(result.ok).toBe(false);
    expect(result.accounting.lost).toBe(10);
    expect(result.accounting.verdict.samples.lost).toHaveLength(10);
    expect(result.accounting.drain.drained).toBe(false);
    expect(result.accounting.stats?.shortfall).toBe(10);
  });

  it("reports an id listed twice, and stats counting more than was accepted, as duplicated", async () => {
    // One type: list offsets (and so the repeats) are per type.
    const listed = await run(["--count", "400", "--mix", "purchase=1"], { listRepeatEvery: 100 });
    expect(listed.result.accounting.verdict.duplicated).toBe(4);
    expect(listed.result.ok).toBe(false);
    await api?.stop();
    const counted = await run(["--count", "400"], { statsDoubleEvery: 200 });
    expect(counted.result.accounting.verdict.duplicated).toBe(0);
    expect(counted.result.accounting.stats?.excess).toBe(2);
    expect(counted.result.accounting.duplicated).toBe(2);
  });

  it("reports events stored with the wrong status as unexpected", async () => {
    const { result } = await run(["--count", "300"], { wrongStatusEvery: 100 });
    expect(result.accounting.unexpected).toBe(3);
    expect(result.accounting.verdict.samples.unexpected[0]?.reason).toMatch(/status failed/);
  });

  it("treats stored events of unanswered requests as in doubt, not unexpected", async () => {
    const { result } = await run(
      ["--count", "500", "--batch", "10", "--connections", "5", "--timeout", "1"],
      { hangEvery: 10 },
    );
    const a = result.accounting;
    expect(result.ingest.statusCodes.timeout).toBe(5);
    expect(a.ledger.inDoubt).toBe(50);
    expect(a.verdict.inDoubtStored).toBe(50);
    expect(a.stats?.expectedStored).toBe(500);
    expect([a.lost, a.duplicated, a.unexpected]).toEqual([0, 0, 0]);
  });

  it("counts throttled requests by status without calling their events lost", async () => {
    const { result } = await run(["--count", "1000", "--batch", "10"], { throttleEvery: 5 });
    expect(result.ok).toBe(true);
    expect(result.ingest.statusCodes["429"]).toBe(20);
    expect(result.accounting.ledger.httpErrors["429"]).toBe(200);
    expect(result.accounting.ledger.acceptedUnique).toBe(800);
  });
});

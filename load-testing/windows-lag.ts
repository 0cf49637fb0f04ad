/**
 * `npm run load:windows -- --url U --api-key K [--rate 500] [--duration 180]`: are windows
 * closed and emitted on time under load? Declares two 1-minute tumbling aggregations (per
 * type: 3 groups; per purchase sku: up to 1,000 groups), runs `npm run load` at the rate
 * for the duration, waits for the last window to close, and reports the lag of every
 * `eventflow.window.closed` behind its window's end:
 *   emitted = the derived event's receivedAt (the sweep queued it) - window end
 *   stored  = its processedAt (stored, routable) - window end
 * The floor is allowedLateness (5 s here) + windowFenceSeconds; a pass runs every
 * windowSweepSeconds. Numbers only; it asserts nothing.
 */
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { percentile } from "./bench/stats.js";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://localhost:3000" },
    "api-key": { type: "string" },
    rate: { type: "string", default: "500" },
    duration: { type: "string", default: "180" },
  },
});
const url = (values.url ?? "").replace(/\/+$/, "");
const key = values["api-key"] ?? process.env.EVENTFLOW_API_KEY ?? "";
const run = Date.now().toString(36);
const LATENESS_S = 5;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

interface Derived {
  receivedAt: string;
  processedAt?: string;
  data: { aggregation: string; window: { end: string }; count: number };
}

async function main() {
  const names = { byType: `lag-type-${run}`, bySku: `lag-sku-${run}` };
  const common = {
    measures: [
      { name: "n", op: "count" },
      { name: "revenue", op: "sum", path: "data.amount" },
    ],
    window: { kind: "tumbling", size: "1m" },
    allowedLateness: `${LATENESS_S}s`,
  };
  await call("PUT", `/v1/aggregations/${names.byType}`, { ...common, groupBy: ["type"] });
  await call("PUT", `/v1/aggregations/${names.bySku}`, {
    ...common,
    match: { type: ["purchase"] },
    groupBy: ["data.sku"],
  });
  const started = Date.now();
  process.stderr.write(
    `declared ${names.byType}, ${names.bySku}; npm run load at ${values.rate}/s for ${values.duration}s\n`,
  );
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      "npx",
      [
        "tsx",
        "load-testing/load.ts",
        "--url",
        url,
        "--api-key",
        key,
        "--rate",
        String(values.rate),
        "--duration",
        String(values.duration),
        "--pacing",
        "even",
        "--connections",
        "20",
      ],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    child.on("error", reject);
    // A run that could not verify every event (an overloaded machine) still closed windows:
    // measured anyway, and said.
    child.on("exit", (code) => {
      if (code !== 0)
        process.stderr.write(`npm run load exited ${code}: the lag below is measured anyway\n`);
      resolve();
    });
  });
  // Every window that held load events has ended by now; wait for its close + a few passes.
  const lastEnd = Math.ceil(Date.now() / 60_000) * 60_000;
  const waitMs = lastEnd + (LATENESS_S + 30) * 1000 - Date.now();
  process.stderr.write(`waiting ${Math.round(waitMs / 1000)} s for the last windows to close\n`);
  await new Promise((r) => setTimeout(r, Math.max(0, waitMs)));
  const all: Derived[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(
      "GET",
      `/v1/events?type=eventflow.window.closed&limit=100&from=${encodeURIComponent(new Date(started).toISOString())}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    all.push(...((page.items ?? []) as Derived[]));
    cursor = page.nextCursor as string | undefined;
  } while (cursor);
  for (const name of Object.values(names)) {
    const mine = all.filter((d) => d.data.aggregation === name);
    const emitted = mine.map((d) => Date.parse(d.receivedAt) - Date.parse(d.data.window.end));
    const stored = mine.flatMap((d) =>
      d.processedAt ? [Date.parse(d.processedAt) - Date.parse(d.data.window.end)] : [],
    );
    const events = mine.reduce((s, d) => s + d.data.count, 0);
    const fmt = (v: number[]) =>
      v.length === 0
        ? "-"
        : `p50 ${(percentile(v, 50) / 1000).toFixed(1)} s, p99 ${(percentile(v, 99) / 1000).toFixed(1)} s, max ${(Math.max(...v) / 1000).toFixed(1)} s`;
    process.stdout.write(
      `${name}: ${mine.length} windows closed (${events} events counted); lag behind window end: emitted ${fmt(emitted)}; stored ${fmt(stored)}\n`,
    );
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

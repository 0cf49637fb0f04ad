/**
 * The run's result (the JSON file) and a self-contained HTML report with inline SVG
 * charts: no script, no external resource, readable offline and attachable to an issue.
 */
import type { LedgerCounts, StatsCheck, Verdict } from "./accounting.js";
import type { CeilingResult, PipelineRate } from "./ceiling.js";
import type { HistogramBin, Summary, TimeBucket } from "./stats.js";

export interface LoadResult {
  ok: boolean;
  runId: string;
  url: string;
  startedAt: string;
  finishedAt: string;
  settings: Record<string, unknown>;
  ingest: {
    seconds: number;
    requests: number;
    eventsSent: number;
    eventsAccepted: number;
    eventsPerSecond: number;
    acceptedEventsPerSecond: number;
    requestsPerSecond: number;
    latencyMs: Summary;
    latencyHistogram: HistogramBin[];
    /** Requests by HTTP status; "timeout" and "connection_error" for unanswered ones. */
    statusCodes: Record<string, number>;
  };
  endToEnd: {
    /** sentAt: processedAt - data.sentAt; receivedAt: processedAt - receivedAt (server side only). */
    basis: string;
    latencyMs: Summary;
    latencyHistogram: HistogramBin[];
  };
  accounting: {
    lost: number;
    duplicated: number;
    unexpected: number;
    unverified: number;
    ledger: LedgerCounts;
    verdict: Verdict;
    stats?: StatsCheck;
    drain: { drained: boolean; statsAvailable: boolean; waitedSeconds: number };
    verify: {
      mode: string;
      seconds: number;
      listPages: number;
      getRequests: number;
      retryRounds: number;
      queryErrors: Record<string, number>;
    };
    notes: string[];
  };
  timeline: {
    /** Per second of the send phase: answered requests (count), events in them (weight), latency. */
    requests: TimeBucket[];
    /** Per second of the send phase: events answered "queued" (weight). */
    accepted: TimeBucket[];
    /** Per second since the run's start, by processedAt/failedAt: events stored and their end-to-end latency. */
    processed: TimeBucket[];
  };
  autocannon: Record<string, unknown>;
  /** With --ceiling: the emulator's ceiling and this run's end-to-end rate (core/ceiling.ts). */
  ceiling?: CeilingResult & { pipeline: PipelineRate };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const fmt = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined ? "–" : Number(x.toFixed(digits)).toLocaleString("en-US");

export interface Series {
  name: string;
  color: string;
  points: readonly (readonly [x: number, y: number | null])[];
}

/** "Nice" axis maximum and step: 1, 2 or 5 times a power of ten. */
export function niceScale(max: number, ticks = 5): { max: number; step: number } {
  if (!(max > 0)) return { max: 1, step: 0.2 };
  const raw = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * pow >= raw) ?? 10) * pow;
  return { max: Math.ceil(max / step) * step, step };
}

/** A line chart as an SVG string; null y values break the line. */
export function lineChart(title: string, yLabel: string, xLabel: string, series: Series[]): string {
  const W = 720;
  const H = 240;
  const L = 64;
  const R = 16;
  const T = 28;
  const B = 40;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.flatMap((p) => (p[1] === null ? [] : [p[1]])));
  if (xs.length === 0 || ys.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="60" role="img"><title>${esc(title)}</title><text x="8" y="20" font-size="13" font-weight="bold">${esc(title)}</text><text x="8" y="44" font-size="12">no data</text></svg>`;
  }
  const xMax = Math.max(1, ...xs);
  const y = niceScale(Math.max(...ys));
  const px = (x: number) => L + (x / xMax) * (W - L - R);
  const py = (v: number) => H - B - (v / y.max) * (H - T - B);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" font-family="sans-serif">`,
    `<title>${esc(title)}</title>`,
    `<text x="${L}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`,
  );
  for (let v = 0; v <= y.max + y.step / 2; v += y.step) {
    const yy = py(v).toFixed(1);
    parts.push(
      `<line x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`,
      `<text x="${L - 6}" y="${yy}" font-size="10" text-anchor="end" dominant-baseline="middle">${fmt(v, 2)}</text>`,
    );
  }
  const xt = niceScale(xMax, 8);
  for (let v = 0; v <= xMax + 1e-9; v += xt.step) {
    const xx = px(v).toFixed(1);
    parts.push(
      `<line x1="${xx}" x2="${xx}" y1="${H - B}" y2="${H - B + 4}" stroke="#333"/>`,
      `<text x="${xx}" y="${H - B + 15}" font-size="10" text-anchor="middle">${fmt(v, 1)}</text>`,
    );
  }
  parts.push(
    `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>`,
    `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 6}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" font-size="11" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    let path = "";
    let pen = false;
    for (const [x, v] of s.points) {
      if (v === null) {
        pen = false;
        continue;
      }
      path += `${pen ? "L" : "M"}${px(x).toFixed(1)} ${py(v).toFixed(1)} `;
      pen = true;
    }
    parts.push(
      `<path d="${path.trim()}" fill="none" stroke="${esc(s.color)}" stroke-width="1.6"/>`,
      `<rect x="${W - R - 150}" y="${T + i * 16}" width="10" height="10" fill="${esc(s.color)}"/>`,
      `<text x="${W - R - 136}" y="${T + i * 16 + 9}" font-size="11">${esc(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

/** A bar chart of histogram bins as an SVG string. */
export function barChart(title: string, bins: readonly HistogramBin[]): string {
  const W = 720;
  const H = 200;
  const L = 56;
  const T = 28;
  const B = 36;
  const max = niceScale(Math.max(0, ...bins.map((b) => b.count)));
  const bw = (W - L - 16) / Math.max(1, bins.length);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" font-family="sans-serif">`,
    `<title>${esc(title)}</title>`,
    `<text x="${L}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${L}" x2="${W - 16}" y1="${H - B}" y2="${H - B}" stroke="#333"/>`,
    `<text x="${L - 6}" y="${T}" font-size="10" text-anchor="end">${fmt(max.max, 0)}</text>`,
  ];
  bins.forEach((b, i) => {
    const h = (b.count / max.max) * (H - T - B);
    const x = L + i * bw;
    parts.push(
      `<rect x="${(x + 2).toFixed(1)}" y="${(H - B - h).toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="#4c78a8"><title>${esc(b.label)} ms: ${b.count}</title></rect>`,
      `<text x="${(x + bw / 2).toFixed(1)}" y="${H - B + 14}" font-size="9" text-anchor="middle">${esc(b.label)}</text>`,
    );
    if (b.count > 0) {
      parts.push(
        `<text x="${(x + bw / 2).toFixed(1)}" y="${(H - B - h - 3).toFixed(1)}" font-size="9" text-anchor="middle">${b.count}</text>`,
      );
    }
  });
  parts.push(
    `<text x="${(L + W) / 2}" y="${H - 4}" font-size="11" text-anchor="middle">latency (ms)</text></svg>`,
  );
  return parts.join("");
}

const P50 = "#4c78a8";
const P95 = "#f58518";
const P99 = "#e45756";

function latencySeries(buckets: readonly TimeBucket[]): Series[] {
  return [
    { name: "p50", color: P50, points: buckets.map((b) => [b.second, b.p50] as const) },
    { name: "p95", color: P95, points: buckets.map((b) => [b.second, b.p95] as const) },
    { name: "p99", color: P99, points: buckets.map((b) => [b.second, b.p99] as const) },
  ];
}

function table(rows: readonly (readonly [string, string])[]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")}</table>`;
}

function summaryRow(s: Summary): string {
  return `p50 ${fmt(s.p50)} · p95 ${fmt(s.p95)} · p99 ${fmt(s.p99)} · max ${fmt(s.max)} ms (n=${s.count})`;
}

export function renderHtml(r: LoadResult): string {
  const a = r.accounting;
  const verdict = r.ok ? "PASS" : "FAIL";
  const overview = table([
    ["run", r.runId],
    ["url", r.url],
    ["started", r.startedAt],
    ["settings", JSON.stringify(r.settings)],
    ["send phase", `${fmt(r.ingest.seconds)} s, ${r.ingest.requests} requests answered`],
    ["events sent / accepted", `${r.ingest.eventsSent} / ${r.ingest.eventsAccepted}`],
    [
      "ingest throughput",
      `${fmt(r.ingest.acceptedEventsPerSecond)} accepted events/s, ${fmt(r.ingest.requestsPerSecond)} requests/s`,
    ],
    ["ingest latency (per request)", summaryRow(r.ingest.latencyMs)],
    [`end-to-end latency (${r.endToEnd.basis})`, summaryRow(r.endToEnd.latencyMs)],
    ["status codes", JSON.stringify(r.ingest.statusCodes)],
  ]);
  const acc = table([
    [
      "verdict",
      `${verdict}: lost ${a.lost}, duplicated ${a.duplicated}, unexpected ${a.unexpected}`,
    ],
    [
      "accepted",
      `${a.ledger.acceptedUnique} unique ids (${a.ledger.acceptedDuplicateSends} duplicate sends, ${a.ledger.expectedFailures} expected failures)`,
    ],
    [
      "checked",
      `${a.verdict.checked}: ${a.verdict.processed} processed, ${a.verdict.failedAsExpected} failed as expected`,
    ],
    [
      "not accepted",
      `rejected ${a.ledger.rejected}, ingest failed ${a.ledger.ingestFailed}, http errors ${JSON.stringify(a.ledger.httpErrors)}, in doubt ${a.ledger.inDoubt} (stored anyway: ${a.verdict.inDoubtStored})`,
    ],
    [
      "stats deltas",
      a.stats
        ? `stored ${a.stats.storedDelta} / expected ${a.stats.expectedStored} (excess ${a.stats.excess}, shortfall ${a.stats.shortfall}); duplicate ${a.stats.duplicateDelta} / expected ${a.stats.expectedDuplicates}`
        : "unavailable",
    ],
    [
      "drain",
      `${a.drain.drained ? "drained" : "not confirmed by stats"} after ${fmt(a.drain.waitedSeconds)} s`,
    ],
    [
      "verification",
      `${a.verify.mode}: ${a.verify.listPages} list pages, ${a.verify.getRequests} GETs, ${fmt(a.verify.seconds)} s, errors ${JSON.stringify(a.verify.queryErrors)}`,
    ],
    ...a.notes.map((n) => ["note", n] as const),
    ...a.verdict.samples.lost.slice(0, 5).map((id) => ["lost", id] as const),
    ...a.verdict.samples.duplicated.slice(0, 5).map((id) => ["duplicated", id] as const),
    ...a.verdict.samples.unexpected
      .slice(0, 5)
      .map((f) => ["unexpected", `${f.id}: ${f.reason}`] as const),
  ]);
  const t = r.timeline;
  const charts = [
    lineChart("Ingest throughput: events", "events/s", "seconds since start", [
      {
        name: "accepted events/s",
        color: P50,
        points: t.accepted.map((b) => [b.second, b.weight] as const),
      },
      {
        name: "sent events/s (answered)",
        color: P95,
        points: t.requests.map((b) => [b.second, b.weight] as const),
      },
    ]),
    lineChart("Ingest throughput: requests", "requests/s", "seconds since start", [
      {
        name: "answered requests/s",
        color: P50,
        points: t.requests.map((b) => [b.second, b.count] as const),
      },
    ]),
    lineChart("Ingest latency per request", "ms", "seconds since start", latencySeries(t.requests)),
    lineChart("Processing throughput (by processedAt)", "events/s", "seconds since start", [
      { name: "stored events/s", color: P50, points: t.processed.map((b) => [b.second, b.weight]) },
    ]),
    lineChart(
      "End-to-end latency (by processedAt)",
      "ms",
      "seconds since start",
      latencySeries(t.processed),
    ),
    barChart("Ingest latency distribution (requests)", r.ingest.latencyHistogram),
    barChart("End-to-end latency distribution (events)", r.endToEnd.latencyHistogram),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EventFlow load test ${esc(r.runId)}: ${verdict}</title>
<style>
body{font-family:sans-serif;margin:24px;max-width:760px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}
th{text-align:left;padding:3px 12px 3px 0;vertical-align:top;white-space:nowrap}
td{padding:3px 0;word-break:break-all}
.pass{color:#2a7a2a}.fail{color:#b22}
svg{display:block;margin:12px 0}
</style></head><body>
<h1>EventFlow load test <span class="${r.ok ? "pass" : "fail"}">${verdict}</span></h1>
<h2>Summary</h2>${overview}
<h2>Message accounting</h2>${acc}
<h2>Over time (1 s buckets)</h2>
${charts.join("\n")}
</body></html>
`;
}

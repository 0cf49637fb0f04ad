/**
 * Section 5 (`npm run bench -- --only history`): the archive (README "History").
 *
 * a. Cost per million 1 KiB events archived on AWS: the archive function's real code
 *    (archiveChanges, compactArchive and the Parquet codec) timed in-process on the load
 *    generator's 1 KiB events, batches of archiveBatchSize; priced with prices.ts and the
 *    assumptions printed beside it; Firehose priced for comparison.
 * b. Local archive lag (stored -> queryable) under 500 events/s: a local runtime in this
 *    process (default settings), events sent over HTTP, the archive's files polled with DuckDB.
 * c. DuckDB over 10 million archived events: generated as Parquet in the archive's layout
 *    directly (tenant=/day= folders), then a count by type and day, median of 3.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { duckDbViews, queryDuckDb } from "../../bin/tools/history-sql.js";
import { archiveChanges, compactArchive } from "../../lambdas/use-cases/archive-events.js";
import { resolveSettings } from "../../lib/config.js";
import { ARCHIVE } from "../../lib/contracts/archive.js";
import { startRuntime } from "../../local/runtime.js";
import { MemoryArchiveStore as MemoryStore } from "../../test/support/memory-archive.js";
import { PRICES } from "../prices.js";
import { eventSource } from "./fixtures.js";
import type { Method } from "./handlers.js";
import { type Summary, summarize } from "./stats.js";

/** List prices used here beyond prices.ts (us-east-1; copied by hand, not re-checked online). */
export const HISTORY_PRICES = {
  s3StandardPerGbMonth: 0.023,
  s3InfrequentAccessPerGbMonth: 0.0125,
  s3GlacierInstantPerGbMonth: 0.004,
  s3PutPer1000: 0.005,
  s3GetPer1000: 0.0004,
  /** Firehose Direct PUT, per GB ingested, each record rounded up to 5 KB. */
  firehosePerGb: 0.029,
  firehoseRecordRoundingBytes: 5 * 1024,
  /** Firehose format conversion (JSON -> Parquet), per GB. */
  firehoseConversionPerGb: 0.018,
  /** DynamoDB Streams read by a Lambda event source: no GetRecords charge. */
  dynamodbStreamsLambdaReads: 0,
  /** Kinesis Data Streams for DynamoDB: per million change data capture units (1 KB each). */
  kinesisCdcPerMillionUnits: 0.1,
  athenaPerTbScanned: 5,
} as const;

export interface HistoryOptions {
  events: number;
  lagSeconds: number;
  lagRate: number;
  duckRows: number;
}

export function historyMethod(o: HistoryOptions): Method {
  return {
    summary: `archive code on ${o.events} 1 KiB events in-process (batches of ${resolveSettings({}).archiveBatchSize}); a local runtime at ${o.lagRate} events/s for ${o.lagSeconds} s polled with DuckDB; ${(o.duckRows / 1e6).toFixed(0)} M generated rows queried with DuckDB (median of 3)`,
    detail: [
      "cost: Lambda billed time = measured CPU ms / 0.58 (a 1,024 MB Lambda has ~0.58 vCPU) + 50 ms of S3 latency per PUT; one tenant (one file per batch); compaction reads each day's files once and writes one",
      "lag: stored = the event's processedAt; archived = the row's archived_at (the archive function wrote the file); queryable = when a DuckDB poll (every 200 ms) first returned it",
      "DuckDB: `events` keeps each event's latest revision (a window over tenant, id); `events_archive` is every row",
    ],
  };
}

export interface ArchiveCost {
  events: number;
  batchSize: number;
  cpuMsPerBatch: Summary;
  compactCpuMsPer1000: number;
  parquetBytesPerEvent: number;
  compactedBytesPerEvent: number;
  perMillion: {
    lambdaCompute: number;
    lambdaRequests: number;
    s3Puts: number;
    compaction: number;
    total: number;
    storageStandardPerMonth: number;
    storageInfrequentPerMonth: number;
    storageGlacierIrPerMonth: number;
  };
  firehosePerMillion: { ingest: number; conversion: number; total: number };
}

const VCPU_SHARE_1GB = 0.58;
const S3_PUT_MS = 50;

export async function archiveCost(events: number): Promise<ArchiveCost> {
  const settings = resolveSettings({});
  const batchSize = settings.archiveBatchSize;
  const source = eventSource("history-bench");
  const day = "2026-12-05T";
  const items = Array.from({ length: events }, (_, i) => {
    const e = source.next();
    const receivedAt = `${day}${String(10 + Math.floor(i / 360_000)).padStart(2, "0")}:00:00.000Z`;
    return {
      sk: "EVENT",
      tenantId: "bench",
      id: e.id ?? `e-${i}`,
      type: e.type,
      ...(e.subject ? { subject: e.subject } : {}),
      data: e.data,
      status: "processed",
      receivedAt,
      correlationId: "01a24ac6-e1b3-70b3-9b9e-2f632b473595",
      attempts: 1,
      processedAt: receivedAt,
      latencyMs: 12,
      enrichment: { category: "standard" },
    };
  });
  const store = new MemoryStore();
  const cpu: number[] = [];
  let seq = 0;
  for (let i = 0; i < items.length; i += batchSize) {
    const batch = items.slice(i, i + batchSize).map((newImage) => ({
      newImage,
      sequence: String(++seq),
      changedAtMs: Date.now(),
    }));
    const before = process.cpuUsage();
    await archiveChanges(batch, { store });
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
  }
  const partBytes = [...store.files.values()].reduce((n, b) => n + b.byteLength, 0);
  const partFiles = store.files.size;
  const before = process.cpuUsage();
  await compactArchive({ store, now: () => Date.parse("2026-12-06T12:00:00Z") });
  const used = process.cpuUsage(before);
  const compactCpuMs = (used.user + used.system) / 1000;
  const compactedBytes = [...store.files.values()].reduce((n, b) => n + b.byteLength, 0);

  const cpuSummary = summarize(cpu);
  const invocations = 1e6 / batchSize;
  const gb = settings.archiveMemoryMb / 1024;
  const billedSeconds = (cpuSummary.mean / VCPU_SHARE_1GB + S3_PUT_MS) / 1000;
  const lambdaCompute = invocations * billedSeconds * gb * PRICES.lambdaArmPerGbSecond;
  const lambdaRequests = (invocations / 1e6) * PRICES.lambdaPerMillionRequests;
  const s3Puts = (invocations / 1000) * HISTORY_PRICES.s3PutPer1000;
  const compactSeconds = ((compactCpuMs / events) * 1e6) / VCPU_SHARE_1GB / 1000;
  const compaction =
    compactSeconds * gb * PRICES.lambdaArmPerGbSecond +
    ((partFiles / events) * 1e6 * HISTORY_PRICES.s3GetPer1000) / 1000 +
    HISTORY_PRICES.s3PutPer1000 / 1000;
  const storedGb = ((compactedBytes / events) * 1e6) / 1024 ** 3;
  const firehoseGb = (1e6 * HISTORY_PRICES.firehoseRecordRoundingBytes) / 1024 ** 3;
  const firehose = {
    ingest: firehoseGb * HISTORY_PRICES.firehosePerGb,
    conversion: firehoseGb * HISTORY_PRICES.firehoseConversionPerGb,
    total: 0,
  };
  firehose.total = firehose.ingest + firehose.conversion;
  return {
    events,
    batchSize,
    cpuMsPerBatch: cpuSummary,
    compactCpuMsPer1000: (compactCpuMs / events) * 1000,
    parquetBytesPerEvent: partBytes / events,
    compactedBytesPerEvent: compactedBytes / events,
    perMillion: {
      lambdaCompute,
      lambdaRequests,
      s3Puts,
      compaction,
      total: lambdaCompute + lambdaRequests + s3Puts + compaction,
      storageStandardPerMonth: storedGb * HISTORY_PRICES.s3StandardPerGbMonth,
      storageInfrequentPerMonth: storedGb * HISTORY_PRICES.s3InfrequentAccessPerGbMonth,
      storageGlacierIrPerMonth: storedGb * HISTORY_PRICES.s3GlacierInstantPerGbMonth,
    },
    firehosePerMillion: firehose,
  };
}

export interface ArchiveLag {
  rate: number;
  seconds: number;
  sent: number;
  seen: number;
  archivedMs: Summary;
  queryableMs: Summary;
}

export async function archiveLag(rate: number, seconds: number): Promise<ArchiveLag> {
  const dataDir = mkdtempSync(join(tmpdir(), "eventflow-bench-history-"));
  const runtime = await startRuntime({
    repoRoot: process.cwd(),
    port: 0,
    host: "127.0.0.1",
    dataDir,
    logLevel: "silent",
    captureOutput: true,
  });
  const root = `${dataDir}/s3/buckets/eventflow-archive/objects`;
  const source = eventSource("history-lag", 7);
  const type = `lag${Date.now()}`;
  let sent = 0;
  const seen = new Map<string, number>();
  const archived: number[] = [];
  const queryable: number[] = [];
  let polling = true;
  let stopAt = Number.POSITIVE_INFINITY;
  const poller = (async () => {
    while (polling || seen.size < sent) {
      const rows = (
        await queryDuckDb(
          root,
          `SELECT id, epoch_ms(received_at), processed_at, epoch_ms(archived_at) FROM events_archive WHERE type = '${type}'`,
        ).catch(() => ({ rows: [] as unknown[][] }))
      ).rows;
      const now = Date.now();
      for (const [id, , processedAt, archivedAt] of rows as [string, number, string, number][]) {
        if (seen.has(id)) continue;
        seen.set(id, now);
        const stored = Date.parse(processedAt);
        archived.push(Number(archivedAt) - stored);
        queryable.push(now - stored);
      }
      if (!polling && Date.now() > stopAt) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const perRequest = 25;
  const interval = (perRequest / rate) * 1000;
  const started = Date.now();
  const requests: Promise<unknown>[] = [];
  for (let n = 0; Date.now() - started < seconds * 1000; n++) {
    const due = started + n * interval;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const events = Array.from({ length: perRequest }, () => ({ ...source.next(), type }));
    sent += perRequest;
    requests.push(
      fetch(`${runtime.url}/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${runtime.devKey}`, "content-type": "application/json" },
        body: JSON.stringify({ events }),
      }).then((r) => r.arrayBuffer()),
    );
  }
  await Promise.all(requests);
  polling = false;
  stopAt = Date.now() + 60_000;
  await poller;
  await runtime.shutdown({ drain: false });
  rmSync(dataDir, { recursive: true, force: true });
  return {
    rate,
    seconds,
    sent,
    seen: seen.size,
    archivedMs: summarize(archived),
    queryableMs: summarize(queryable),
  };
}

export interface DuckQuery {
  rows: number;
  generateSeconds: number;
  parquetBytes: number;
  files: number;
  latestMs: Summary;
  allRowsMs: Summary;
  tenantDayMs: Summary;
}

const dirBytes = (dir: string): { bytes: number; files: number } => {
  let bytes = 0;
  let files = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const s = statSync(join(dir, name));
    if (s.isFile()) {
      bytes += s.size;
      files++;
    }
  }
  return { bytes, files };
};

export async function duckDbQuery(rows: number): Promise<DuckQuery> {
  const root = mkdtempSync(join(tmpdir(), "eventflow-bench-duck-"));
  const out = join(root, ARCHIVE.eventsPrefix);
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  const started = performance.now();
  // 30 days of 3 tenants' events, 12 types, ~1 KiB of data each, in the archive's columns.
  await c.run(`COPY (
    SELECT
      'evt-' || i AS id,
      'type.' || (i % 12) AS type,
      '/shop' AS source,
      'user-' || (i % 200000) AS subject,
      NULL::VARCHAR AS time,
      TIMESTAMP '2026-11-01' + to_milliseconds((i * 2592000000 // ${rows})::BIGINT) AS received_at,
      CASE WHEN i % 40 = 0 THEN 'failed' ELSE 'processed' END AS status,
      'corr-' || (i // 25) AS correlation_id,
      1 AS attempts,
      NULL::VARCHAR AS processed_at, NULL::VARCHAR AS failed_at, NULL::VARCHAR AS failure_kind,
      NULL::VARCHAR AS failure_reason, NULL::VARCHAR AS replay_id,
      '{"amount":' || (i % 5000) || ',"sku":"' || md5(i::VARCHAR) || '","pad":"' || repeat(md5((i % 1000)::VARCHAR), 28) || '"}' AS data,
      '{"category":"standard"}' AS enrichment,
      NULL::VARCHAR AS cloud_event,
      lpad(i::VARCHAR, 14, '0') || '-' || lpad(i::VARCHAR, 40, '0') AS revision,
      TIMESTAMP '2026-12-06' AS archived_at,
      't' || (i % 3) AS tenant,
      strftime(TIMESTAMP '2026-11-01' + to_milliseconds((i * 2592000000 // ${rows})::BIGINT), '%Y-%m-%d') AS day
    FROM range(${rows}) r(i)
  ) TO '${out}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (tenant, day), FILENAME_PATTERN 'compact-{i}')`);
  const generateSeconds = (performance.now() - started) / 1000;
  c.closeSync();
  db.closeSync();
  const size = dirBytes(out);
  const timed = async (sql: string) => {
    const ms: number[] = [];
    for (let i = 0; i < 3; i++) ms.push((await queryDuckDbGlob(root, sql)).elapsedMs);
    return summarize(ms);
  };
  const latestMs = await timed("SELECT type, day, count(*) FROM events GROUP BY 1, 2");
  const allRowsMs = await timed("SELECT type, day, count(*) FROM events_archive GROUP BY 1, 2");
  const tenantDayMs = await timed(
    "SELECT type, day, count(*) FROM events WHERE tenant = 't1' AND day >= '2026-11-24' GROUP BY 1, 2",
  );
  rmSync(root, { recursive: true, force: true });
  return {
    rows,
    generateSeconds,
    parquetBytes: size.bytes,
    files: size.files,
    latestMs,
    allRowsMs,
    tenantDayMs,
  };
}

/** queryDuckDb over files named .parquet (the generated ones) rather than the emulator's .parquet.data. */
async function queryDuckDbGlob(root: string, sql: string) {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    const started = performance.now();
    for (const statement of duckDbViews(root, ".parquet")) await c.run(statement);
    await c.runAndReadAll(sql);
    return { elapsedMs: performance.now() - started };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

const usd = (n: number) => `$${n.toFixed(n < 0.01 ? 4 : 3)}`;
const ms = (s: Summary) => `p50 ${Math.round(s.p50)} ms, p99 ${Math.round(s.p99)} ms`;

export function historyLines(r: {
  cost: ArchiveCost;
  lag?: ArchiveLag;
  duck?: DuckQuery;
}): string[] {
  const c = r.cost;
  const lines = [
    `  archive per million 1 KiB events (batches of ${c.batchSize}): ${usd(c.perMillion.total)} = Lambda compute ${usd(c.perMillion.lambdaCompute)} + Lambda requests ${usd(c.perMillion.lambdaRequests)} + S3 PUTs ${usd(c.perMillion.s3Puts)} + daily compaction ${usd(c.perMillion.compaction)}; DynamoDB Streams reads by Lambda: $0 (goal: at most $0.05)`,
    `  measured: ${c.cpuMsPerBatch.mean.toFixed(1)} ms CPU per batch of ${c.batchSize} (p99 ${c.cpuMsPerBatch.p99.toFixed(1)}); compaction ${c.compactCpuMsPer1000.toFixed(1)} ms CPU per 1,000 events; Parquet ${c.parquetBytesPerEvent.toFixed(0)} B/event in batch files, ${c.compactedBytesPerEvent.toFixed(0)} B/event compacted`,
    `  storage per million events per month: S3 Standard ${usd(c.perMillion.storageStandardPerMonth)}, Standard-IA ${usd(c.perMillion.storageInfrequentPerMonth)} (after ${resolveSettings({}).archiveInfrequentAccessDays} days), Glacier IR ${usd(c.perMillion.storageGlacierIrPerMonth)} (after ${resolveSettings({}).archiveGlacierDays} days); the load generator's padding compresses far better than real data: at 1 KiB per event (no compression at all) Standard would be ${usd((1e6 * 1024 * HISTORY_PRICES.s3StandardPerGbMonth) / 1024 ** 3)}`,
    `  the alternative, Firehose (records rounded up to 5 KB): ingest ${usd(c.firehosePerMillion.ingest)} + Parquet conversion ${usd(c.firehosePerMillion.conversion)} = ${usd(c.firehosePerMillion.total)} per million, before a source to feed it (Kinesis Data Streams for DynamoDB: +$${HISTORY_PRICES.kinesisCdcPerMillionUnits.toFixed(2)} per million change units, plus shard-hours)`,
  ];
  if (r.lag) {
    lines.push(
      `  local archive lag at ${r.lag.rate} events/s for ${r.lag.seconds} s (${r.lag.seen}/${r.lag.sent} events seen): stored -> archived ${ms(r.lag.archivedMs)}; stored -> queryable (DuckDB poll) ${ms(r.lag.queryableMs)}`,
    );
  }
  if (r.duck) {
    const d = r.duck;
    lines.push(
      `  DuckDB over ${(d.rows / 1e6).toFixed(0)} M archived events (${(d.parquetBytes / 1e6).toFixed(0)} MB of Parquet in ${d.files} files, generated in ${d.generateSeconds.toFixed(0)} s): count by type and day over \`events\` (latest revision) median ${Math.round(d.latestMs.p50)} ms; over \`events_archive\` (every row) ${Math.round(d.allRowsMs.p50)} ms; one tenant, one week ${Math.round(d.tenantDayMs.p50)} ms`,
    );
  }
  return lines;
}

/**
 * Section 5 (`npm run bench -- --only history`): the archive (README "History").
 *
 * a. Cost per million 1 KiB events archived on AWS: the archive function's real code
 *    (unpacking the compact item's body, archiveChanges, compactArchive and the Parquet
 *    codec) timed in-process on the load
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
import { packEvent, unpackItem } from "../../lambdas/adapters/dynamodb-event-item.js";
import type { StoredEvent } from "../../lambdas/domain/event.js";
import {
  archiveChanges,
  compactArchive,
  splitStaged,
} from "../../lambdas/use-cases/archive-events.js";
import { resolveSettings } from "../../lib/config.js";
import { ARCHIVE } from "../../lib/contracts/archive.js";
import { startRuntime } from "../../local/runtime.js";
import { MemoryArchiveStore as MemoryStore } from "../../test/support/memory-archive.js";
import { PRICES } from "../prices.js";
import { MIXES, sampler, seeded, tenantName, zipfWeights } from "../scale/mix.js";
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
  /** Events of the many-tenant (Zipf) cost run: one full splitter chunk is 1,000,000. */
  zipfEvents: number;
  lagSeconds: number;
  lagRate: number;
  duckRows: number;
}

export function historyMethod(o: HistoryOptions): Method {
  return {
    summary: `archive code (stream batches, splitter, compaction) on ${o.events} 1 KiB events of one tenant and ${o.zipfEvents} of a Zipf mix over 1,000 tenants in-process (batches of ${resolveSettings({}).archiveBatchSize}); a local runtime at ${o.lagRate} events/s for ${o.lagSeconds} s polled with DuckDB; ${(o.duckRows / 1e6).toFixed(0)} M generated rows queried with DuckDB (median of 3)`,
    detail: [
      "cost: Lambda billed time = measured CPU ms / 0.58 (a 1,024 MB Lambda has ~0.58 vCPU) + 50 ms of S3 latency per PUT, 20 ms per GET/HEAD (assumed); S3 requests counted by the in-memory store: a stream batch PUTs one staged file per day; the splitter GETs each staged file, HEADs it before deleting, PUTs one file per tenant and day per chunk (archiveSplitChunkFiles staged files); the daily compaction GETs each by-tenant file once and PUTs one per tenant-day",
      "lag: stored = the event's processedAt; archived = the row's archived_at (the archive function wrote the file); queryable = when a DuckDB poll (every 200 ms) first returned it",
      "DuckDB: `events` keeps each event's latest revision (a window over tenant, id); `events_archive` is every row",
    ],
  };
}

/** A tenant mix for the cost figure: one tenant, or Zipf over many (load-testing/scale/mix.ts). */
export interface CostMix {
  name: string;
  tenants: number;
  skew: number;
  /** Events a second (the compaction's PUTs: one per tenant-day). */
  rate: number;
}

export const COST_MIXES = {
  single: { name: "one tenant", tenants: 1, skew: 0, rate: MIXES.single?.rate ?? 20_000 },
  zipf: {
    name: `Zipf(${MIXES.zipf?.skew}) over ${MIXES.zipf?.tenants} tenants`,
    tenants: MIXES.zipf?.tenants ?? 1000,
    skew: MIXES.zipf?.skew ?? 1.1,
    rate: MIXES.zipf?.rate ?? 100_000,
  },
} satisfies Record<string, CostMix>;

export interface ArchiveCost {
  mix: CostMix;
  events: number;
  batchSize: number;
  /** Distinct tenants in a stream batch (what the old layout paid one PUT each for). */
  tenantsPerBatch: number;
  cpuMsPerBatch: Summary;
  splitCpuMsPer1000: number;
  compactCpuMsPer1000: number;
  parquetBytesPerEvent: number;
  compactedBytesPerEvent: number;
  /** S3 requests per million events, by who makes them. */
  requestsPerMillion: {
    stagedPuts: number;
    splitPuts: number;
    splitGets: number;
    splitHeads: number;
    splitLists: number;
    compactGets: number;
    compactPuts: number;
    /** What the old layout (one file per tenant-day per batch) paid. */
    oldLayoutPuts: number;
  };
  perMillion: {
    lambdaCompute: number;
    lambdaRequests: number;
    s3Puts: number;
    splitter: number;
    compaction: number;
    total: number;
    oldLayoutPuts: number;
    storageStandardPerMonth: number;
    storageInfrequentPerMonth: number;
    storageGlacierIrPerMonth: number;
  };
  firehosePerMillion: { ingest: number; conversion: number; total: number };
}

const VCPU_SHARE_1GB = 0.58;
const S3_PUT_MS = 50;
/** Assumed S3 latency of a GET or HEAD inside Lambda (the splitter's reads and checks). */
const S3_GET_MS = 20;

const cpuMs = (before: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};

/**
 * The archive's real code over `events` 1 KiB events of a tenant mix: stream batches
 * (archiveChanges: one staged file per batch and day), the splitter (splitStaged with the
 * default chunk and buffer: one file per tenant and day per chunk), then the daily
 * compaction, over the in-memory store that counts S3 requests; CPU timed per stage.
 * A chunk is archiveSplitChunkFiles staged files: at 100,000 events/s a 15-minute run has
 * 90 full chunks, so `events` should be one full chunk (1,000 x 1,000) for the Zipf mix.
 */
export async function archiveCost(
  events: number,
  mix: CostMix = COST_MIXES.single,
): Promise<ArchiveCost> {
  const settings = resolveSettings({});
  const batchSize = settings.archiveBatchSize;
  const source = eventSource("history-bench");
  const random = seeded(19);
  const pickTenant = sampler(zipfWeights(mix.tenants, mix.skew), random);
  const day = "2026-12-05T";
  // Items are made batch by batch (a million 1 KiB events at once would not fit).
  const itemAt = (i: number) => {
    const e = source.next();
    const tenantId = mix.tenants === 1 ? "bench" : tenantName(pickTenant());
    const receivedAt = `${day}${String(10 + Math.floor(i / 360_000)).padStart(2, "0")}:00:00.000Z`;
    const id = e.id ?? `e-${i}`;
    const event: StoredEvent = {
      tenantId,
      id,
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
    // As the table stores it (the compact item) and the stream carries it.
    return { tenantId, item: { pk: `T#${tenantId}#E#${id}`, sk: "EVENT", ...packEvent(event) } };
  };
  const store = new MemoryStore();
  const cpu: number[] = [];
  let seq = 0;
  let tenantsInBatches = 0;
  let batches = 0;
  for (let i = 0; i < events; i += batchSize) {
    const slice = Array.from({ length: Math.min(batchSize, events - i) }, (_, j) => itemAt(i + j));
    tenantsInBatches += new Set(slice.map((item) => item.tenantId)).size;
    batches++;
    const before = process.cpuUsage();
    const batch = slice.map(({ item }) => ({
      newImage: unpackItem(item),
      sequence: String(++seq),
      changedAtMs: Date.now(),
    }));
    await archiveChanges(batch, { store });
    cpu.push(cpuMs(before));
  }
  const stagedPuts = store.puts;
  const stagedBytes = [...store.files.values()].reduce((n, b) => n + b.byteLength, 0);

  const counts = () => ({
    puts: store.puts,
    gets: store.gets,
    heads: store.heads,
    lists: store.lists,
  });
  const beforeSplit = counts();
  let started = process.cpuUsage();
  await splitStaged(
    { chunkFiles: settings.archiveSplitChunkFiles, bufferRows: settings.archiveSplitBufferRows },
    { store },
  );
  const splitCpuMs = cpuMs(started);
  const split = counts();
  const splitFiles = [...store.files.keys()].filter((k) => k.startsWith(ARCHIVE.eventsPrefix));

  // The daily compaction: reads every by-tenant file of a day once, writes one per
  // tenant-day. A real day holds a file per tenant per splitter run, so every row is merged:
  // timed here over every row (minFiles 1), however few files a partition got in this run.
  started = process.cpuUsage();
  const compacted = await compactArchive({
    store,
    now: () => Date.parse("2026-12-06T12:00:00Z"),
    minFiles: 1,
  });
  const compactCpuMs = cpuMs(started);
  const compactedBytes = [...store.files.values()].reduce((n, b) => n + b.byteLength, 0);

  const perM = (n: number) => (n / events) * 1e6;
  const cpuSummary = summarize(cpu);
  const invocations = perM(batches);
  const gb = settings.archiveMemoryMb / 1024;
  const lambda = (seconds: number) => seconds * gb * PRICES.lambdaArmPerGbSecond;
  const requests = {
    stagedPuts: perM(stagedPuts),
    splitPuts: perM(split.puts - beforeSplit.puts),
    splitGets: perM(split.gets - beforeSplit.gets),
    splitHeads: perM(split.heads - beforeSplit.heads),
    splitLists: perM(split.lists - beforeSplit.lists),
    // Every by-tenant file read once by the daily compaction (here only days with 2+ files
    // were merged; a day of 15-minute runs has many), one PUT per tenant-day at the mix's rate.
    compactGets: perM(splitFiles.length),
    compactPuts: (mix.tenants / (mix.rate * 86_400)) * 1e6,
    oldLayoutPuts: perM(tenantsInBatches),
  };
  const put = HISTORY_PRICES.s3PutPer1000 / 1000;
  const get = HISTORY_PRICES.s3GetPer1000 / 1000;
  const billedSeconds = (cpuSummary.mean / VCPU_SHARE_1GB + S3_PUT_MS) / 1000;
  const lambdaCompute = invocations * lambda(billedSeconds);
  const lambdaRequests = (invocations / 1e6) * PRICES.lambdaPerMillionRequests;
  const s3Puts = requests.stagedPuts * put;
  const splitter =
    lambda(
      (perM(splitCpuMs) / VCPU_SHARE_1GB +
        requests.splitPuts * S3_PUT_MS +
        (requests.splitGets + requests.splitHeads) * S3_GET_MS) /
        1000,
    ) +
    (requests.splitPuts + requests.splitLists) * put +
    (requests.splitGets + requests.splitHeads) * get;
  const compactRows = Math.max(1, compacted.rows);
  const compactCpuPer1000 = (compactCpuMs / compactRows) * 1000;
  const compaction =
    lambda((compactCpuPer1000 * 1000) / VCPU_SHARE_1GB / 1000) +
    requests.compactGets * get +
    requests.compactPuts * put;
  const storedGb = ((compactedBytes / events) * 1e6) / 1024 ** 3;
  const firehoseGb = (1e6 * HISTORY_PRICES.firehoseRecordRoundingBytes) / 1024 ** 3;
  const firehose = {
    ingest: firehoseGb * HISTORY_PRICES.firehosePerGb,
    conversion: firehoseGb * HISTORY_PRICES.firehoseConversionPerGb,
    total: 0,
  };
  firehose.total = firehose.ingest + firehose.conversion;
  return {
    mix,
    events,
    batchSize,
    tenantsPerBatch: tenantsInBatches / Math.max(1, batches),
    cpuMsPerBatch: cpuSummary,
    splitCpuMsPer1000: (splitCpuMs / events) * 1000,
    compactCpuMsPer1000: compactCpuPer1000,
    parquetBytesPerEvent: stagedBytes / events,
    compactedBytesPerEvent: compactedBytes / events,
    requestsPerMillion: requests,
    perMillion: {
      lambdaCompute,
      lambdaRequests,
      s3Puts,
      splitter,
      compaction,
      total: lambdaCompute + lambdaRequests + s3Puts + splitter + compaction,
      oldLayoutPuts: requests.oldLayoutPuts * put,
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
  /** Events the API accepted (202): what the archive must show. */
  accepted: number;
  refused: Record<number, number>;
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
  let accepted = 0;
  /** Requests not answered 202, by status (0: no answer). */
  const refused = new Map<number, number>();
  const seen = new Map<string, number>();
  const archived: number[] = [];
  const queryable: number[] = [];
  let polling = true;
  let stopAt = Number.POSITIVE_INFINITY;
  const poller = (async () => {
    while (polling || seen.size < accepted) {
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
      })
        .then(async (r) => {
          await r.arrayBuffer();
          if (r.status === 202) accepted += perRequest;
          else refused.set(r.status, (refused.get(r.status) ?? 0) + 1);
        })
        .catch(() => refused.set(0, (refused.get(0) ?? 0) + 1)),
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
    accepted,
    refused: Object.fromEntries(refused),
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

const costLines = (c: ArchiveCost): string[] => {
  const r = c.requestsPerMillion;
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  const verdict = c.perMillion.total <= 0.05 ? "goal met" : "goal MISSED";
  return [
    `  archive per million 1 KiB events, ${c.mix.name} (${c.events.toLocaleString("en-US")} events, ${c.tenantsPerBatch.toFixed(1)} tenants per batch of ${c.batchSize}): ${usd(c.perMillion.total)} = Lambda compute ${usd(c.perMillion.lambdaCompute)} + Lambda requests ${usd(c.perMillion.lambdaRequests)} + staged-file PUTs ${usd(c.perMillion.s3Puts)} + splitter ${usd(c.perMillion.splitter)} + daily compaction ${usd(c.perMillion.compaction)}; DynamoDB Streams reads by Lambda: $0 (goal: at most $0.05: ${verdict})`,
    `    S3 requests per million: ${n(r.stagedPuts)} staged PUTs; splitter ${n(r.splitPuts)} PUTs, ${n(r.splitGets)} GETs, ${n(r.splitHeads)} HEADs, ${n(r.splitLists)} LISTs; compaction ${n(r.compactGets)} GETs, ${r.compactPuts.toFixed(1)} PUTs (one per tenant-day at ${n(c.mix.rate)} events/s). The old layout (one file per tenant-day per batch) paid ${n(r.oldLayoutPuts)} PUTs = ${usd(c.perMillion.oldLayoutPuts)}`,
    `    measured: ${c.cpuMsPerBatch.mean.toFixed(1)} ms CPU per batch of ${c.batchSize} (p99 ${c.cpuMsPerBatch.p99.toFixed(1)}); splitter ${c.splitCpuMsPer1000.toFixed(1)} ms CPU per 1,000 events; compaction ${c.compactCpuMsPer1000.toFixed(1)} ms CPU per 1,000 events; Parquet ${c.parquetBytesPerEvent.toFixed(0)} B/event in staged files, ${c.compactedBytesPerEvent.toFixed(0)} B/event after split and compaction`,
  ];
};

export function historyLines(r: {
  cost: ArchiveCost;
  zipf?: ArchiveCost;
  lag?: ArchiveLag;
  duck?: DuckQuery;
}): string[] {
  const c = r.cost;
  const lines = [
    ...costLines(c),
    ...(r.zipf ? costLines(r.zipf) : []),
    `  storage per million events per month: S3 Standard ${usd(c.perMillion.storageStandardPerMonth)}, Standard-IA ${usd(c.perMillion.storageInfrequentPerMonth)} (after ${resolveSettings({}).archiveInfrequentAccessDays} days), Glacier IR ${usd(c.perMillion.storageGlacierIrPerMonth)} (after ${resolveSettings({}).archiveGlacierDays} days); the load generator's padding compresses far better than real data: at 1 KiB per event (no compression at all) Standard would be ${usd((1e6 * 1024 * HISTORY_PRICES.s3StandardPerGbMonth) / 1024 ** 3)}`,
    `  the alternative, Firehose (records rounded up to 5 KB): ingest ${usd(c.firehosePerMillion.ingest)} + Parquet conversion ${usd(c.firehosePerMillion.conversion)} = ${usd(c.firehosePerMillion.total)} per million, before a source to feed it (Kinesis Data Streams for DynamoDB: +$${HISTORY_PRICES.kinesisCdcPerMillionUnits.toFixed(2)} per million change units, plus shard-hours)`,
  ];
  if (r.lag) {
    lines.push(
      `  local archive lag at ${r.lag.rate} events/s for ${r.lag.seconds} s (${r.lag.seen} of ${r.lag.accepted} accepted events seen; ${r.lag.sent} sent${Object.keys(r.lag.refused).length > 0 ? `, requests refused by status: ${JSON.stringify(r.lag.refused)}` : ""}): stored -> archived ${ms(r.lag.archivedMs)}; stored -> queryable (DuckDB poll) ${ms(r.lag.queryableMs)}`,
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

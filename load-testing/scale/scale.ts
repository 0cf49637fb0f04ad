/**
 * `npm run scale`: the partition-level scale model (model.ts) for the issue's two mixes, or
 * one given on the command line, before and after write sharding, plus the AWS quotas each
 * mix meets (quotas.ts). Exit 1 when a partition of the current layout passes 70% of its
 * limit.
 */
import { parseArgs } from "node:util";
import { type EventFlowSettings, resolveSettings } from "../../lib/config.js";
import { PRICES } from "../prices.js";
import { DEFAULT_FEATURES, type FeatureMix, type FeatureResult, runFeatures } from "./features.js";
import { MIXES, type Mix } from "./mix.js";
import {
  type Assumptions,
  DEFAULT_ASSUMPTIONS,
  type ModelResult,
  PARTITION_LIMITS,
  runModel,
} from "./model.js";
import { fmt, quotaRows } from "./quotas.js";
import { BEFORE } from "./shards.js";

const HELP = `Usage: npm run scale -- [options]

Drives the real item and key functions (DynamoDbEventWriter.toItem, BatchTally, addStats)
with a synthetic mix and prints, per table, index and counter family, the write and read
units a second of its hottest partition key against DynamoDB's per-partition limits
(1,000 WCU, 3,000 RCU; the design keeps each at or below 70%), then every AWS quota the
mix meets and the rate at which it binds.

  --mix NAME          zipf | single | failing | all (default all: the issue's two mixes
                      and failing = single with 10% of its events failed)
  --rate N            events/s (a custom mix, starting from --mix's)
  --tenants N --types N --skew S --ingest-batch N --failed SHARE --duplicates SHARE
  --set KEY=VALUE     a setting of lib/config.ts (repeatable), e.g. --set typeShards=16
  --layout L          before | current | both (default both; before = typeShards 1,
                      timeShards 4, statsShards 1, failedShards 1: the keys as they were
                      before sharding)
  --process-ms N --ingest-ms N --list-pages N --deliver-ms N   assumptions
  --routed SHARE      share of the hottest tenant's events routed to a destination (0.1)
  --destinations N    destinations those deliveries spread over (1)
  --window-rate N     events/s one aggregation takes into one group (10000)
  --window-seconds N  that aggregation's window (60)
  --json              JSON instead of tables
`;

interface Options {
  mixes: Mix[];
  settings: EventFlowSettings;
  layouts: ("before" | "current")[];
  assumptions: Assumptions;
  features: FeatureMix;
  /** Wall time of one deliver invocation (a batch of webhook calls in parallel) on AWS. */
  deliverMs: number;
  json: boolean;
}

function parse(argv: string[]): Options | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      mix: { type: "string", default: "all" },
      rate: { type: "string" },
      tenants: { type: "string" },
      types: { type: "string" },
      skew: { type: "string" },
      "ingest-batch": { type: "string" },
      failed: { type: "string" },
      duplicates: { type: "string" },
      set: { type: "string", multiple: true },
      layout: { type: "string", default: "both" },
      "process-ms": { type: "string" },
      "ingest-ms": { type: "string" },
      "list-pages": { type: "string" },
      "deliver-ms": { type: "string" },
      routed: { type: "string" },
      destinations: { type: "string" },
      "window-rate": { type: "string" },
      "window-seconds": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number >= 0`);
    return n;
  };
  const base =
    values.mix === "all"
      ? Object.values(MIXES)
      : [MIXES[values.mix]].filter((m) => m !== undefined);
  if (base.length === 0) throw new Error(`--mix must be zipf, single, failing or all`);
  const custom: Partial<Mix> = {};
  const set = <K extends keyof Mix>(key: K, v: Mix[K] | undefined) => {
    if (v !== undefined) custom[key] = v;
  };
  set("rate", num(values.rate, "rate"));
  set("tenants", num(values.tenants, "tenants"));
  set("types", num(values.types, "types"));
  set("skew", num(values.skew, "skew"));
  set("ingestBatch", num(values["ingest-batch"], "ingest-batch"));
  set("failedShare", num(values.failed, "failed"));
  set("duplicateShare", num(values.duplicates, "duplicates"));
  const mixes =
    Object.keys(custom).length > 0
      ? base.slice(0, 1).map((m) => ({ ...m, ...custom, name: `custom (from ${m.name})` }))
      : base;
  const input: Record<string, string> = {};
  for (const pair of values.set ?? []) {
    const at = pair.indexOf("=");
    if (at < 1) throw new Error(`--set takes KEY=VALUE, got ${pair}`);
    input[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const layout = values.layout;
  const layouts: ("before" | "current")[] | undefined =
    layout === "both"
      ? ["before", "current"]
      : layout === "before" || layout === "current"
        ? [layout]
        : undefined;
  if (!layouts) throw new Error("--layout must be before, current or both");
  const settings = resolveSettings(input);
  const assumptions: Assumptions = { ...DEFAULT_ASSUMPTIONS };
  assumptions.processMs = num(values["process-ms"], "process-ms") ?? assumptions.processMs;
  assumptions.ingestMs = num(values["ingest-ms"], "ingest-ms") ?? assumptions.ingestMs;
  assumptions.listPagesPerSecond =
    num(values["list-pages"], "list-pages") ?? assumptions.listPagesPerSecond;
  const features: FeatureMix = {
    routedShare: num(values.routed, "routed") ?? DEFAULT_FEATURES.routedShare,
    destinations: num(values.destinations, "destinations") ?? DEFAULT_FEATURES.destinations,
    windowGroupRate: num(values["window-rate"], "window-rate") ?? DEFAULT_FEATURES.windowGroupRate,
    windowSeconds:
      num(values["window-seconds"], "window-seconds") ?? DEFAULT_FEATURES.windowSeconds,
  };
  return {
    mixes,
    settings,
    layouts,
    assumptions,
    features,
    deliverMs: num(values["deliver-ms"], "deliver-ms") ?? 200,
    json: values.json,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function printModel(r: ModelResult, label: string): void {
  const s = r.shards;
  console.log(
    `\n  ${label}: typeShards ${s.typeShards}, timeShards ${s.timeShards}, statsShards ${s.statsShards}, failedShards ${s.failedShards}, processBatchSize ${r.processBatchSize}`,
  );
  console.log(
    `  hottest tenant ${fmt(r.hottestTenantRate)} events/s, its hottest type ${fmt(r.hottestTypeRate)} events/s; ${fmt(r.statsUpdates)} statistics updates/s; items: event ${r.sizes.eventItem} B, byType entry ${r.sizes.byTypeEntry} B, stats item ${r.sizes.statsItem} B`,
  );
  const rows = r.families.map((f) => [
    f.family,
    f.key.length > 34 ? `${f.key.slice(0, 31)}...` : f.key,
    fmt(f.partitions),
    fmt(f.writes),
    fmt(f.wcu),
    pct(f.wcu / PARTITION_LIMITS.wcu),
    fmt(f.rcu),
    pct(f.rcu / PARTITION_LIMITS.rcu),
    f.use <= PARTITION_LIMITS.target ? "ok" : f.use <= 1 ? "OVER 70%" : "THROTTLES",
  ]);
  table(
    [
      "family",
      "hottest partition key",
      "keys",
      "writes/s",
      "WCU/s",
      "of 1,000",
      "RCU/s",
      "of 3,000",
      "",
    ],
    rows,
  );
}

function printFeatures(
  f: FeatureResult & {
    settings: Pick<
      EventFlowSettings,
      "deliverBatchSize" | "deliverMaxConcurrency" | "archiveSplitShards"
    >;
    rate: number;
    deliverMs: number;
  },
): void {
  const m = f.features;
  console.log(
    `\n  Keys the features add (current settings): ${fmt(f.deliveries)} deliveries/s (${pct(m.routedShare)} of the hottest tenant's events routed to ${m.destinations} destination(s)), an aggregation taking ${fmt(m.windowGroupRate)} events/s into one group (${m.windowSeconds} s windows), the archive`,
  );
  table(
    [
      "family",
      "hottest partition key",
      "writes/s",
      "WCU/s",
      "of 1,000",
      "RCU/s",
      "of 3,000",
      "",
      "how",
    ],
    f.loads.map((l) => [
      l.family,
      l.key.length > 34 ? `${l.key.slice(0, 31)}...` : l.key,
      fmt(l.writes),
      fmt(l.wcu),
      pct(l.wcu / PARTITION_LIMITS.wcu),
      fmt(l.rcu),
      pct(l.rcu / PARTITION_LIMITS.rcu),
      l.use <= PARTITION_LIMITS.target ? "ok" : l.use <= 1 ? "OVER 70%" : "THROTTLES",
      l.note,
    ]),
  );
  const w = f.deliveryWrites;
  const dollars = (wcu: number) => `$${(wcu * PRICES.dynamodbOnDemandPerMillionWru).toFixed(2)}`;
  const split = (c: typeof w.now) =>
    `base ${c.base} (claim ${c.claimBytes} B, after the attempt ${c.attemptBytes} B) + ${Object.entries(
      c.perIndex,
    )
      .map(([name, wcu]) => `${name} ${wcu}`)
      .join(" + ")}`;
  console.log(
    `  deliveries log writes per delivery (claim + one delivering attempt, a 1 KiB JSON event): ${w.now.total} WCU = ${split(w.now)}: ${dollars(w.now.total)} per million deliveries on demand; before (ALL projections, message as JSON text) ${w.before.total} WCU = ${split(w.before)}: ${dollars(w.before.total)}. A retry that leaves the status pending writes the item only (its indexes unchanged).`,
  );
  const deliverConcurrency = (f.deliveries / f.settings.deliverBatchSize) * (f.deliverMs / 1000);
  const perQueue =
    (f.settings.deliverMaxConcurrency * f.settings.deliverBatchSize) / (f.deliverMs / 1000);
  console.log(
    `  deliveries: ${fmt(f.deliveries)}/s need ${fmt(deliverConcurrency)} concurrent deliver batches of ${f.settings.deliverBatchSize} (${f.deliverMs} ms each); each delivery queue's event source runs at most deliverMaxConcurrency ${f.settings.deliverMaxConcurrency}: ${fmt(perQueue)} deliveries/s per queue (${pct(f.deliveries / perQueue)}${f.deliveries > perQueue ? `: BINDS, raise -c eventflow:deliverMaxConcurrency=${Math.min(1000, Math.ceil(deliverConcurrency))} (2-1,000), or deliverBatchSize` : ""}); ordered destinations' FIFO queue (high-throughput mode, per message group) takes up to 70,000 messages/s per queue in us-east-1 with batching (AWS quota, raisable), one in flight per (tenant, destination, subject)`,
  );
  const wc = f.windowClose;
  const suggested = Math.ceil((wc.items * 1.2) / 50_000) * 50_000;
  // Measured: ~430 B of V8 heap per contribution as the sweep holds it (Node 24), twice while
  // the adapter maps the raw items: the sweep's memory must hold both.
  const heapMb = Math.ceil((suggested * 430 * 2) / 1048576 / 64) * 64;
  console.log(
    `  window close: a sweep pass reads ${fmt(wc.items)} contributions of the declaration (${wc.seconds} s of event time at ${fmt(m.windowGroupRate)} events/s, all its groups share its partitions); windowMaxReadItems ${fmt(wc.maxReadItems)} closes windows up to ${fmt(wc.bindsAt)} events/s into one declaration${
      wc.items > wc.maxReadItems
        ? `: BINDS (the pass stops, SweepFailed alarm, the window waits): -c eventflow:windowMaxReadItems=${suggested} -c eventflow:windowsMemoryMb=${Math.max(1024, heapMb + 256)} (~${heapMb} MB of sweep heap), or shorter windows`
        : " (ok)"
    }`,
  );
  const a = f.archive;
  const shardsNeeded = Math.ceil((f.rate * SPLIT_LAMBDA_MS_PER_1000) / 1e6 / SPLIT_BUSY_SHARE);
  console.log(
    `  archive: ${fmt(a.batchesPerSecond)} stream batches/s, ${a.filesPerBatch.toFixed(1)} staged Parquet file(s) (S3 PUTs) per batch, every tenant in it = ${fmt(a.stagedPutsPerSecond)} PUT/s; the splitter files a chunk of ${fmt(a.chunkEvents)} events into ${fmt(a.splitFilesPerChunk)} by-tenant files = ${fmt(a.splitPutsPerSecond)} PUT/s; together ${fmt(a.putsPerMillionEvents)} PUTs per million events ($${((a.putsPerMillionEvents / 1000) * 0.005).toFixed(4)}; the old one-file-per-tenant-and-batch layout: ${fmt(a.oldLayoutPutsPerMillionEvents)}, $${((a.oldLayoutPutsPerMillionEvents / 1000) * 0.005).toFixed(3)}); hottest prefix ${a.hottestPrefix} (shared by every tenant) ${fmt(a.hottestPrefixPutsPerSecond)} PUT/s of S3's 3,500 per prefix (${pct(a.hottestPrefixPutsPerSecond / 3500)}), the splitter's GETs there the same of 5,500; splitter work at ~${SPLIT_LAMBDA_MS_PER_1000} ms of 1 GB Lambda per 1,000 events (npm run bench -- --only history): archiveSplitShards >= ${shardsNeeded} (now ${f.settings.archiveSplitShards}${f.settings.archiveSplitShards < shardsNeeded ? ": BINDS, the staged backlog grows" : ""}); stream reads: Lambda's own polling, no read units billed or limited per key`,
  );
}

/**
 * The splitter's Lambda time per 1,000 events (decode + encode + S3 latency), an assumption
 * taken from `npm run bench -- --only history` (its splitter CPU / 0.58 vCPU at 1 GB, plus
 * a GET, a HEAD and the PUTs' latency per staged file), and the share of each run's
 * 15 minutes a shard may work (the rest is its deadline reserve).
 */
const SPLIT_LAMBDA_MS_PER_1000 = 150;
const SPLIT_BUSY_SHARE = 0.6;

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i < 2 || i === cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ")}`;
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<number> {
  let options: Options | "help";
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (options === "help") {
    console.log(HELP);
    return 0;
  }
  const { settings, assumptions } = options;
  const out: unknown[] = [];
  let over = false;
  for (const mix of options.mixes) {
    if (!options.json) {
      console.log(
        `\n${mix.name} (${mix.ingestBatch} events/request, ${mix.failedShare * 100}% failed, ${mix.duplicateShare * 100}% duplicates, ${mix.dataBytes} B data)`,
      );
    }
    let current: ModelResult | undefined;
    for (const layout of options.layouts) {
      const s = layout === "before" ? { ...settings, ...BEFORE } : settings;
      const result = await runModel(mix, s, assumptions);
      const { events, ...shown } = result;
      let features: FeatureResult | undefined;
      if (layout === "current") {
        current = result;
        over ||= result.families.some((f) => f.use > PARTITION_LIMITS.target);
        const deliveries = result.hottestTenantRate * options.features.routedShare;
        features = await runFeatures(
          mix,
          s,
          {
            ...result.concurrency,
            deliver: (deliveries / s.deliverBatchSize) * (options.deliverMs / 1000),
          },
          result.hottestTenantRate,
          events,
          options.features,
        );
        over ||= features.loads.some((f) => f.use > PARTITION_LIMITS.target);
      }
      out.push({ layout, ...shown, ...(features ? { features } : {}) });
      if (!options.json) {
        printModel(result, layout === "before" ? "before sharding" : "current settings");
        if (features) {
          printFeatures({ ...features, settings: s, deliverMs: options.deliverMs, rate: mix.rate });
        }
      }
    }
    if (current && !options.json) {
      console.log("\n  AWS quotas at this mix (current settings):");
      table(
        ["quota", "limit", "this mix", "use", "binds at events/s", "raisable", "what to do"],
        quotaRows(current, settings, assumptions).map((q) => [
          q.name,
          q.limit,
          q.demand,
          q.use > 0 ? pct(q.use) : "-",
          fmt(q.bindsAt),
          q.raisable,
          q.action,
        ]),
      );
    }
  }
  if (options.json) console.log(JSON.stringify({ assumptions, results: out }, null, 2));
  else {
    console.log(
      `\nAssumptions (not measurable here): ingest ${assumptions.ingestMs} ms/request, process ${assumptions.processMs} ms/batch, ${assumptions.listPagesPerSecond} list pages/s and ${assumptions.statsReadsPerSecond} stats read/s on the hottest tenant, deliver ${options.deliverMs} ms/batch; configuration items: see load-testing/scale/features.ts CONFIG_SIZES.`,
    );
    console.log(
      over
        ? "RESULT: a partition of the current layout passes 70% of its limit."
        : "RESULT: every partition of the current layout at or below 70% of its limits.",
    );
  }
  return over ? 1 : 0;
}

process.exitCode = await main();

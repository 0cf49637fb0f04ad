/** Text output of `npm run bench`: one block per section, each starting with its method. */
import { PRICES } from "../prices.js";
import type { ColdstartResult, InitStats } from "./coldstart.js";
import type { CostResult, DesignRun } from "./cost.js";
import type { HandlerResult, Method } from "./handlers.js";

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const usd = (n: number) => `$${n.toFixed(n < 0.01 ? 4 : 3)}`;
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

export function heading(title: string, method: Method): string[] {
  return ["", `== ${title} ==`, `method: ${method.summary}`];
}

export function handlerLines(results: HandlerResult[]): string[] {
  const lines = [
    `  ${pad("function", 9)}${lpad("batch", 5)}  ${pad("mode", 10)}${lpad("events/s/core", 14)} ${pad("[rounds low-high]", 18)}${lpad("CPU ms/event", 13)}${lpad("events/s wall", 15)}${lpad("ms/inv p50", 12)}${lpad("p99", 8)}${lpad("invocations", 13)}`,
  ];
  for (const r of results) {
    const [low, high] = r.eventsPerCpuSecondRange;
    lines.push(
      `  ${pad(r.fn, 9)}${lpad(String(r.batch), 5)}  ${pad(r.mode, 10)}${lpad(int(r.eventsPerCpuSecond), 14)} ${pad(`[${int(low)}-${int(high)}]`, 18)}${lpad(fixed(r.cpuMsPerEvent, 3), 13)}${lpad(int(r.eventsPerWallSecond), 15)}${lpad(fixed(r.invocationMs.p50, 2), 12)}${lpad(fixed(r.invocationMs.p99, 2), 8)}${lpad(int(r.invocations), 13)}`,
    );
  }
  const stub = results.filter((r) => r.mode === "stub");
  const stubCpu = stub.reduce((s, r) => s + r.stubCpuSeconds, 0);
  const allCpu = stub.reduce((s, r) => s + r.cpuSeconds + r.stubCpuSeconds, 0);
  if (allCpu > 0) {
    lines.push(
      `  (stub's own CPU, subtracted above: ${fixed((100 * stubCpu) / allCpu, 1)}% of the stub runs' CPU; CPU per event varies with what else runs on this shared 2-vCPU VM (load average above): compare rounds)`,
    );
  }
  return lines;
}

const delta = (a: InitStats, base: InitStats) =>
  `${int(a.startToReadyMs)} ms (+${int(a.startToReadyMs - base.startToReadyMs)})`;

export function coldstartLines(r: ColdstartResult): string[] {
  const lines = [
    `  baseline (empty module): ${int(r.baseline.startToReadyMs)} ms start->ready, CPU ${int(r.baseline.cpuMs)} ms; with --enable-source-maps ${int(r.baselineWithSourceMaps.startToReadyMs)} ms`,
    `  ${pad("function", 9)}${lpad("bundle", 11)}${lpad("map", 11)}   ${pad("init (vs baseline)", 20)}${lpad("import", 8)}${lpad("CPU", 8)}   ${pad("without source maps", 20)}`,
  ];
  for (const f of r.functions) {
    lines.push(
      `  ${pad(f.name, 9)}${lpad(int(f.bytes), 11)}${lpad(int(f.mapBytes), 11)}   ${pad(delta(f.init, r.baselineWithSourceMaps), 20)}${lpad(`${int(f.init.importMs)} ms`, 8)}${lpad(`${int(f.init.cpuMs)} ms`, 8)}   ${pad(delta(f.initWithoutSourceMaps, r.baseline), 20)}`,
    );
  }
  for (const f of r.functions) {
    for (const side of f.side) {
      lines.push(
        `  ${pad(`${f.name} side file ${side.file}`, 9)}: ${int(side.bytes)} B (map ${int(side.mapBytes)}), not in the bundle column, loaded on first need; main + side file ${delta(side.initWithMain, r.baselineWithSourceMaps)} (vs main alone ${delta(f.init, r.baselineWithSourceMaps)})`,
      );
    }
  }
  lines.push("  top 5 inputs by package (bytes in the minified main file):");
  for (const f of r.functions) {
    const top = f.top.map(
      (p) => `${p.name} ${kb(p.bytes)} (${fixed((100 * p.bytes) / f.bytes, 0)}%)`,
    );
    lines.push(`    ${pad(f.name, 8)} ${top.join(", ")}`);
  }
  lines.push("  components bundled alone (same options, no source map), init vs baseline:");
  for (const c of r.components) {
    lines.push(
      `    ${pad(c.name, 24)}${lpad(int(c.bytes), 9)} B  ${delta(c.init, r.baseline)}, CPU +${int(c.init.cpuMs - r.baseline.cpuMs)} ms   (${c.description})`,
    );
  }
  if (r.skipped.length > 0) lines.push(`  skipped (entry file missing): ${r.skipped.join(", ")}`);
  return lines;
}

const signed = (n: number) => `${n >= 0 ? "+" : ""}${int(n)}`;

/** Wall and CPU difference of two init measurements. */
const initDelta = (a: InitStats, b: InitStats) =>
  `${signed(a.startToReadyMs - b.startToReadyMs)} ms init, ${signed(a.cpuMs - b.cpuMs)} ms CPU`;

export function coldstartFindings(r: ColdstartResult): string[] {
  const lines: string[] = ["  findings:"];
  const zod = r.components.find((c) => c.name === "zod");
  const sdk = r.components.find((c) => c.name === "sqs client");
  const first = r.functions[0];
  if (zod && first) {
    const shares = r.functions.map((f) => `${fixed((100 * f.zodBytes) / f.bytes, 0)}%`).join("/");
    lines.push(
      `    - zod (\`import * as z from "zod"\`, which esbuild tree-shakes; \`import { z }\` bundled all of it, 444 KiB): ${kb(first.zodBytes)} in ${first.name} (${shares} of ${r.functions.map((f) => f.name).join("/")}); alone: ${initDelta(zod.init, r.baseline)} vs baseline.`,
    );
  }
  if (sdk) {
    lines.push(
      `    - the AWS SDK is the init cost: one SQSClient alone is ${kb(sdk.bytes)} and ${initDelta(sdk.init, r.baseline)} vs baseline.`,
    );
  }
  const ingest = r.functions.find((f) => f.name === "ingest");
  if (ingest) {
    lines.push(
      ingest.dynamodbOnlyBytes === 0
        ? "    - ingest bundles no DynamoDB code."
        : `    - ingest bundles ${kb(ingest.dynamodbOnlyBytes)} of DynamoDB-only packages (the schema registry's lookups).`,
    );
  }
  const sm = r.functions.map((f) => `${f.name} ${initDelta(f.init, f.initWithoutSourceMaps)}`);
  lines.push(
    `    - NODE_OPTIONS=--enable-source-maps (lib/contracts/functions.ts): ${sm.join("; ")} (empty module: ${initDelta(r.baselineWithSourceMaps, r.baseline)}).`,
  );
  return lines;
}

function designLines(d: DesignRun, retentionDays: number): string[] {
  const u = d.usage;
  const per = (n: number) => fixed(n / u.events, 4);
  const inv = Object.entries(u.functions)
    .map(
      ([name, f]) => `${name} ${per(f.invocations)} x ${fixed(f.billedMs / f.invocations, 1)} ms`,
    )
    .join(", ");
  const wru = Object.entries(u.wru)
    .map(([k, v]) => `${k} ${per(v)}`)
    .join(", ");
  const lines = [
    `  ${d.spec.name}: ${d.spec.description}; ${int(u.events)} events of ${int(d.eventJsonBytes.mean)} B JSON, stored items ${int(d.itemBytes.mean)} B (DynamoDB size)`,
    `    per event: API requests ${per(u.apiRequests)}; Lambda invocations ${inv} billed; SQS billed requests ${Object.entries(
      u.sqs,
    )
      .map(([k, v]) => `${k} ${per(v.billedRequests)}`)
      .join(", ")}; WRU ${wru}`,
  ];
  for (const line of d.cost.lines) {
    lines.push(
      `    ${pad(line.service, 16)}${pad(line.item, 44)}${lpad(fixed(line.perEvent, line.perEvent < 1 ? 4 : 1), 10)} ${pad(line.unit, 9)}${lpad(usd(line.usdPerMillionEvents), 9)}`,
    );
  }
  const services = Object.entries(d.cost.byService)
    .map(([k, v]) => `${k} ${usd(v)}`)
    .join(", ");
  lines.push(`    by service: ${services}`);
  lines.push(
    `    TOTAL ${usd(d.cost.totalPerMillionEvents)} per million events; not in it: storage ${usd(d.cost.storagePerMillionEventsPerMonth)} per month kept (incl. PITR), ${usd((d.cost.storagePerMillionEventsPerMonth * retentionDays * 12) / 365)} over the ${retentionDays}-day retention`,
  );
  return lines;
}

export function costLines(r: CostResult): string[] {
  const lines: string[] = [];
  for (const d of r.designs) lines.push(...designLines(d, r.retentionDays));
  const def = r.designs[0];
  if (!def) return lines;
  const dynamo = def.cost.byService.DynamoDB ?? 0;
  const total = def.cost.totalPerMillionEvents;
  const wruCost = (key: string) =>
    def.cost.lines.find((l) => l.item === `writes: ${key}`)?.usdPerMillionEvents ?? 0;
  const indexes = wruCost("byType") + wruCost("byTime");
  lines.push(
    `  goal <= ${usd(r.targetPerMillionEvents)} per million 1 KiB events, default settings, every query: ${total <= r.targetPerMillionEvents ? "MET" : `NOT MET, ${fixed(total / r.targetPerMillionEvents, 2)}x over`} (${usd(total)}).`,
    ...r.scenarios
      .filter((s) => s.name.startsWith("PROFILE"))
      .map((s) => {
        const goal = s.name.includes("lean")
          ? r.leanTargetPerMillionEvents
          : r.targetPerMillionEvents;
        return `  ${s.name.slice("PROFILE ".length)}: ${usd(s.totalPerMillionEvents)} against <= ${usd(goal)}: ${s.totalPerMillionEvents <= goal ? "MET" : "NOT MET"}.`;
      }),
    `    DynamoDB is ${usd(dynamo)} (${fixed((100 * dynamo) / total, 0)}%): base table ${usd(wruCost("table"))} (${fixed((def.usage.wru.table ?? 0) / def.usage.events, 2)} WRU/event: a 1 KiB event makes a ${int(def.itemBytes.mean)} B item, over the 1 KiB unit), byType + byTime ${usd(indexes)} (${fixed((100 * indexes) / total, 0)}% of the total), stats ${usd(wruCost("stats"))}.`,
    `    where a stored item's ${int(def.itemBytes.mean)} B go (name + value): ${Object.entries(
      def.sampleItemAttributes,
    )
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}, ...`,
    `    items are packed (data and descriptive fields deflated into one binary body, lambdas/adapters/dynamodb-event-item.ts): ${fixed((def.usage.wru.table ?? 0) / def.usage.events, 2)} WRU/event for the base table. The load generator's padding ("x"...) compresses far better than real data: a realistic 1 KiB order JSON packs to an item under 1,024 B (test/unit/lambdas/adapters/dynamodb-event-item.test.ts), incompressible data stays at 2 WRU.`,
    `    floor: one 1-WRU write per event is ${usd(PRICES.dynamodbOnDemandPerMillionWru)} alone; everything else in the default config costs ${usd(total - dynamo)}.`,
    "  what it would take (same measured usage, changed by the cost model):",
  );
  for (const s of r.scenarios) {
    const mark =
      s.totalPerMillionEvents <= r.leanTargetPerMillionEvents
        ? "  <= lean goal"
        : s.totalPerMillionEvents <= r.targetPerMillionEvents
          ? "  <= default goal"
          : "";
    lines.push(`    ${pad(s.name, 64)}${lpad(usd(s.totalPerMillionEvents), 9)}${mark}`);
  }
  lines.push(
    "    (provisioned: $0.00065/WCU-hour kept 70% busy on average, which needs steady traffic; indexes dropped means their queries go: list by type/time would need another design)",
    "    not per event, left out: idle polling by the event source mapping, custom metrics ($0.30/metric-month), alarms, dashboard, Lambda INIT billing on cold starts.",
  );
  return lines;
}

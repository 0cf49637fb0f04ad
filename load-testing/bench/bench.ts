/**
 * `npm run bench`: handler CPU cost in-process, bundle sizes and cold-start init, and
 * cost per million events. Every figure is printed under the method that produced it,
 * and all of them go to reports/bench-<timestamp>.json.
 *
 * The machine is small and may be shared: the load average is recorded with the results.
 * Nothing here asserts on time; the numbers are for people to read and compare.
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { REPO_ROOT } from "../../lib/constructs/eventflow-function.js";
import { stopBenchAws } from "./bench-aws.js";
import { benchColdstart, coldstartMethod } from "./coldstart.js";
import { benchCost, costMethod } from "./cost.js";
import { benchHandlers, handlersMethod } from "./handlers.js";
import {
  archiveCost,
  archiveLag,
  COST_MIXES,
  duckDbQuery,
  historyLines,
  historyMethod,
} from "./history.js";
import { benchJson, jsonLines, jsonMethod } from "./json.js";
import { BenchUsageError, HELP, parseBenchOptions } from "./options.js";
import { benchPipeline, pipelineLines, pipelineMethod } from "./pipeline.js";
import { coldstartFindings, coldstartLines, costLines, handlerLines, heading } from "./print.js";
import { benchRules, rulesLines, rulesMethod } from "./rules.js";
import { benchSchemas, schemasLines, schemasMethod } from "./schemas.js";
import { benchSdk, sdkLines, sdkMethod } from "./sdk.js";
import { benchWindows, windowsLines, windowsMethod } from "./windows.js";

const PROFILES = {
  full: {
    handlers: { rounds: 3, warmupSeconds: 1.5, rewarmSeconds: 0.3, seconds: 2 },
    coldstartRuns: 21,
    cost: { defaultEvents: 5000, naiveEvents: 1000 },
    json: { sizes: [20_000, 60_000, 200_000, 1_000_000], runs: 5 },
    rules: { rounds: 5, warmupSeconds: 1.5, seconds: 2, batch: 10 },
    windows: { rounds: 3, warmupSeconds: 1.5, seconds: 3 },
    sdk: { batches: [25, 100], inFlight: 8, seconds: 8, rounds: 3, cpuEvents: 50_000 },
    schemas: { seconds: 2, rounds: 5, trials: 5 },
    history: {
      events: 20_000,
      zipfEvents: 1_000_000,
      lagSeconds: 30,
      lagRate: 500,
      duckRows: 10_000_000,
    },
    pipeline: { events: 15_000, rate: 500, rounds: 3, warmupEvents: 5000 },
  },
  quick: {
    handlers: { rounds: 1, warmupSeconds: 0.3, rewarmSeconds: 0.3, seconds: 0.8 },
    coldstartRuns: 5,
    cost: { defaultEvents: 1000, naiveEvents: 200 },
    json: { sizes: [60_000], runs: 1 },
    rules: { rounds: 1, warmupSeconds: 0.3, seconds: 0.5, batch: 10 },
    windows: { rounds: 1, warmupSeconds: 0.3, seconds: 0.8 },
    sdk: { batches: [25], inFlight: 8, seconds: 2, rounds: 1, cpuEvents: 5_000 },
    schemas: { seconds: 0.5, rounds: 1, trials: 1 },
    history: { events: 2000, zipfEvents: 20_000, lagSeconds: 5, lagRate: 500, duckRows: 200_000 },
    pipeline: { events: 2000, rate: 500, rounds: 1, warmupEvents: 1000 },
  },
} as const;

const print = (lines: string[]) => {
  process.stdout.write(`${lines.join("\n")}\n`);
};

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseBenchOptions>;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${HELP}`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const profile = options.quick ? PROFILES.quick : PROFILES.full;
  const startedAt = new Date();
  const cpu = cpus();
  const meta = {
    startedAt: startedAt.toISOString(),
    node: process.version,
    cpu: `${cpu.length} x ${cpu[0]?.model ?? "unknown"}`,
    loadAverageAtStart: loadavg(),
    commit: `${git(["rev-parse", "--short", "HEAD"])}${git(["status", "--porcelain"]) ? " + uncommitted changes" : ""}`,
    profile: options.quick ? "quick (smoke test: too few iterations to quote)" : "full",
    sections: options.sections,
  };
  print([
    `EventFlow bench, ${meta.startedAt}: Node ${meta.node}, ${meta.cpu}, load average ${meta.loadAverageAtStart.map((l) => l.toFixed(2)).join(" ")}, commit ${meta.commit}`,
    `profile: ${meta.profile}`,
  ]);

  const report: Record<string, unknown> = { meta };
  try {
    if (options.sections.includes("handlers")) {
      const method = handlersMethod(profile.handlers);
      print(heading("1. Handler cost in-process (events/s per core)", method));
      const results = await benchHandlers(profile.handlers);
      print(handlerLines(results));
      report.handlers = { method, results };
    }
    if (options.sections.includes("coldstart")) {
      const method = coldstartMethod(profile.coldstartRuns);
      print(heading("2. Bundle size and cold-start init", method));
      const result = await benchColdstart({ runs: profile.coldstartRuns });
      print([...coldstartLines(result), ...coldstartFindings(result)]);
      report.coldstart = { method, ...result };
    }
    if (options.sections.includes("cost")) {
      const method = costMethod();
      print(heading("3. Cost per million 1 KiB events", method));
      const result = await benchCost(profile.cost);
      print(costLines(result));
      report.cost = { method, ...result };
    }
    if (options.sections.includes("json")) {
      const method = jsonMethod(profile.json);
      print(heading("4. Long number literals vs string bodies of the same size", method));
      const results = await benchJson(profile.json);
      print(jsonLines(results));
      report.json = { method, results };
    }
    if (options.sections.includes("rules")) {
      const method = rulesMethod(profile.rules);
      print(heading("5. Tenant rules in the process function (CPU per event)", method));
      const results = await benchRules(profile.rules);
      print(rulesLines(results));
      report.rules = { method, results };
    }
    if (options.sections.includes("sdk")) {
      const method = sdkMethod(profile.sdk);
      print(heading("6. Producer SDK: throughput vs raw requests, CPU per event", method));
      const result = await benchSdk(profile.sdk);
      print(sdkLines(result));
      report.sdk = { method, ...result };
    }
    if (options.sections.includes("windows")) {
      const o = { ...profile.windows, batch: 10 };
      const method = windowsMethod(o);
      print(heading("6. Windows and patterns: process CPU per event", method));
      const results = await benchWindows(o);
      print(windowsLines(results));
      report.windows = { method, results };
    }
    if (options.sections.includes("schemas")) {
      const method = schemasMethod(profile.schemas);
      print(
        heading("8. Schema registry: ingest CPU with enforce, registration to enforcement", method),
      );
      const result = await benchSchemas(profile.schemas);
      print(schemasLines(result));
      report.schemas = { method, ...result };
    }
    if (options.sections.includes("history")) {
      const method = historyMethod(profile.history);
      print(
        heading("9. History: archive cost, local archive lag, DuckDB over the archive", method),
      );
      const cost = await archiveCost(profile.history.events, COST_MIXES.single);
      print(historyLines({ cost }));
      const zipf = await archiveCost(profile.history.zipfEvents, COST_MIXES.zipf);
      print(historyLines({ cost, zipf }).slice(3, 6));
      const lag = await archiveLag(profile.history.lagRate, profile.history.lagSeconds);
      print(historyLines({ cost, lag }).slice(-1));
      const duck = await duckDbQuery(profile.history.duckRows);
      print(historyLines({ cost, duck }).slice(-1));
      report.history = { method, cost, zipf, lag, duck };
    }
    if (options.sections.includes("pipeline")) {
      const method = pipelineMethod(profile.pipeline);
      print(heading("10. Local pipeline: CPU per event, by thread", method));
      const result = await benchPipeline(profile.pipeline);
      print(pipelineLines(result));
      report.pipeline = { method, ...result };
    }
  } finally {
    await stopBenchAws();
  }

  (report.meta as Record<string, unknown>).loadAverageAtEnd = loadavg();
  (report.meta as Record<string, unknown>).seconds = (Date.now() - startedAt.getTime()) / 1000;
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  const out = resolve(REPO_ROOT, options.out ?? `reports/bench-${stamp}.json`);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  print([
    "",
    `load average at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        " ",
      )}; ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s; JSON: ${out.replace(`${REPO_ROOT}/`, "")}`,
  ]);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);

/**
 * Section 2: bundle size and cold-start init. Each function is bundled with esbuild and
 * the very options the CDK construct gives NodejsFunction (FUNCTION_BUNDLING, mapped to
 * esbuild the way aws-cdk-lib/aws-lambda-nodejs/lib/bundling.js maps them), then
 * imported by fresh `node` processes with the function's production environment.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { BundlingOptions } from "aws-cdk-lib/aws-lambda-nodejs";
import * as esbuild from "esbuild";
import { resolveSettings } from "../../lib/config.js";
import {
  FUNCTION_BUNDLING,
  REPO_ROOT,
  SIDE_BUNDLES,
  sideBundleCommands,
} from "../../lib/constructs/eventflow-function.js";
import {
  FUNCTION_ENTRIES,
  type FunctionName,
  functionEnvironment,
  functionSizing,
} from "../../lib/contracts/functions.js";
import type { Method } from "./handlers.js";
import { median } from "./stats.js";

/** The bundling options the mapping below knows; any other one fails the bench loudly. */
const MIRRORED = new Set([
  "forceDockerBundling",
  "minify",
  "sourceMap",
  "sourceMapMode",
  "sourcesContent",
  "format",
  "target",
  "mainFields",
  "bundleAwsSDK",
  "externalModules",
  "banner",
  "footer",
  "loader",
  "define",
  "keepNames",
  "inject",
  "logLevel",
]);

/** esbuild options equivalent to NodejsFunction's command line for these bundling options. */
export function esbuildOptionsFor(bundling: BundlingOptions): esbuild.BuildOptions {
  const unknown = Object.keys(bundling).filter((k) => !MIRRORED.has(k));
  if (unknown.length > 0) {
    throw new Error(`bench: bundling options not mirrored in coldstart.ts: ${unknown.join(", ")}`);
  }
  const sourceMapMode = bundling.sourceMapMode;
  const sourcemap: esbuild.BuildOptions["sourcemap"] = !(sourceMapMode ?? bundling.sourceMap)
    ? false
    : !sourceMapMode || sourceMapMode === "default"
      ? true
      : (sourceMapMode as "linked" | "inline" | "external" | "both");
  return {
    bundle: true,
    platform: "node",
    target: bundling.target ?? "node24",
    ...(bundling.format ? { format: bundling.format as "esm" | "cjs" } : {}),
    minify: bundling.minify ?? false,
    sourcemap,
    sourcesContent: bundling.sourcesContent ?? true,
    // bundleAwsSDK: nothing external; otherwise the runtime's SDK is left out.
    external: [...(bundling.externalModules ?? (bundling.bundleAwsSDK ? [] : ["@aws-sdk/*"]))],
    ...(bundling.loader ? { loader: bundling.loader as Record<string, esbuild.Loader> } : {}),
    ...(bundling.define ? { define: bundling.define } : {}),
    keepNames: bundling.keepNames ?? false,
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    ...(bundling.footer ? { footer: { js: bundling.footer } } : {}),
    ...(bundling.mainFields ? { mainFields: [...bundling.mainFields] } : {}),
    ...(bundling.inject ? { inject: [...bundling.inject] } : {}),
    logLevel: "warning",
  };
}

export interface PackageBytes {
  name: string;
  bytes: number;
}

/** Output bytes by package (node_modules/<pkg>), or by folder for the project's sources. */
export function bytesByPackage(
  metafile: esbuild.Metafile,
  outfile: string,
  root: string,
): PackageBytes[] {
  const output = Object.entries(metafile.outputs).find(
    ([path]) => resolve(root, path) === resolve(outfile),
  )?.[1];
  if (!output) throw new Error(`bench: ${outfile} is not in the metafile`);
  const totals = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const name = pkg ?? (path.split("/").slice(0, -1).join("/") || path);
    totals.set(name, (totals.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Packages only the DynamoDB client brings (what an SQS-only function need not carry). */
export const DYNAMODB_ONLY_PACKAGES =
  /^(@aws-sdk\/(client-dynamodb|lib-dynamodb|util-dynamodb|dynamodb-codec|endpoint-cache|middleware-endpoint-discovery)|mnemonist|obliterator)$/;

interface Target {
  name: string;
  file: string;
  /** Loaded after `file`, in the same process (a side bundle). */
  andThen?: string;
  env: Record<string, string>;
}

export interface InitStats {
  runs: number;
  /** Process start (performance.timeOrigin) to import done, ms. */
  startToReadyMs: number;
  /** The import() alone, ms. */
  importMs: number;
  /** CPU of the whole process up to import done, ms. */
  cpuMs: number;
}

/** A side bundle shipped next to a function's main file (SIDE_BUNDLES), loaded lazily. */
export interface SideFileResult {
  file: string;
  bytes: number;
  mapBytes: number;
  /** Main file, then the side file: what the first event that needs it has paid in all. */
  initWithMain: InitStats;
}

export interface BundleResult {
  name: string;
  /** The main file (index.js), which every cold start loads. */
  bytes: number;
  mapBytes: number;
  /** Side files in the same asset, loaded only when needed (not in `bytes`). */
  side: SideFileResult[];
  top: PackageBytes[];
  zodBytes: number;
  dynamodbOnlyBytes: number;
  init: InitStats;
  initWithoutSourceMaps: InitStats;
}

export interface ComponentResult {
  name: string;
  description: string;
  bytes: number;
  init: InitStats;
}

export interface ColdstartResult {
  runs: number;
  baseline: InitStats;
  baselineWithSourceMaps: InitStats;
  functions: BundleResult[];
  components: ComponentResult[];
  skipped: string[];
}

/** Small entry points that isolate what a dependency costs on its own. */
const COMPONENTS = [
  {
    name: "zod",
    description: 'import * as z from "zod" and one small schema',
    code: 'import * as z from "zod"; export const s = z.object({ a: z.string() }); s.parse({ a: "x" });',
  },
  {
    name: "sqs client",
    description: "new SQSClient()",
    code: 'import { SQSClient, SendMessageBatchCommand } from "@aws-sdk/client-sqs"; export const c = new SQSClient({}); export { SendMessageBatchCommand };',
  },
  {
    name: "sqs + dynamodb clients",
    description: "new SQSClient() + DynamoDBDocumentClient.from(new DynamoDBClient())",
    code: 'import { SQSClient, SendMessageBatchCommand } from "@aws-sdk/client-sqs"; import { DynamoDBClient } from "@aws-sdk/client-dynamodb"; import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb"; export const c = new SQSClient({}); export const d = DynamoDBDocumentClient.from(new DynamoDBClient({})); export { SendMessageBatchCommand, PutCommand };',
  },
  {
    name: "powertools + middy",
    description: "Logger, Metrics, their middy middlewares, BatchProcessor",
    code: 'import { Logger } from "@aws-lambda-powertools/logger"; import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware"; import { Metrics } from "@aws-lambda-powertools/metrics"; import { logMetrics } from "@aws-lambda-powertools/metrics/middleware"; import { BatchProcessor, EventType } from "@aws-lambda-powertools/batch"; import middy from "@middy/core"; export const l = new Logger(); export const m = new Metrics({ namespace: "x" }); export const h = middy(async () => {}).use(injectLambdaContext(l)).use(logMetrics(m)); export const p = new BatchProcessor(EventType.SQS);',
  },
] as const;

/**
 * Prints JSON once the module is loaded (import() for ESM bundles, require() for CommonJS
 * ones, as the Lambda runtime loads each); timeOrigin is the process start.
 */
const PROBE = `import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
const before = performance.now();
for (const target of process.argv.slice(2)) {
  if (target.endsWith(".mjs")) await import(target);
  else createRequire(import.meta.url)(fileURLToPath(target));
}
const done = performance.now();
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ before, done, cpuMs: (cpu.user + cpu.system) / 1000 }) + "\\n");
`;

const DUMMY_REFS = {
  tableName: "eventflow-events",
  queueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/eventflow-events",
  dlqUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/eventflow-events-dlq",
  keysTableName: "eventflow-keys",
  configTableName: "eventflow-config",
  cursorSecretId:
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:eventflow-cursor-key-AbCdEf",
  archiveBucketName: "eventflow-archive",
  jobsQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/eventflow-history-jobs",
  deliveryQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/eventflow-deliveries",
  deliveryFifoQueueUrl:
    "https://sqs.us-east-1.amazonaws.com/123456789012/eventflow-deliveries-ordered.fifo",
  deliveryDlqUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/eventflow-deliveries-dlq",
  deliveriesTableName: "eventflow-deliveries",
  destinationSecretId:
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:eventflow-destination-key-AbCdEf",
};

const sideFilesOf = (name: FunctionName): string[] =>
  SIDE_BUNDLES.filter((b) => (b.functions as readonly string[]).includes(name)).map((b) => b.file);

/**
 * A main file that imports a side file must ship it, and one that ships it must import it
 * (else the side file is dead weight or the function fails the first time it needs it).
 */
function checkSideBundles(name: FunctionName, outfile: string, metafile: esbuild.Metafile): void {
  const output = Object.entries(metafile.outputs).find(
    ([path]) => resolve(REPO_ROOT, path) === resolve(outfile),
  )?.[1];
  const imported = new Set(output?.imports.filter((i) => i.external).map((i) => i.path));
  for (const b of SIDE_BUNDLES) {
    const ships = (b.functions as readonly string[]).includes(name);
    if (imported.has(`./${b.file}`) !== ships) {
      throw new Error(
        `bench: ${name} ${ships ? "ships" : "imports"} ./${b.file} but ${ships ? "does not import it" : "does not ship it"}: fix SIDE_BUNDLES in lib/constructs/eventflow-function.ts`,
      );
    }
  }
}

export function coldstartMethod(runs: number): Method {
  return {
    summary: `esbuild with FUNCTION_BUNDLING (lib/constructs/eventflow-function.ts); init = median of ${runs} fresh node processes per bundle (interleaved, warm-up round dropped), process start -> import() done, with the function's production env (NODE_OPTIONS=--enable-source-maps) and dummy AWS credentials; baseline = empty module; top inputs = metafile bytes by package`,
    detail: [
      "bundles: the construct's BundlingOptions mapped to esbuild as aws-cdk-lib/aws-lambda-nodejs/lib/bundling.js does (minify, CommonJS, node24, linked source map without sources content, AWS SDK bundled but the profile-file credential providers external); `bundle` is the main file (index.js) every cold start loads",
      "side files: SIDE_BUNDLES built by the construct's own afterBundling commands (sideBundleCommands); their bytes are listed apart, and `main + side file` is one process loading both, what the first event that needs the side file has paid by then",
      `init: \`${process.execPath.replace(REPO_ROOT, ".")}\` runs a probe that import()s the bundle and prints performance.now() (ms since process start) and process.cpuUsage()`,
      "env: functionEnvironment(name, defaults, dummy refs), AWS_REGION, dummy credentials, AWS_LAMBDA_* names; the same runs without NODE_OPTIONS measure --enable-source-maps",
      "components: small entries bundled alone with the same options (no source map) isolate zod, the SDK clients and Powertools",
      "DynamoDB-only bytes: metafile bytes per bundle of the packages only the DynamoDB client pulls in (DYNAMODB_ONLY_PACKAGES; ingest should have none)",
    ],
  };
}

function childEnv(name: FunctionName, withSourceMaps: boolean): Record<string, string> {
  const settings = resolveSettings({});
  const { NODE_OPTIONS, ...env } = functionEnvironment(name, settings, DUMMY_REFS);
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    TZ: ":UTC",
    LANG: "en_US.UTF-8",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDBENCHEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "bench-secret",
    AWS_SESSION_TOKEN: "bench-token",
    AWS_LAMBDA_FUNCTION_NAME: `eventflow-${name}`,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(functionSizing(name, settings).memoryMb),
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
    ...env,
    ...(withSourceMaps && NODE_OPTIONS ? { NODE_OPTIONS } : {}),
  };
}

interface Sample {
  done: number;
  importMs: number;
  cpuMs: number;
}

function runProbe(probe: string, target: Target): Promise<Sample> {
  return new Promise((resolvePromise, reject) => {
    const files = [target.file, ...(target.andThen ? [target.andThen] : [])];
    const child = spawn(process.execPath, [probe, ...files.map((f) => pathToFileURL(f).href)], {
      env: target.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      try {
        const parsed = JSON.parse(line) as { before: number; done: number; cpuMs: number };
        resolvePromise({
          done: parsed.done,
          importMs: parsed.done - parsed.before,
          cpuMs: parsed.cpuMs,
        });
      } catch {
        reject(new Error(`init probe of ${target.name} exited ${code}: ${err.slice(0, 2000)}`));
      }
    });
  });
}

async function measureInit(
  probe: string,
  targets: Target[],
  runs: number,
): Promise<Map<string, InitStats>> {
  const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round <= runs; round++) {
    for (const target of targets) {
      const sample = await runProbe(probe, target);
      if (round > 0) samples.get(target.name)?.push(sample);
    }
  }
  const stats = new Map<string, InitStats>();
  for (const [name, list] of samples) {
    stats.set(name, {
      runs: list.length,
      startToReadyMs: median(list.map((s) => s.done)),
      importMs: median(list.map((s) => s.importMs)),
      cpuMs: median(list.map((s) => s.cpuMs)),
    });
  }
  return stats;
}

export async function benchColdstart(options: { runs: number }): Promise<ColdstartResult> {
  const dir = await mkdtemp(join(tmpdir(), "eventflow-bench-"));
  try {
    const base = esbuildOptionsFor(FUNCTION_BUNDLING);
    // The file name NodejsFunction gives the bundle: index.mjs for ESM, index.js for CommonJS.
    const bundleFile = base.format === "esm" ? "index.mjs" : "index.js";
    const names = Object.keys(FUNCTION_ENTRIES) as FunctionName[];
    const skipped = names.filter((n) => !existsSync(resolve(REPO_ROOT, FUNCTION_ENTRIES[n])));
    const built: { name: FunctionName; file: string; metafile: esbuild.Metafile }[] = [];
    for (const name of names.filter((n) => !skipped.includes(n))) {
      const file = join(dir, name, bundleFile);
      const result = await esbuild.build({
        ...base,
        absWorkingDir: REPO_ROOT,
        entryPoints: [resolve(REPO_ROOT, FUNCTION_ENTRIES[name])],
        outfile: file,
        metafile: true,
      });
      // The side bundles, by the very commands the construct gives NodejsFunction.
      for (const command of sideBundleCommands(name, REPO_ROOT, join(dir, name))) {
        execFileSync("bash", ["-c", command], { cwd: REPO_ROOT, stdio: "inherit" });
      }
      checkSideBundles(name, file, result.metafile);
      built.push({ name, file, metafile: result.metafile });
    }
    const components: { name: string; description: string; file: string }[] = [];
    for (const c of COMPONENTS) {
      const file = join(dir, "components", c.name.replace(/\W+/g, "-"), bundleFile);
      await esbuild.build({
        ...base,
        sourcemap: false,
        absWorkingDir: REPO_ROOT,
        stdin: { contents: c.code, resolveDir: REPO_ROOT, loader: "ts" },
        outfile: file,
      });
      components.push({ name: c.name, description: c.description, file });
    }
    const empty = join(dir, bundleFile.replace("index", "empty"));
    const probe = join(dir, "probe.mjs");
    await writeFile(empty, base.format === "esm" ? "export {};\n" : "module.exports = {};\n");
    await writeFile(probe, PROBE);

    const targets: Target[] = [
      { name: "baseline", file: empty, env: childEnv("ingest", false) },
      { name: "baseline+sm", file: empty, env: childEnv("ingest", true) },
      ...built.flatMap((b) => [
        { name: b.name, file: b.file, env: childEnv(b.name, true) },
        { name: `${b.name}-nosm`, file: b.file, env: childEnv(b.name, false) },
        ...sideFilesOf(b.name).map((side) => ({
          name: `${b.name}+${side}`,
          file: b.file,
          andThen: join(dir, b.name, side),
          env: childEnv(b.name, true),
        })),
      ]),
      ...components.map((c) => ({
        name: `component:${c.name}`,
        file: c.file,
        env: childEnv("ingest", false),
      })),
    ];
    const init = await measureInit(probe, targets, options.runs);
    const get = (name: string) => init.get(name) as InitStats;

    const functions: BundleResult[] = [];
    for (const b of built) {
      const packages = bytesByPackage(b.metafile, b.file, REPO_ROOT);
      functions.push({
        name: b.name,
        bytes: (await stat(b.file)).size,
        mapBytes: (await stat(`${b.file}.map`)).size,
        side: await Promise.all(
          sideFilesOf(b.name).map(async (side) => ({
            file: side,
            bytes: (await stat(join(dir, b.name, side))).size,
            mapBytes: (await stat(join(dir, b.name, `${side}.map`))).size,
            initWithMain: get(`${b.name}+${side}`),
          })),
        ),
        top: packages.slice(0, 5),
        zodBytes: packages.find((p) => p.name === "zod")?.bytes ?? 0,
        dynamodbOnlyBytes: packages
          .filter((p) => DYNAMODB_ONLY_PACKAGES.test(p.name))
          .reduce((s, p) => s + p.bytes, 0),
        init: get(b.name),
        initWithoutSourceMaps: get(`${b.name}-nosm`),
      });
    }
    const componentResults: ComponentResult[] = [];
    for (const c of components) {
      componentResults.push({
        name: c.name,
        description: c.description,
        bytes: (await stat(c.file)).size,
        init: get(`component:${c.name}`),
      });
    }
    return {
      runs: options.runs,
      baseline: get("baseline"),
      baselineWithSourceMaps: get("baseline+sm"),
      functions,
      components: componentResults,
      skipped,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

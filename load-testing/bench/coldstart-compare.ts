/**
 * Cold-start init of two builds of the functions, interleaved (A, B, A, B... in the same
 * rounds, same environment), for a before/after comparison on a busy machine where two
 * `npm run bench -- --only coldstart` runs minutes apart are not comparable.
 *
 *   npx tsx load-testing/bench/coldstart-compare.ts build <checkout> <outdir>
 *     bundles every function of <checkout> (a git worktree of any commit, with node_modules)
 *     with that checkout's own FUNCTION_BUNDLING, and its side bundles when it has any
 *   npx tsx load-testing/bench/coldstart-compare.ts compare <dirA> <dirB> [rounds]
 *     median wall (process start -> loaded) and CPU per function, A then B alternately;
 *     with a side file in B, also B's main file followed by import() of the side file
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { resolveSettings } from "../../lib/config.js";
import {
  FUNCTION_ENTRIES,
  type FunctionName,
  functionEnvironment,
  functionSizing,
} from "../../lib/contracts/functions.js";
import { median } from "./stats.js";

async function build(checkout: string, out: string): Promise<void> {
  const root = resolve(checkout);
  const construct = await import(
    pathToFileURL(join(root, "lib/constructs/eventflow-function.ts")).href
  );
  const { FUNCTION_ENTRIES: entries } = await import(
    pathToFileURL(join(root, "lib/contracts/functions.ts")).href
  );
  const { esbuildOptionsFor } = await import(
    pathToFileURL(join(root, "load-testing/bench/coldstart.ts")).href
  );
  for (const [name, entry] of Object.entries(entries as Record<string, string>)) {
    await esbuild.build({
      ...esbuildOptionsFor(construct.FUNCTION_BUNDLING),
      absWorkingDir: root,
      entryPoints: [join(root, entry)],
      outfile: join(out, name, "index.js"),
    });
    const commands: string[] = construct.sideBundleCommands?.(name, root, join(out, name)) ?? [];
    for (const c of commands) execFileSync("bash", ["-c", c], { cwd: root, stdio: "inherit" });
  }
  console.log(`built ${Object.keys(entries).length} functions of ${root} into ${out}`);
}

const PROBE = `import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const before = performance.now();
for (const f of process.argv.slice(2)) f.startsWith("file:") ? await import(f) : require(f);
const done = performance.now();
const c = process.cpuUsage();
console.log(JSON.stringify({ done, cpu: (c.user + c.system) / 1000 }));
`;

function compare(a: string, b: string, rounds: number): void {
  const probe = join(tmpdir(), `eventflow-compare-probe-${process.pid}.mjs`);
  writeFileSync(probe, PROBE);
  const settings = resolveSettings({});
  const refs = Object.fromEntries(
    [
      "tableName",
      "keysTableName",
      "configTableName",
      "archiveBucketName",
      "deliveriesTableName",
    ].map((k) => [k, `eventflow-${k}`]),
  );
  const urls = ["queueUrl", "dlqUrl", "jobsQueueUrl", "deliveryQueueUrl", "deliveryDlqUrl"];
  for (const k of urls) refs[k] = `https://sqs.us-east-1.amazonaws.com/123456789012/${k}`;
  refs.deliveryFifoQueueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/d.fifo";
  for (const k of ["cursorSecretId", "destinationSecretId"]) {
    refs[k] = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${k}-AbCdEf`;
  }
  const envOf = (name: FunctionName): Record<string, string> => ({
    PATH: "/usr/local/bin:/usr/bin:/bin",
    TZ: ":UTC",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDCOMPAREEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "compare-secret",
    AWS_SESSION_TOKEN: "compare-token",
    AWS_LAMBDA_FUNCTION_NAME: `eventflow-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(functionSizing(name, settings).memoryMb),
    ...functionEnvironment(name, settings, refs as never),
  });
  const names = (Object.keys(FUNCTION_ENTRIES) as FunctionName[]).filter(
    (n) => existsSync(join(a, n, "index.js")) && existsSync(join(b, n, "index.js")),
  );
  const sideOf = (n: FunctionName) =>
    readdirSync(join(b, n)).filter((f) => f.endsWith(".js") && f !== "index.js");
  const samples = new Map<string, { done: number[]; cpu: number[] }>();
  const run = (key: string, files: string[], env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [probe, ...files], { env, encoding: "utf8" });
    const line = r.stdout.trim().split("\n").pop() ?? "";
    const { done, cpu } = JSON.parse(line) as { done: number; cpu: number };
    const s = samples.get(key) ?? { done: [], cpu: [] };
    s.done.push(done);
    s.cpu.push(cpu);
    samples.set(key, s);
  };
  for (let round = 0; round <= rounds; round++) {
    for (const n of names) {
      const env = envOf(n);
      for (const dir of round % 2 ? [a, b] : [b, a])
        run(`${n} ${dir}`, [join(dir, n, "index.js")], env);
      for (const side of sideOf(n)) {
        run(
          `${n} ${b} +${side}`,
          [join(b, n, "index.js"), pathToFileURL(join(b, n, side)).href],
          env,
        );
      }
    }
    if (round === 0) samples.clear(); // warm-up round
  }
  const cell = (key: string) => {
    const s = samples.get(key);
    return s ? `${median(s.done).toFixed(0)} ms, CPU ${median(s.cpu).toFixed(0)} ms` : "";
  };
  console.log(`init, median of ${rounds} interleaved rounds: A = ${a}, B = ${b}`);
  for (const n of names) {
    const sides = sideOf(n).map((s) => `; B + ${s}: ${cell(`${n} ${b} +${s}`)}`);
    console.log(
      `  ${n.padEnd(13)} A ${cell(`${n} ${a}`)}; B ${cell(`${n} ${b}`)}${sides.join("")}`,
    );
  }
}

const [mode, x, y, rounds] = process.argv.slice(2);
if (mode === "build" && x && y) await build(x, y);
else if (mode === "compare" && x && y) compare(resolve(x), resolve(y), Number(rounds ?? 11));
else {
  console.error(
    "usage: coldstart-compare.ts build <checkout> <outdir> | compare <dirA> <dirB> [rounds]",
  );
  process.exitCode = 2;
}

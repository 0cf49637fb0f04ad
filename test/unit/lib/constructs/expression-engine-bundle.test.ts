/**
 * The expression engine's side bundle (lib/constructs/eventflow-function.ts SIDE_BUNDLES:
 * `expression-engine.js`, jsonata and re2js) on real bundles: a main file built with the
 * functions' bundling options holds neither package, the side file is built by the very
 * commands the construct runs (sideBundleCommands), and in a fresh Node process the default
 * rules run without loading it while a tenant's rule with a regex literal and a function
 * the fast path does not run loads it and works. Without the side file the defaults still
 * run, and a rule that needs it fails naming the file.
 */
import { execSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FUNCTION_BUNDLING,
  REPO_ROOT,
  SIDE_BUNDLES,
  sideBundleCommands,
} from "../../../../lib/constructs/eventflow-function.js";
import { esbuildOptionsFor } from "../../../../load-testing/bench/coldstart.js";

// What the process function does with a tenant's rules (use-cases/tenant-rules.ts).
const ENTRY = `
import { loadedExpressionEngine } from "./lambdas/domain/expression-engine-loader.js";
import { applyRules, compileRuleset, DEFAULT_RULESET, prepareRules } from "./lambdas/domain/rules.js";
const event = (type, data) => ({ id: "e1", type, data, receivedAt: "2026-12-06T10:00:00.000Z" });
async function main() {
  const out = {};
  await prepareRules(DEFAULT_RULESET.rules);
  const defaults = compileRuleset(DEFAULT_RULESET);
  out.category = (await applyRules(defaults, event("purchase", { amount: 5000 }))).enrichment;
  out.rejected = (await applyRules(defaults, event("purchase", { amount: "5" }))).rejected?.rule;
  out.loadedByDefaults = loadedExpressionEngine() !== undefined;
  const rules = [{
    name: "sku",
    match: { type: ["purchase"] },
    condition: "$contains(data.sku, /^[A-Z]{3}-[0-9]+$/)",
    actions: [{ type: "enrich", set: { total: "$sum(data.items.price)" } }],
  }];
  try {
    await prepareRules(rules);
    const tenant = compileRuleset({ version: 1, source: "tenant", rules });
    const e = event("purchase", { amount: 1, sku: "ABC-12", items: [{ price: 1 }, { price: 2 }] });
    out.tenant = (await applyRules(tenant, e)).enrichment;
    out.loadedByTenant = loadedExpressionEngine() !== undefined;
  } catch (error) {
    out.error = String(error && error.message);
  }
  console.log(JSON.stringify(out));
}
main();
`;

let dir: string;
let inputs: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "eventflow-engine-bundle-"));
  const result = await esbuild.build({
    ...esbuildOptionsFor(FUNCTION_BUNDLING),
    sourcemap: false,
    absWorkingDir: REPO_ROOT,
    stdin: { contents: ENTRY, resolveDir: REPO_ROOT, loader: "ts" },
    outfile: join(dir, "index.js"),
    metafile: true,
  });
  inputs = Object.keys(result.metafile.inputs);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(): Record<string, unknown> {
  const out = spawnSync(process.execPath, [join(dir, "index.js")], {
    env: { PATH: process.env.PATH ?? "" },
    encoding: "utf8",
  });
  return JSON.parse(out.stdout.trim().split("\n").pop() ?? "{}");
}

describe("the expression engine's side bundle", () => {
  it("is shipped by the process and rules functions", () => {
    const side = SIDE_BUNDLES.find((b) => b.file === "expression-engine.js");
    expect(side?.entry).toBe("lambdas/domain/expression-engine.ts");
    expect([...(side?.functions ?? [])].sort()).toEqual(["process", "rules"]);
  });

  it("leaves jsonata and re2js out of the main file", () => {
    expect(inputs.some((p) => p.includes("lambdas/domain/rules.ts"))).toBe(true);
    for (const pkg of ["jsonata", "re2js"]) {
      expect(inputs.filter((p) => p.includes(`node_modules/${pkg}/`))).toEqual([]);
    }
  });

  it("without the side file: the default rules run; a rule that needs it fails naming it", () => {
    const got = run();
    expect(got).toMatchObject({
      category: { category: "high_value" },
      rejected: "purchase-amount-is-number",
      loadedByDefaults: false,
    });
    expect(got.error).toMatch(/expression-engine\.js/);
  });

  it("with the side file built as the construct builds it: a regex literal and $sum run", () => {
    for (const command of sideBundleCommands("process", REPO_ROOT, dir)) {
      execSync(command, { cwd: REPO_ROOT, shell: "/bin/bash", stdio: "pipe" });
    }
    expect(run()).toEqual({
      category: { category: "high_value" },
      rejected: "purchase-amount-is-number",
      loadedByDefaults: false,
      tenant: { total: 3 },
      loadedByTenant: true,
    });
  });
});

/**
 * The import boundaries (.dependency-cruiser.cjs, run by `npm run deps` inside `npm test`):
 * each rule reports a wrong import in a small fixture tree laid out like the repository,
 * the allowed imports report nothing, and the real tree has no violation and no cycle.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  cruise,
  type ICruiseOptions,
  type ICruiseResult,
  type IViolation,
} from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIDE_BUNDLES } from "../../../lib/constructs/eventflow-function.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CONFIG = join(ROOT, ".dependency-cruiser.cjs");
/** What `npm run deps` cruises: every folder of TypeScript in the repository. */
const TARGETS = [
  "bin",
  "lib",
  "lambdas",
  "local",
  "load-testing",
  "sdk",
  "test",
  "vitest.config.ts",
];

async function cruiseTree(baseDir: string, targets: string[], extra: Partial<ICruiseOptions> = {}) {
  const options = await extractDepcruiseOptions(CONFIG);
  const tsConfigFile = join(baseDir, "tsconfig.json");
  const reported = await cruise(
    targets,
    { ...options, ...extra, baseDir, tsConfig: { fileName: tsConfigFile }, outputType: "json" },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  const result = (
    typeof reported.output === "string" ? JSON.parse(reported.output) : reported.output
  ) as ICruiseResult;
  return result;
}

const brief = (v: IViolation) => `${v.rule.name}: ${v.from} -> ${v.to}`;

/** One wrong import per rule: [importing file, imported module, the rule that must report it]. */
const WRONG: [from: string, to: string, rule: string][] = [
  [
    "lib/contracts/wrong-project.ts",
    "../../lambdas/domain/event.js",
    "contracts-import-only-contracts",
  ],
  ["lib/config.ts", "./constructs/api.js", "contracts-import-only-contracts"],
  ["lib/contracts/wrong-cdk.ts", "aws-cdk-lib", "contracts-no-runtime-packages"],
  [
    "lib/contracts/wrong-powertools.ts",
    "@aws-lambda-powertools/logger",
    "contracts-no-runtime-packages",
  ],
  ["lambdas/domain/wrong-cdk.ts", "../../lib/constructs/api.js", "lambdas-no-infrastructure"],
  ["lambdas/handlers/wrong-stack.ts", "../../lib/eventflow-stack.js", "lambdas-no-infrastructure"],
  ["lambdas/handlers/wrong-local.ts", "../../local/runtime.js", "lambdas-no-runtime-or-tools"],
  ["lambdas/adapters/wrong-bin.ts", "../../bin/keys.js", "lambdas-no-runtime-or-tools"],
  ["local/wrong-stack.ts", "../lib/constructs/api.js", "local-lib-only-contracts"],
  ["lib/constructs/wrong-lambdas.ts", "../../lambdas/shared/powertools.js", "cdk-no-function-code"],
  ["lib/eventflow-stack.ts", "../local/runtime.js", "cdk-no-local-runtime"],
  ["lambdas/domain/wrong-adapter.ts", "../adapters/store.js", "domain-only-domain-and-contracts"],
  [
    "lambdas/domain/wrong-use-case.ts",
    "../use-cases/ingest.js",
    "domain-only-domain-and-contracts",
  ],
  ["lambdas/domain/wrong-sdk.ts", "@aws-sdk/client-sqs", "domain-no-runtime-packages"],
  ["lambdas/ports/wrong-adapter.ts", "../adapters/store.js", "ports-only-domain-and-contracts"],
  ["lambdas/use-cases/wrong-adapter.ts", "../adapters/store.js", "use-cases-no-adapters"],
  ["lambdas/use-cases/wrong-handler.ts", "../handlers/ingest.js", "use-cases-no-adapters"],
  ["lambdas/adapters/wrong-use-case.ts", "../use-cases/ingest.js", "adapters-implement-ports"],
  ["lambdas/http/wrong-adapter.ts", "../adapters/store.js", "http-no-adapters-or-handlers"],
  ["lambdas/http/wrong-handler.ts", "../handlers/ingest.js", "http-no-adapters-or-handlers"],
  ["lambdas/shared/wrong-use-case.ts", "../use-cases/ingest.js", "shared-no-application-layers"],
  ["local/wrong-entry.ts", "../lambdas/entry/ingest.js", "entry-modules-are-leaves"],
  ["lambdas/handlers/wrong-entry.ts", "../entry/ingest.js", "entry-modules-are-leaves"],
  [
    "lambdas/use-cases/wrong-side.ts",
    "../domain/schema-validator.js",
    "side-bundles-through-their-loader",
  ],
  ["bin/wrong-local.ts", "../local/runtime.js", "tools-no-local-runtime"],
  ["local/wrong-test.ts", "../test/support/helper.js", "product-no-test-code"],
  ["sdk/src/wrong-project.ts", "../../lambdas/domain/event.js", "sdk-stands-alone"],
  ["sdk/src/wrong-package.ts", "zod", "sdk-stands-alone"],
  ["bin/wrong-sdk.ts", "../sdk/src/client.js", "product-no-sdk-internals"],
  ["load-testing/wrong-sdk.ts", "../sdk/src/retry.js", "product-no-sdk-internals"],
  ["local/cycle-a.ts", "./cycle-b.js", "no-circular"],
];

/** Imports the layout allows (README "Project layout"): none may be reported. */
const ALLOWED: [from: string, to: string][] = [
  ["lib/contracts/tables.ts", "zod"],
  ["lib/contracts/functions.ts", "../config.js"],
  ["lambdas/domain/event.ts", "../../lib/contracts/tables.js"],
  ["lambdas/domain/event.ts", "./rules.js"],
  ["lambdas/ports/store.ts", "../domain/event.js"],
  ["lambdas/use-cases/ingest.ts", "../ports/store.js"],
  ["lambdas/use-cases/ingest.ts", "../shared/powertools.js"],
  ["lambdas/use-cases/ingest.ts", "@aws-lambda-powertools/metrics"],
  ["lambdas/adapters/store.ts", "@aws-sdk/client-sqs"],
  ["lambdas/adapters/store.ts", "../ports/store.js"],
  ["lambdas/handlers/ingest.ts", "../use-cases/ingest.js"],
  ["lambdas/handlers/ingest.ts", "../adapters/store.js"],
  ["lambdas/shared/powertools.ts", "@aws-lambda-powertools/logger"],
  ["lambdas/http/ingest-request.ts", "../use-cases/ingest.js"],
  ["lambdas/http/ingest-request.ts", "../shared/http.js"],
  ["lambdas/entry/ingest.ts", "../handlers/ingest.js"],
  ["lambdas/entry/ingest.ts", "../shared/clients.js"],
  ["lib/constructs/api.ts", "aws-cdk-lib"],
  ["lib/constructs/api.ts", "../contracts/functions.js"],
  ["lib/eventflow-stack.ts", "./constructs/api.js"],
  ["local/runtime.ts", "../lambdas/handlers/ingest.js"],
  ["local/runtime.ts", "../lib/config.js"],
  ["bin/keys.ts", "../lambdas/use-cases/ingest.js"],
  ["bin/eventflow.ts", "../lib/eventflow-stack.js"],
  ["load-testing/bench/cold.ts", "../../lib/constructs/api.js"],
  ["load-testing/bench/cold.ts", "../../test/support/helper.js"],
  ["test/support/helper.ts", "../../local/runtime.js"],
  ["test/unit/ingest.test.ts", "../../lambdas/entry/ingest.js"],
  ["lambdas/domain/schema-validator-loader.ts", "./schema-validator.js"],
  ["local/functions.ts", "../lambdas/http/openapi-document.js"],
  ["sdk/src/index.ts", "./client.js"],
  ["bin/send.ts", "../sdk/src/index.js"],
  ["load-testing/core/sdk-sender.ts", "../../sdk/src/index.js"],
  ["test/unit/sdk/client.test.ts", "../../../sdk/src/limits.js"],
];

/** Writes a tree whose files import what `imports` says; every imported project file exists. */
function writeTree(dir: string, imports: [from: string, to: string][]) {
  const files = new Map<string, string[]>();
  const touch = (file: string) => {
    if (!files.has(file)) files.set(file, []);
    return files.get(file) as string[];
  };
  for (const [from, to] of imports) {
    touch(from).push(to);
    if (to.startsWith(".")) touch(join(dirname(from), to).replace(/\.js$/, ".ts"));
  }
  for (const [file, targets] of files) {
    const path = join(dir, file);
    mkdirSync(dirname(path), { recursive: true });
    const lines = targets.map((to, i) => `import * as m${i} from "${to}";`);
    const uses = targets.map((_, i) => `m${i}`).join(", ");
    writeFileSync(path, `${lines.join("\n")}\nexport const used = [${uses}];\n`);
  }
  const { compilerOptions } = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8"));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions, include: ["**/*.ts"] }),
  );
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
}

const folders = (imports: [string, string][]) => [
  ...new Set(imports.flatMap(([from]) => from.split("/")[0] as string)),
];

describe("dependency rules", () => {
  const dirs: string[] = [];
  const fixture = (imports: [string, string][]) => {
    const dir = mkdtempSync(join(tmpdir(), "eventflow-deps-"));
    dirs.push(dir);
    writeTree(dir, imports);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe("a wrong import is reported with the rule it breaks", () => {
    // The cycle's other half.
    const imports: [string, string][] = [
      ...WRONG.map(([from, to]) => [from, to] as [string, string]),
      ["local/cycle-b.ts", "./cycle-a.js"],
    ];
    let violations: string[] = [];
    beforeAll(async () => {
      const dir = fixture(imports);
      const { summary } = await cruiseTree(dir, folders(imports));
      violations = summary.violations.map(brief);
    }, 60_000);

    it.each(WRONG)("%s importing %s: %s", (from, _to, rule) => {
      expect(violations.filter((v) => v.startsWith(`${rule}: ${from} -> `))).toHaveLength(1);
    });

    it("reports nothing else (each wrong import breaks exactly one rule)", () => {
      expect(violations).toHaveLength(WRONG.length);
    });

    it("has a case for every rule of the rule set", async () => {
      const { ruleSet } = await extractDepcruiseOptions(CONFIG);
      const names = (ruleSet?.forbidden ?? []).map((r) => r.name);
      expect(new Set(WRONG.map(([, , rule]) => rule))).toEqual(new Set(names));
    });

    it("says which boundary was crossed and why", async () => {
      const { ruleSet } = await extractDepcruiseOptions(CONFIG);
      for (const rule of ruleSet?.forbidden ?? []) {
        expect(rule.severity, rule.name).toBe("error");
        expect(rule.comment?.length ?? 0, rule.name).toBeGreaterThan(80);
      }
    });
  });

  it("reports none of the imports the layout allows", async () => {
    const dir = fixture(ALLOWED);
    const { summary, modules } = await cruiseTree(dir, folders(ALLOWED));
    expect(summary.violations.map(brief)).toEqual([]);
    // Every import was resolved, packages too: a rule on a package cannot pass by accident.
    const unresolved = modules.flatMap((m) =>
      m.dependencies.filter((d) => d.couldNotResolve).map((d) => `${m.source} -> ${d.module}`),
    );
    expect(unresolved).toEqual([]);
    expect(summary.totalDependenciesCruised).toBe(ALLOWED.length);
  }, 60_000);

  it("finds no violation and no cycle in the repository", async () => {
    const { summary } = await cruiseTree(ROOT, TARGETS);
    expect(summary.violations.map(brief)).toEqual([]);
    expect(summary.error).toBe(0);
  }, 120_000);

  it("guards every side bundle's entry (SIDE_BUNDLES) against a static import", async () => {
    const { ruleSet } = await extractDepcruiseOptions(CONFIG);
    const rule = ruleSet?.forbidden?.find((r) => r.name === "side-bundles-through-their-loader");
    const guarded = new RegExp(String((rule as { to?: { path?: string } } | undefined)?.to?.path));
    expect(SIDE_BUNDLES.length).toBeGreaterThan(0);
    for (const { entry } of SIDE_BUNDLES) expect(entry, entry).toMatch(guarded);
  });

  it("runs inside npm test on the same folders", () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(scripts.test).toContain("npm run deps");
    expect(scripts.deps).toMatch(/^depcruise --config \.dependency-cruiser\.cjs /);
    expect(scripts.deps.endsWith(` ${TARGETS.join(" ")}`)).toBe(true);
  });
});

import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // The SDK's package name, as its examples import it (tsconfig.json "paths" says the same).
  resolve: {
    alias: { "@eventflow/sdk": fileURLToPath(new URL("./sdk/src/index.ts", import.meta.url)) },
  },
  test: {
    reporters: ["default", "json"],
    outputFile: { json: "reports/vitest.json" },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          // Compiling an expression synchronously needs the expression engine loaded first.
          setupFiles: ["test/support/expression-engine.ts"],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: { name: "cdk", include: ["test/cdk/**/*.test.ts"], testTimeout: 180_000 },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          // Every answer is checked against the OpenAPI document; this records the counts.
          setupFiles: ["test/support/contract-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          // One runtime per file; files run one after another to keep a 2-core machine honest.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // The local console in Debian's Chromium (playwright-core); screenshots in reports/.
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          setupFiles: ["test/support/contract-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // Generated requests against a running runtime: FUZZ_RUNS cases (300 here,
          // 10,000 with npm run test:fuzz). After the other projects, not beside them.
          name: "fuzz",
          include: ["test/fuzz/**/*.test.ts"],
          setupFiles: ["test/support/contract-setup.ts"],
          testTimeout: 1_800_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

/**
 * @eventflow/sdk as a package: `npm run build -w @eventflow/sdk` (tsc with the DOM's
 * globals and no Node types, sdk/tsconfig.json) emits ES modules and type declarations,
 * package.json's exports point at them, and plain Node imports the build with no
 * dependency installed. The source imports nothing but itself (also `npm run deps`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const sdk = resolve(import.meta.dirname, "../../../sdk");
const out = mkdtempSync(join(tmpdir(), "eventflow-sdk-build-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("the SDK package", () => {
  it("builds to ESM + declarations that plain Node imports", async () => {
    const tsc = resolve(sdk, "../node_modules/typescript/bin/tsc");
    execFileSync(process.execPath, [tsc, "-p", join(sdk, "tsconfig.json"), "--outDir", out], {
      stdio: "pipe",
    });
    const pkg = JSON.parse(readFileSync(join(sdk, "package.json"), "utf8")) as {
      name: string;
      type: string;
      exports: { ".": { types: string; import: string } };
      dependencies?: unknown;
    };
    expect(pkg).toMatchObject({ name: "@eventflow/sdk", type: "module" });
    expect(pkg.dependencies).toBeUndefined();
    const entry = pkg.exports["."];
    expect(entry.import).toBe("./dist/index.js");
    expect(entry.types).toBe("./dist/index.d.ts");
    for (const file of ["index.js", "index.d.ts", "client.js", "uuid.js"]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const mod = (await import(
      pathToFileURL(join(out, "index.js")).href
    )) as typeof import("../../../sdk/src/index.js");
    expect(typeof mod.EventFlow).toBe("function");
    expect(mod.uuidv7()).toMatch(/^[0-9a-f-]{36}$/);
    expect(readFileSync(join(out, "index.d.ts"), "utf8")).toContain("EventFlow");
  });

  it("the source imports only its own files", () => {
    for (const file of readdirSync(join(sdk, "src"))) {
      const text = readFileSync(join(sdk, "src", file), "utf8");
      const imports = [...text.matchAll(/from "([^"]+)"/g)].map((m) => m[1] ?? "");
      for (const spec of imports) expect(spec, `${file}: ${spec}`).toMatch(/^\.\/[a-z-]+\.js$/);
    }
  });
});

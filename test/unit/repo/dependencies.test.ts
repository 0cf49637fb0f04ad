/**
 * The AWS SDK in the lock file: one copy of each @aws-sdk/* and @smithy/* package, so
 * the clients share one core (middleware, retry, credentials) in the bundles and in the
 * local runtime. The clients' own versions differ on purpose: the SDK publishes a client
 * only when it changes (@aws-sdk/client-api-gateway's newest is older than client-sqs's),
 * so aligning their numbers is impossible; aligning what they share is what matters.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../../..");
const lock = JSON.parse(readFileSync(resolve(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
};
const manifest = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};

const isSdk = (name: string) => name.startsWith("@aws-sdk/") || name.startsWith("@smithy/");

describe("AWS SDK packages", () => {
  it("are installed once each: no second copy of a shared package", () => {
    const versions = new Map<string, Set<string>>();
    for (const [path, entry] of Object.entries(lock.packages)) {
      const name = path.split("node_modules/").at(-1) ?? "";
      if (!path || !isSdk(name) || !entry.version) continue;
      versions.set(name, (versions.get(name) ?? new Set()).add(entry.version));
    }
    expect(versions.size).toBeGreaterThan(10);
    const duplicated = [...versions].filter(([, v]) => v.size > 1).map(([n, v]) => [n, [...v]]);
    expect(duplicated).toEqual([]);
  });

  it("the clients this project depends on are pinned exactly and share one core", () => {
    const clients = Object.entries(manifest.dependencies).filter(([name]) => isSdk(name));
    expect(clients.length).toBeGreaterThanOrEqual(4);
    for (const [name, range] of clients) {
      expect(range, name).toMatch(/^\d+\.\d+\.\d+$/);
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(range);
    }
    const core = lock.packages["node_modules/@aws-sdk/core"]?.version;
    expect(core).toBeDefined();
    expect(Object.keys(lock.packages)).not.toContainEqual(
      expect.stringMatching(/node_modules\/.+\/node_modules\/@aws-sdk\/core$/),
    );
  });
});

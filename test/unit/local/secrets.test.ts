/**
 * The local runtime's stand-in for Secrets Manager: the page cursors' key is random, kept
 * 0600 in the data folder so cursors survive a restart, and a new one per --memory run.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureCursorKey, localSecrets } from "../../../local/secrets.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the local cursor key", () => {
  it("is made once per data folder, private, and read back on the next start", () => {
    const dir = mkdtempSync(join(tmpdir(), "eventflow-secrets-"));
    dirs.push(dir);
    const first = ensureCursorKey(dir);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, "cursor-key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, "cursor-key"), "utf8").trim()).toBe(first);
    expect(ensureCursorKey(dir)).toBe(first);
  });

  it("is new on every run without a data folder", () => {
    expect(ensureCursorKey(null)).not.toBe(ensureCursorKey(null));
  });

  it("is read like a secret; an unknown id fails", async () => {
    const secrets = localSecrets({ "local:cursor-key": "k".repeat(40) });
    await expect(secrets.get("local:cursor-key")).resolves.toBe("k".repeat(40));
    await expect(secrets.get("arn:aws:secretsmanager:other")).rejects.toThrow(/no local secret/);
  });
});

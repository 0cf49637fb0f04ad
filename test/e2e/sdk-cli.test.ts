/**
 * `npm run send -- --file` (bin/send.ts) with 100,000 events from a JSON-lines file
 * against the local runtime: a progress bar on stderr, a summary on stdout, the few bad
 * lines in the rejects file with their line numbers, and the stored count matching.
 * Slower than the rest (the pipeline stores 100,000 events on 2 cores): a few minutes.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalRuntime, localOnly, startLocalRuntime } from "../support/runtime.js";
import { Api, uniqueType, waitFor } from "./client.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "eventflow-send-"));
let runtime: LocalRuntime;

/** Runs `npm run send -- args` as a user would (tsx, stdout and stderr apart). */
async function send(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", "bin/send.ts", ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => {
    stdout += c;
  });
  child.stderr.on("data", (c) => {
    stderr += c;
  });
  const [code] = await once(child, "exit");
  return { code: code as number, stdout, stderr };
}

describe.skipIf(!localOnly)("npm run send", () => {
  beforeAll(async () => {
    // Batches of 100 records per process invocation: the pipeline's cheapest per event.
    runtime = await startLocalRuntime({
      settings: { processBatchSize: 100, processMaxBatchingWindowSeconds: 1 },
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("one event from flags: the receipt on stdout", async () => {
    const type = uniqueType("cli-one");
    const r = await send(["--url", runtime.url, "--type", type, "--data", '{"amount":12}'], {
      EVENTFLOW_API_KEY: runtime.apiKey,
    });
    expect(r.code).toBe(0);
    const receipt = JSON.parse(r.stdout) as { status: string; id: string };
    expect(receipt.status).toBe("queued");
    const stored = await new Api(runtime.url).settled(receipt.id);
    expect(stored).toMatchObject({ type, data: { amount: 12 } });

    const bad = await send(["--url", runtime.url, "--type", type, "--data", "{nope"], {
      EVENTFLOW_API_KEY: runtime.apiKey,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--data is not JSON/);
  });

  it("100,000 events from a file: progress, counts, rejects, and the stored count matches", async () => {
    const type = uniqueType("cli-file");
    const N = 100_000;
    const lines: string[] = [];
    for (let n = 0; n < N; n++) {
      lines.push(JSON.stringify({ type, data: { n } }));
      if (n === 10) lines.push("{not json");
      if (n === 50_000) lines.push(JSON.stringify({ type, data: { n: -1 }, colour: "red" }));
    }
    const file = join(dir, "events.jsonl");
    writeFileSync(file, `${lines.join("\n")}\n`);

    const r = await send(["--file", file, "--url", runtime.url, "--api-key", runtime.apiKey]);
    expect(r.stdout).toMatch(
      new RegExp(`^${N} accepted, 2 rejected, 0 not delivered of ${N + 2} lines in [\\d.]+ s`),
    );
    expect(r.stdout).toContain(`rejects written to ${file}.rejects.jsonl`);
    expect(r.code).toBe(1); // some lines were rejected
    // Not a terminal: one progress line per tenth of the file, ending at 100%.
    const progress = r.stderr.trim().split("\n");
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress.at(-1)).toMatch(/\[#{30}\] 100% {2}100,002 sent {2}2 rejected/);

    const rejects = readFileSync(`${file}.rejects.jsonl`, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { line: number; status: string; errors: { path: string }[] });
    expect(rejects.map((x) => [x.line, x.status])).toEqual([
      [12, "rejected"],
      [50_003, "rejected"],
    ]);
    expect(rejects[1]?.errors.map((e) => e.path)).toContain("colour");

    // Stored: the statistics count each event's first write once.
    const api = new Api(runtime.url);
    const stats = await waitFor(
      async () => {
        const s = await api.stats(type);
        return s.processed + s.failed >= N ? s : undefined;
      },
      480_000,
      `${N} events stored`,
      2_000,
    );
    expect(stats).toEqual({ processed: N, failed: 0, duplicate: 0 });
    console.log(`npm run send: ${r.stdout.trim()}`);
  }, 600_000);
});

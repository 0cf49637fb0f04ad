/**
 * The local runtime's life cycle, driven over HTTP and signals: a graceful shutdown
 * under load loses nothing the API accepted, and a restart on the same data folder
 * keeps what was stored.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type LocalRuntime, localOnly, startLocalRuntime } from "../support/runtime.js";
import { Api, sleep, uniqueType } from "./client.js";

const dataDir = mkdtempSync(join(tmpdir(), "eventflow-e2e-"));
const runtimes: LocalRuntime[] = [];

afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<{ runtime: LocalRuntime; api: Api }> {
  const runtime = await startLocalRuntime({ dataDir, drainTimeoutSeconds: 30 });
  runtimes.push(runtime);
  return { runtime, api: new Api(runtime.url) };
}

describe.skipIf(!localOnly)("shutdown and restart", () => {
  it("SIGTERM under load loses nothing answered 202; a restart keeps it all", async () => {
    const type = uniqueType("lifecycle");
    const first = await start();

    // Stored before the signal: must survive the restart.
    const before = await first.api.sendBatch(
      Array.from({ length: 5 }, (_, i) => ({ type, data: { i, phase: "before" } })),
    );
    await first.api.settledAll(before);

    // Load from four clients until the runtime stops answering.
    const accepted: string[] = [];
    const refused: number[] = [];
    let running = true;
    const client = async (n: number) => {
      for (let i = 0; running; i++) {
        try {
          const answer = await first.api.request<{ id: string }>("POST", "/v1/events", {
            type,
            data: { client: n, i },
          });
          if (answer.status === 202) accepted.push(answer.body.id);
          else refused.push(answer.status);
        } catch {
          // Connection refused: the server has closed.
          return;
        }
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(client));
    await sleep(700);
    first.runtime.signal("SIGTERM");
    const exit = await first.runtime.exited;
    running = false;
    await load;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(accepted.length).toBeGreaterThan(20);
    // Requests that arrived while it drained were refused with 503, never half-accepted.
    expect(refused.every((status) => status === 503)).toBe(true);

    const second = await start();
    // Drained before exit: everything is already stored, nothing waits in the queue.
    const stored = await second.api.settledAll([...before, ...accepted], 10_000);
    expect(stored).toHaveLength(before.length + accepted.length);
    expect(stored.every((e) => e.status === "processed")).toBe(true);
    const { items } = await second.api.listAll({ type, limit: "100" });
    expect(items).toHaveLength(before.length + accepted.length);
  });
});

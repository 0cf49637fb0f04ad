/**
 * Signals under a supervisor (issue 15, item 6): SIGTERM sent to the whole process group
 * reaches the runtime twice (directly, and relayed by npm) a moment apart; that copy must
 * not abort the drain. A deliberate second signal after the window still exits at once.
 * A slow table (the dynamodbLatencyMs fault) keeps a process batch in flight, so the
 * drain is still running when the second signal comes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type LocalRuntime, localOnly, startLocalRuntime } from "../support/runtime.js";
import { Api, sleep, uniqueType } from "./client.js";

const runtimes: LocalRuntime[] = [];

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop(5_000)));
});

/** A runtime whose process function is busy (a slow write) when this returns. */
async function busyRuntime(): Promise<LocalRuntime> {
  const runtime = await startLocalRuntime({ drainTimeoutSeconds: 30, logLevel: "info" });
  runtimes.push(runtime);
  const api = new Api(runtime.url);
  await api.faults({ dynamodbLatencyMs: 4_000 });
  await api.send({ type: uniqueType("signals"), data: { n: 1 } });
  const until = Date.now() + 20_000;
  for (;;) {
    const status = await api.request<{ pollers: { process: { inFlight: number } } }>(
      "GET",
      "/_local/status",
    );
    if (status.body.pollers.process.inFlight > 0) return runtime;
    if (Date.now() > until) throw new Error("the process batch never started");
    await sleep(50);
  }
}

describe.skipIf(!localOnly)("signals", () => {
  it("two SIGTERMs in quick succession (process group + npm relay) still drain and exit 0", async () => {
    const runtime = await busyRuntime();
    runtime.signal("SIGTERM");
    await sleep(20);
    runtime.signal("SIGTERM");
    const exit = await runtime.exited;
    const logs = runtime.logs().join("\n");
    expect(logs).not.toContain("exiting without draining");
    expect(exit, logs).toEqual({ code: 0, signal: null });
    expect(logs).toMatch(/"drained":true/);
  });

  it("a second signal after the window exits at once without draining (130)", async () => {
    const runtime = await busyRuntime();
    runtime.signal("SIGTERM");
    await sleep(1_500);
    runtime.signal("SIGTERM");
    const exit = await runtime.exited;
    expect(exit.code).toBe(130);
    expect(runtime.logs().join("\n")).toContain("exiting without draining");
  });
});

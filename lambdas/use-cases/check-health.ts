/**
 * GET /v1/health: the table, the queue and the DLQ, checked in parallel, each bounded
 * by a timeout (the SDK call is aborted, and the check gives up even if an abort is not
 * honoured), so health answers quickly even when a dependency hangs. Failure details
 * go to the log, never to the caller.
 */
import type { EventReader, QueueProbe } from "../ports/event-store.js";

export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

export type CheckResult =
  | { status: "ok"; latencyMs: number; depth?: number }
  | { status: "error"; latencyMs: number; error: "timeout" | "unavailable" };

export interface HealthReport {
  status: "ok" | "degraded";
  checks: { table: CheckResult; queue: CheckResult; dlq: CheckResult };
}

export interface HealthDeps {
  reader: Pick<EventReader, "ping">;
  queue: QueueProbe;
  dlq: QueueProbe;
  timeoutMs?: number;
  onError?: (check: string, error: unknown) => void;
}

class CheckTimeout extends Error {}

export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const timeoutMs = deps.timeoutMs ?? HEALTH_CHECK_TIMEOUT_MS;
  const run = async (
    name: string,
    probe: (signal: AbortSignal) => Promise<number | undefined>,
  ): Promise<CheckResult> => {
    const started = performance.now();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new CheckTimeout());
      }, timeoutMs);
    });
    const latency = () => Math.round(performance.now() - started);
    try {
      const depth = await Promise.race([probe(controller.signal), timeout]);
      return { status: "ok", latencyMs: latency(), ...(depth === undefined ? {} : { depth }) };
    } catch (error) {
      deps.onError?.(name, error);
      const kind = error instanceof CheckTimeout || controller.signal.aborted;
      return { status: "error", latencyMs: latency(), error: kind ? "timeout" : "unavailable" };
    } finally {
      clearTimeout(timer);
    }
  };
  const [table, queue, dlq] = await Promise.all([
    run("table", async (signal) => {
      await deps.reader.ping(signal);
      return undefined;
    }),
    run("queue", (signal) => deps.queue.depth(signal)),
    run("dlq", (signal) => deps.dlq.depth(signal)),
  ]);
  const ok = [table, queue, dlq].every((c) => c.status === "ok");
  return { status: ok ? "ok" : "degraded", checks: { table, queue, dlq } };
}

/**
 * The runtime's life: what to undo at shutdown (in reverse order of start), and the
 * graceful shutdown itself: new requests get 503, requests in flight finish, the pollers
 * keep running until both queues hold nothing due before the drain timeout, then
 * everything started is stopped.
 */
import type { RuntimeLogger } from "./log.js";

export type State = "running" | "draining" | "stopped";

export interface ShutdownReport {
  drained: boolean;
  /** Left when the drain ended: receivable, or due back before the drain timeout. */
  remaining: { queue: number; dlq: number; requests: number };
  /** Not waited for: back only after the drain timeout (backoff, parked). */
  later: { queue: number; dlq: number };
  durationMs: number;
}

/** Messages of a queue the drain waits for (`due`), and those it does not (`later`). */
export interface Pending {
  due: number;
  later: number;
}

/** What the drain watches. */
export interface DrainWork {
  /** Per queue, by the deadline; `due: -1` when it could not be read. */
  pending(deadline: number): Promise<{ queue: Pending; dlq: Pending }>;
  activeRequests(): number;
  pollersIdle(): boolean;
}

export type Cleanup = () => Promise<void> | void;

export class Lifecycle {
  state: State = "running";
  /** Set by shutdown: when the drain must end (the pollers' stop waits until then). */
  stopDeadline = Number.POSITIVE_INFINITY;
  /** Undone at shutdown (or a failed start), last first. */
  readonly cleanups: Cleanup[] = [];

  constructor(private readonly log: RuntimeLogger) {}

  async cleanup(): Promise<void> {
    for (const fn of this.cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        this.log.debug("cleanup step failed", { error: String(error) });
      }
    }
  }

  async shutdown(
    opts: { drain?: boolean },
    config: { drainTimeoutSeconds: number; persistent: boolean; work: DrainWork },
  ): Promise<ShutdownReport> {
    const log = this.log;
    const started = Date.now();
    if (this.state === "stopped") {
      return {
        drained: true,
        remaining: { queue: 0, dlq: 0, requests: 0 },
        later: { queue: 0, dlq: 0 },
        durationMs: 0,
      };
    }
    this.state = "draining";
    const drainSeconds = config.drainTimeoutSeconds;
    const deadline = started + drainSeconds * 1000;
    this.stopDeadline = deadline;
    let remaining = { queue: 0, dlq: 0, requests: 0 };
    let later = { queue: 0, dlq: 0 };
    let drained = true;
    if (opts.drain ?? true) {
      log.info("shutting down: new requests get 503; draining queued and in-flight work", {
        drainTimeoutSeconds: drainSeconds,
      });
      drained = false;
      let quietChecks = 0;
      while (Date.now() < deadline) {
        const { queue: q, dlq: d } = await config.work.pending(deadline);
        remaining = {
          queue: q.due,
          dlq: d.due,
          requests: Math.max(0, config.work.activeRequests()),
        };
        later = { queue: q.later, dlq: d.later };
        const quiet =
          q.due === 0 && d.due === 0 && remaining.requests === 0 && config.work.pollersIdle();
        // Twice in a row: a batch may be between its receive and its delete.
        quietChecks = quiet ? quietChecks + 1 : 0;
        if (quietChecks >= 2) {
          drained = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      if (!drained) {
        log.warn(
          config.persistent
            ? "drain timed out; what is left stays in the data folder and resumes on the next start"
            : "drain timed out; what is left is lost (--memory)",
          remaining,
        );
      }
      if (later.queue + later.dlq > 0) {
        log.warn(
          config.persistent
            ? "messages waiting past the drain timeout (retry backoff or parked) stay in the data folder"
            : "messages waiting past the drain timeout (retry backoff or parked) are lost (--memory)",
          later,
        );
      }
    }
    this.state = "stopped";
    await this.cleanup();
    const report = { drained, remaining, later, durationMs: Date.now() - started };
    log.info("stopped", report);
    return report;
  }
}

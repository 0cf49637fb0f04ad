/**
 * The stack's schedules, locally: the sweep (windows and patterns) every windowSweepSeconds,
 * one pass per invocation (on AWS an EventBridge rule invokes it once a minute for
 * 60 / windowSweepSeconds passes: lib/constructs/windows.ts). Invocations never overlap.
 */
import type { InvokeOutcome } from "./lambda.js";
import type { RuntimeLogger } from "./log.js";

export interface Schedule {
  stop(): Promise<void>;
}

export function startSweepSchedule(options: {
  intervalSeconds: number;
  invoke: (event: unknown) => Promise<InvokeOutcome>;
  logger: RuntimeLogger;
}): Schedule {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    running = options
      .invoke({ passes: 1, source: "eventflow.local.schedule" })
      .then((outcome) => {
        if (outcome.kind === "error") {
          options.logger.warn("sweep failed; the next run retries", {
            error: String(outcome.error),
          });
        }
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalSeconds * 1000);
      });
  };
  timer = setTimeout(tick, options.intervalSeconds * 1000);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

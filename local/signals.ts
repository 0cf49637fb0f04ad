/**
 * What SIGINT/SIGTERM do to `npm start`: the first starts the graceful shutdown; a second,
 * deliberate one (a second Ctrl-C) exits at once without draining.
 *
 * A supervisor that signals the whole process group (systemd's default, `kill -- -PGID`)
 * reaches the runtime twice: once directly and once relayed by npm, a few milliseconds
 * apart. The same signal again within DUPLICATE_SIGNAL_WINDOW_MS of the first is taken
 * for that copy and ignored, so it cannot abort the drain.
 */

export const DUPLICATE_SIGNAL_WINDOW_MS = 1_000;

export interface SignalPolicyOptions {
  /** The first signal: start the graceful shutdown. */
  onShutdown(signal: NodeJS.Signals): void;
  /** A deliberate second signal: exit without draining. */
  onForce(signal: NodeJS.Signals): void;
  /** A copy of the first signal, ignored. */
  onDuplicate?(signal: NodeJS.Signals): void;
  windowMs?: number;
  now?: () => number;
}

export function signalPolicy(options: SignalPolicyOptions): (signal: NodeJS.Signals) => void {
  const windowMs = options.windowMs ?? DUPLICATE_SIGNAL_WINDOW_MS;
  const now = options.now ?? Date.now;
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  return (signal) => {
    const at = now();
    if (!first) {
      first = { signal, at };
      options.onShutdown(signal);
    } else if (signal === first.signal && at - first.at < windowMs) {
      options.onDuplicate?.(signal);
    } else {
      options.onForce(signal);
    }
  };
}

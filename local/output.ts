/**
 * What the handlers print, routed as CloudWatch Logs would route it: EMF metric
 * lines go to the metrics aggregator (not the terminal), Powertools log lines are
 * filtered by level and pretty-printed in a terminal (passed through as JSON
 * otherwise), anything else is printed as is.
 */
import { formatPretty, type LogLevel, levelAtLeast } from "./log.js";
import type { MetricsAggregator } from "./metrics.js";

export interface OutputOptions {
  json: boolean;
  level: LogLevel;
  color: boolean;
  metrics: MetricsAggregator;
  /** Strip this prefix from function names in pretty lines (eventflow-ingest -> ingest). */
  functionPrefix?: string;
}

/** Keys every Powertools log line carries; pretty mode prints the others. */
const STANDARD_KEYS = new Set([
  "level",
  "message",
  "timestamp",
  "service",
  "sampling_rate",
  "xray_trace_id",
  "cold_start",
  "function_arn",
  "function_memory_size",
  "function_name",
  "function_request_id",
]);

/** Powertools warns on every invocation that publishes no metric; noise locally. */
const NOISE = [/^No application metrics to publish/];

type Write = (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;

export interface OutputCapture {
  restore(): void;
  /** Lines dropped as noise or routed to metrics. */
  readonly counts: { metricLines: number; dropped: number };
}

export function captureHandlerOutput(options: OutputOptions): OutputCapture {
  const counts = { metricLines: 0, dropped: 0 };
  const restores: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as Write;
    let pending = "";
    const emit = (line: string) => {
      const out = routeLine(line, options, counts);
      if (out !== undefined) original(`${out}\n`);
    };
    const patched: Write = (chunk, ...rest) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      pending += text;
      let newline = pending.indexOf("\n");
      while (newline !== -1) {
        emit(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf("\n");
      }
      if (pending.length > 64 * 1024) {
        original(pending);
        pending = "";
      }
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      callback?.();
      return true;
    };
    stream.write = patched as typeof stream.write;
    restores.push(() => {
      if (pending) original(pending);
      stream.write = original as typeof stream.write;
    });
  }
  return {
    counts,
    restore: () => {
      for (const r of restores) r();
    },
  };
}

export function routeLine(
  line: string,
  options: OutputOptions,
  counts: { metricLines: number; dropped: number },
): string | undefined {
  const trimmed = line.trim();
  if (NOISE.some((n) => n.test(trimmed))) {
    counts.dropped++;
    return undefined;
  }
  if (!trimmed.startsWith("{") || !trimmed.endsWith("}")) return line;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(trimmed) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (doc._aws !== undefined && options.metrics.ingest(doc)) {
    counts.metricLines++;
    return undefined;
  }
  if (typeof doc.level !== "string" || doc.message === undefined) return line;
  if (!levelAtLeast(doc.level, options.level)) {
    counts.dropped++;
    return undefined;
  }
  if (options.json) return line;
  const fn = typeof doc.function_name === "string" ? doc.function_name : "handler";
  const component =
    options.functionPrefix && fn.startsWith(options.functionPrefix)
      ? fn.slice(options.functionPrefix.length)
      : fn;
  const extras: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!STANDARD_KEYS.has(k)) extras[k] = v;
  return formatPretty(
    doc.level === "CRITICAL" ? "error" : doc.level.toLowerCase(),
    component,
    String(doc.message),
    extras,
    options.color,
  );
}

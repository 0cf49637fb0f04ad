/**
 * One Logger and one Metrics instance per execution environment. Service name and
 * namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, set by
 * the function-defaults construct (and by the local runtime).
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { MetricsOptions } from "@aws-lambda-powertools/metrics/types";
import { OBSERVABILITY } from "../../lib/config.js";

export const logger = new Logger({ serviceName: OBSERVABILITY.serviceName });

/**
 * What logMetrics warns after an invocation that added no metric (a query, a health check,
 * an accepted key): expected for these functions, noise on every such call otherwise.
 */
export const EMPTY_METRICS_WARNING = "No application metrics to publish";

/**
 * Metrics' own messages go through the Logger (JSON, with the correlation id) instead of
 * console.warn. The empty-buffer warning is logged at DEBUG: Powertools warns whenever
 * throwOnEmptyMetrics is off (the default; on, those invocations would throw), and a
 * custom logger is its documented way to quiet it. Every other warning stays a warning,
 * and metrics themselves never pass through here (EMF goes to stdout).
 */
const metricsLogger: NonNullable<MetricsOptions["logger"]> = {
  debug: (message: string) => logger.debug(message),
  info: (message: string) => logger.info(message),
  warn: (message: string) =>
    String(message).startsWith(EMPTY_METRICS_WARNING)
      ? logger.debug(message)
      : logger.warn(message),
  error: (message: string) => logger.error(message),
};

export const metrics = new Metrics({
  namespace: OBSERVABILITY.metricsNamespace,
  serviceName: OBSERVABILITY.serviceName,
  logger: metricsLogger,
});

/** Metric names: the dashboard, the alarms and the local console read these. */
export const METRIC = {
  eventsReceived: "EventsReceived",
  eventsRejected: "EventsRejected",
  eventsQueued: "EventsQueued",
  enqueueFailed: "EnqueueFailed",
  eventsProcessed: "EventsProcessed",
  eventsDuplicate: "EventsDuplicate",
  eventsConflict: "EventsConflict",
  eventsFailed: "EventsFailed",
  eventsRetried: "EventsRetried",
  deadLettered: "EventsDeadLettered",
  processingLatency: "ProcessingLatency",
  endToEndLatency: "EndToEndLatency",
  /** Authorizer calls refused (401): no, malformed, unknown, revoked or expired key. */
  keysRejected: "ApiKeysRejected",
} as const;

/**
 * The synthetic canary's metrics (lambdas/handlers/canary.ts), published only when it is
 * on (canaryIntervalMinutes); its alarms and dashboard row exist only then too.
 */
export const CANARY_METRIC = {
  /** 1 when its event came back processed before the deadline, else 0. */
  success: "CanarySuccess",
  /** End-to-end time (ms): POST sent to `processed` read back, as a client sees it. */
  latency: "CanaryLatency",
} as const;

export const CORRELATION_HEADER = "x-correlation-id";
export const CORRELATION_ATTRIBUTE = "correlationId";

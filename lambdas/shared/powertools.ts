/**
 * One Logger and one Metrics instance per execution environment. Service name and
 * namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, set by
 * the function-defaults construct (and by the local runtime).
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { MetricsOptions } from "@aws-lambda-powertools/metrics/types";
import { OBSERVABILITY } from "../../lib/contracts/observability.js";

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

/**
 * One Logger and one Metrics instance per execution environment. Service name and
 * namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, set by
 * the function-defaults construct (and by the local runtime).
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { OBSERVABILITY } from "../../lib/config.js";

export const logger = new Logger({ serviceName: OBSERVABILITY.serviceName });

export const metrics = new Metrics({
  namespace: OBSERVABILITY.metricsNamespace,
  serviceName: OBSERVABILITY.serviceName,
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

export const CORRELATION_HEADER = "x-correlation-id";
export const CORRELATION_ATTRIBUTE = "correlationId";

/**
 * Observability contracts: the Powertools service and namespace, every metric a function
 * emits (one map: the functions emit these names, the monitoring construct puts each on
 * the dashboard and alarms on the ones that signal trouble, the local console charts
 * them), and the correlation id's header and message attribute.
 */

/** Powertools settings shared by every function. */
export const OBSERVABILITY = {
  metricsNamespace: "EventFlow",
  serviceName: "eventflow",
} as const;

/** Every metric name the functions emit. */
export const METRIC = {
  // ingest
  eventsReceived: "EventsReceived",
  eventsRejected: "EventsRejected",
  eventsQueued: "EventsQueued",
  enqueueFailed: "EnqueueFailed",
  /** Events refused (400) because they do not match their type's schema (enforce). */
  schemaRejected: "SchemaRejected",
  /** Events accepted though they do not match their schema (quarantine): stored failed. */
  schemaQuarantined: "SchemaQuarantined",
  /** Ingest reads of the schema registry that failed with nothing cached (events accepted unchecked). */
  schemaLookupFailed: "SchemaLookupFailed",
  // process and dlq
  eventsProcessed: "EventsProcessed",
  eventsDuplicate: "EventsDuplicate",
  eventsConflict: "EventsConflict",
  eventsFailed: "EventsFailed",
  eventsRetried: "EventsRetried",
  deadLettered: "EventsDeadLettered",
  processingLatency: "ProcessingLatency",
  endToEndLatency: "EndToEndLatency",
  /** Messages that are not a QueuedEvent and name no tenant/id to record them under. */
  messagesMalformed: "MessagesMalformed",
  /** Batches whose statistics update failed (the events themselves were stored). */
  statsWriteFailed: "StatsWriteFailed",
  /** Rule expressions that failed at run time (the event is stored all the same). */
  ruleErrors: "RuleErrors",
  /** Events a rule rejected (also counted in EventsFailed). */
  eventsRejectedByRule: "EventsRejectedByRule",
  // windows and patterns (the sweep)
  /** eventflow.window.closed and eventflow.pattern.matched events queued. */
  derivedEventsEmitted: "DerivedEventsEmitted",
  /** Lag of a derived event behind its deadline (window end, match's last event), ms. */
  derivedEventLag: "DerivedEventLag",
  /** Declarations whose sweep failed or hit the read bound (retried next pass). */
  sweepFailed: "SweepFailed",
  // replay
  eventsReplayed: "EventsReplayed",
  // history (archive and jobs)
  /** Events written to the archive (Parquet files in the archive bucket). */
  eventsArchived: "EventsArchived",
  /** Stored -> archived (ms): the oldest change of an archive batch. */
  archiveLag: "ArchiveLag",
  /** Staged files a split run left for the next one (its deadline came): the splitter is behind. */
  archiveStagedLeft: "ArchiveStagedLeft",
  /** History job slices that failed (the message comes back, then the jobs DLQ). */
  historyJobsFailed: "HistoryJobsFailed",
  // deliver
  /** Deliveries that reached their destination (2xx, or the AWS service accepted them). */
  deliveriesSucceeded: "DeliveriesSucceeded",
  /** Attempts that failed and will be retried (5xx, 408, 429, timeouts, connection errors). */
  deliveriesRetried: "DeliveriesRetried",
  /** Deliveries that failed for good (other 4xx, retries exhausted): each goes to the delivery DLQ. */
  deliveriesFailed: "DeliveriesFailed",
  /** Deliveries held back without an attempt (circuit open, destination at its limits). */
  deliveriesDeferred: "DeliveriesDeferred",
  /** Event receipt to delivered (ms): what a receiver waits. */
  deliveryLatency: "DeliveryLatency",
  /** One attempt's call (ms). */
  deliveryAttemptLatency: "DeliveryAttemptLatency",
  /** Destinations disabled after failing continuously for deliveryDisableAfterSeconds. */
  destinationsDisabled: "DestinationsDisabled",
  // rules
  /** Changes of a tenant's rules (PUT or DELETE /v1/rules). */
  rulesChanged: "RulesChanged",
  // authorizer
  /** Authorizer calls refused (401): no, malformed, unknown, revoked or expired key. */
  keysRejected: "ApiKeysRejected",
  // canary: published only when it is on (canaryIntervalMinutes)
  /** 1 when its event came back processed before the deadline, else 0. */
  canarySuccess: "CanarySuccess",
  /** End-to-end time (ms): POST sent to `processed` read back, as a client sees it. */
  canaryLatency: "CanaryLatency",
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export const CORRELATION_HEADER = "x-correlation-id";
export const CORRELATION_ATTRIBUTE = "correlationId";

/**
 * The emulator's own ceiling: conditional PutItem/s into a fresh dynalite, with the
 * process function's writer (same item, same condition, same SDK client settings), at
 * the pipeline's concurrency (processMaxConcurrency x processBatchSize). It is the
 * most the local pipeline could store if the process function did nothing but its one
 * write per event; the pipeline's end-to-end rate is reported as a share of it.
 *
 * The emulator runs as the local runtime runs it (local/emulators.ts, on a worker
 * thread, in memory) and the client on this process's main thread, as the handlers do.
 * Run it while nothing else loads the machine: the runtime of a finished load run only
 * long-polls.
 */
import { performance } from "node:perf_hooks";
import type { StoredEvent } from "../../lambdas/domain/event.js";
import type { TimeBucket } from "./stats.js";

export interface CeilingOptions {
  /** Writes in flight at once (processMaxConcurrency x processBatchSize). */
  concurrency: number;
  seconds: number;
  /** Approximate size of one event's data (the load's --size). */
  sizeBytes: number;
  /** Writes before the measured window (JIT, connections). */
  warmupSeconds?: number;
}

export interface CeilingResult {
  putsPerSecond: number;
  puts: number;
  errors: number;
  concurrency: number;
  seconds: number;
  /** CPU of this process (client and emulator threads) over the window, in % of one core. */
  cpuPercent: number;
  setup: string;
}

export interface PipelineRate {
  /** Events stored, by the load's verification. */
  stored: number;
  /** From the first send to the second in which the last event was stored. */
  seconds: number;
  eventsPerSecond: number;
  /**
   * The best `window` consecutive seconds of stores (60, or the whole run if shorter): what
   * the pipeline sustained. Offer more than the goal (--rate above it) to measure capacity:
   * with the offered rate at the goal, the whole-run figure stays below it by the run's
   * first and last partial seconds even when nothing queues up.
   */
  sustained: { window: number; eventsPerSecond: number };
}

/**
 * The end-to-end rate of a load run: stored events over the time from its start to the last
 * store, and the best `window`-second stretch of it (issue 20: "sustained for 60 s").
 */
export function pipelineRate(processed: readonly TimeBucket[], window = 60): PipelineRate {
  let stored = 0;
  let last = -1;
  const perSecond: number[] = [];
  for (const b of processed) {
    stored += b.count;
    if (b.count > 0) last = b.second;
    perSecond[b.second] = (perSecond[b.second] ?? 0) + b.count;
  }
  const seconds = last + 1;
  const span = Math.min(window, seconds);
  let best = 0;
  let sum = 0;
  for (let i = 0; i < seconds; i++) {
    sum += perSecond[i] ?? 0;
    if (i >= span) sum -= perSecond[i - span] ?? 0;
    if (i >= span - 1) best = Math.max(best, sum);
  }
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    stored,
    seconds,
    eventsPerSecond: seconds > 0 ? round(stored / seconds) : 0,
    sustained: { window: span, eventsPerSecond: span > 0 ? round(best / span) : 0 },
  };
}

const shardCountsOf = (s: {
  timeShards: number;
  typeShards: number;
  statsShards: number;
  failedShards: number;
}) => ({
  timeShards: s.timeShards,
  typeShards: s.typeShards,
  statsShards: s.statsShards,
  failedShards: s.failedShards,
});

export async function measureCeiling(options: CeilingOptions): Promise<CeilingResult> {
  // Loaded here, not with the load generator: only a ceiling run needs an emulator.
  const [{ CreateTableCommand, DynamoDBClient }, { DynamoDBDocumentClient }] = await Promise.all([
    import("@aws-sdk/client-dynamodb"),
    import("@aws-sdk/lib-dynamodb"),
  ]);
  const [
    { resolveSettings },
    { DynamoDbEventWriter },
    { DOCUMENT_CLIENT_OPTIONS, withoutSdkLogging },
    { startEmulators },
    { tableDefinition },
  ] = await Promise.all([
    import("../../lib/config.js"),
    import("../../lambdas/adapters/dynamodb-event-writer.js"),
    import("../../lambdas/shared/sdk-options.js"),
    import("../../local/emulators.js"),
    import("../../local/resources.js"),
  ]);
  const emulators = await startEmulators({ sqs: false, thread: true });
  const dynamodb = withoutSdkLogging(
    new DynamoDBClient({
      endpoint: emulators.dynamodbEndpoint ?? "",
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    }),
  );
  try {
    const tableName = "ceiling";
    await dynamodb.send(new CreateTableCommand(tableDefinition(tableName)));
    // The same client settings, marshalling options and writer as the process function.
    const documentClient = DynamoDBDocumentClient.from(dynamodb, DOCUMENT_CLIENT_OPTIONS);
    const writer = new DynamoDbEventWriter(documentClient, {
      tableName,
      eventRetentionDays: 90,
      // The process function's shard counts at the default settings.
      ...shardCountsOf(resolveSettings()),
    });
    const padding = "x".repeat(Math.max(0, options.sizeBytes - 200));
    const types = ["purchase", "page_view", "user_signup"];
    let n = 0;
    const event = (): StoredEvent => {
      const i = n++;
      const now = new Date().toISOString();
      return {
        id: `ceiling-${i}`,
        tenantId: "default",
        type: types[i % types.length] ?? "purchase",
        source: "loadtest/ceiling",
        data: { sentAt: Date.now(), padding },
        status: "processed",
        receivedAt: now,
        correlationId: `ceiling-${i}`,
        attempts: 1,
        processedAt: now,
        latencyMs: 0,
        enrichment: { category: "ceiling" },
      };
    };
    let puts = 0;
    let errors = 0;
    const run = async (ms: number) => {
      const until = performance.now() + ms;
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          while (performance.now() < until) {
            try {
              await writer.putIfAbsent(event());
              puts++;
            } catch {
              errors++;
            }
          }
        }),
      );
    };
    await run((options.warmupSeconds ?? 2) * 1000);
    puts = 0;
    errors = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await run(options.seconds * 1000);
    const elapsed = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      putsPerSecond: Math.round((puts / elapsed) * 10) / 10,
      puts,
      errors,
      concurrency: options.concurrency,
      seconds: Math.round(elapsed * 100) / 100,
      cpuPercent: Math.round(((used.user + used.system) / 1000 / (elapsed * 1000)) * 100),
      setup:
        "dynalite in memory on a worker thread (as the local runtime runs it), SDK client on the main thread, the process function's conditional PutItem",
    };
  } finally {
    dynamodb.destroy();
    await emulators.stop();
  }
}

export function ceilingText(ceiling: CeilingResult, pipeline?: PipelineRate): string {
  const lines = [
    `emulator ceiling: ${ceiling.putsPerSecond} conditional PutItem/s into a fresh dynalite at concurrency ${ceiling.concurrency} (${ceiling.puts} puts in ${ceiling.seconds} s, ${ceiling.errors} errors, ${ceiling.cpuPercent}% CPU)`,
  ];
  if (pipeline) {
    const share = (rate: number) =>
      ceiling.putsPerSecond > 0 ? ((rate / ceiling.putsPerSecond) * 100).toFixed(1) : "0.0";
    lines.push(
      `pipeline: ${pipeline.stored} events stored in ${pipeline.seconds} s from the first send = ${pipeline.eventsPerSecond} events/s end-to-end = ${share(pipeline.eventsPerSecond)}% of the emulator ceiling`,
      `sustained: ${pipeline.sustained.eventsPerSecond} events/s stored over the best ${pipeline.sustained.window} s = ${share(pipeline.sustained.eventsPerSecond)}% of the emulator ceiling`,
    );
  }
  return lines.join("\n");
}

/**
 * `npm run bench -- --only windows`: what windows and patterns cost the process function,
 * in CPU per event, with 0, 1 and 10 aggregations, 5 patterns, and 10 aggregations + 5
 * patterns declared.
 *
 * The process handler as deployed (createProcessHandler + processDeps: Powertools batch,
 * logs and EMF, the SDK's marshalling and signing), its AWS calls answered by the no-I/O
 * stub (aws-stub.ts), so the figure is the function's own CPU, not an emulator's. The
 * declarations come from an in-memory store (what the cache holds between reads: one Query
 * per tenant per windowConfigCacheSeconds); every matching declaration costs one
 * conditional PutItem of a contribution through the real DynamoDB adapter.
 */
import type { SQSEvent } from "aws-lambda";
import { DynamoDbContributionStore } from "../../lambdas/adapters/dynamodb-window-store.js";
import type { PatternInput } from "../../lambdas/domain/cep.js";
import { patternSchema } from "../../lambdas/domain/cep.js";
import type { AggregationInput } from "../../lambdas/domain/windowing.js";
import { aggregationSchema } from "../../lambdas/domain/windowing.js";
import { createProcessHandler, processDeps } from "../../lambdas/handlers/process.js";
import type {
  Declaration,
  DeclarationKind,
  DeclarationStore,
} from "../../lambdas/ports/windows.js";
import { WindowApplier } from "../../lambdas/use-cases/apply-windows.js";
import { functionEnvironment } from "../../lib/contracts/functions.js";
import { installStub, StubRequestHandler } from "./aws-stub.js";
import { benchAws } from "./bench-aws.js";
import { contextFor, eventSource, OutputSink, queuedRecord } from "./fixtures.js";
import type { Method } from "./handlers.js";
import { median } from "./stats.js";

const measures: AggregationInput["measures"] = [
  { name: "n", op: "count" },
  { name: "total", op: "sum", path: "data.amount" },
  { name: "users", op: "distinct", path: "subject" },
];

/** Ten aggregations of the kinds tenants declare, over the default mix. */
const AGGREGATIONS: AggregationInput[] = [
  {
    match: { type: ["purchase"] },
    groupBy: ["subject"],
    measures,
    window: { kind: "tumbling", size: "5m" },
  },
  { match: { type: ["purchase"] }, measures, window: { kind: "hopping", size: "10m", hop: "1m" } },
  {
    match: { type: ["page_view"] },
    groupBy: ["data.url"],
    measures: [{ name: "n", op: "count" }],
    window: { kind: "tumbling", size: "1m" },
  },
  {
    match: { type: ["user_signup"] },
    measures: [{ name: "n", op: "count" }],
    window: { kind: "tumbling", size: "1h" },
  },
  {
    match: {},
    groupBy: ["type"],
    measures: [{ name: "n", op: "count" }],
    window: { kind: "tumbling", size: "1m" },
  },
  {
    match: { type: ["page_view"] },
    groupBy: ["subject"],
    measures: [{ name: "n", op: "count" }],
    window: { kind: "session", gap: "30m" },
  },
  {
    match: { type: ["purchase"] },
    groupBy: ["subject"],
    measures,
    window: { kind: "count", count: 10 },
  },
  {
    match: { type: ["purchase"], data: { amount: [{ numeric: [">", 100] }] } },
    measures,
    window: { kind: "tumbling", size: "15m" },
  },
  {
    match: { type: [{ prefix: "page" }] },
    groupBy: ["subject", "data.url"],
    measures: [{ name: "n", op: "count" }],
    window: { kind: "hopping", size: "1h", hop: "5m" },
  },
  { match: { type: ["refund"] }, measures, window: { kind: "tumbling", size: "1d" } },
];

const PATTERNS: PatternInput[] = [
  {
    kind: "sequence",
    within: "1h",
    steps: [{ match: { type: ["user_signup"] } }, { match: { type: ["purchase"] } }],
  },
  {
    kind: "absence",
    within: "24h",
    steps: [{ match: { type: ["user_signup"] } }, { match: { type: ["purchase"] } }],
  },
  { kind: "threshold", within: "5m", count: 5, steps: [{ match: { type: ["page_view"] } }] },
  {
    kind: "sequence",
    within: "30m",
    steps: [
      { match: { type: ["purchase"] } },
      {
        match: { type: ["purchase"] },
        where: [{ path: "data.amount", op: ">", ref: { step: 0, path: "data.amount" } }],
      },
    ],
  },
  {
    kind: "threshold",
    within: "10m",
    count: 3,
    steps: [{ match: { type: ["purchase"], data: { amount: [{ numeric: [">", 500] }] } } }],
  },
];

export const WINDOW_CASES = [
  { name: "0 aggregations", aggregations: 0, patterns: 0 },
  { name: "1 aggregation", aggregations: 1, patterns: 0 },
  { name: "10 aggregations", aggregations: 10, patterns: 0 },
  { name: "5 patterns", aggregations: 0, patterns: 5 },
  { name: "10 aggregations + 5 patterns", aggregations: 10, patterns: 5 },
] as const;

export interface WindowsBenchOptions {
  rounds: number;
  warmupSeconds: number;
  seconds: number;
  batch: number;
}

export interface WindowsBenchResult {
  case: string;
  events: number;
  /** Contribution writes per event (declarations the event matched). */
  contributionsPerEvent: number;
  cpuMicrosPerEvent: number;
  cpuMicrosPerEventRange: [number, number];
  overheadPercent: number;
}

export function windowsMethod(o: WindowsBenchOptions): Method {
  return {
    summary: `process handler in-process, AWS stubbed (no I/O), batches of ${o.batch} 1 KiB events of the default mix, ${o.rounds} interleaved rounds of ${o.seconds}s per case after ${o.warmupSeconds}s warm-up; CPU µs per event = process CPU (user+system) / events, stub CPU subtracted, median [lowest-highest round]`,
    detail: [
      "createProcessHandler(processDeps(...)) as deployed, its WindowApplier given an in-memory declaration store (the cache) and the real DynamoDB contribution store on the stubbed client",
      "10 aggregations: tumbling x5, hopping x2, session, count, a numeric match; 5 patterns: sequence x2 (one with a condition), absence, threshold x2",
    ],
  };
}

class MemoryDeclarations implements DeclarationStore {
  constructor(private readonly items: Declaration[]) {}
  async list(_t: string, kind: DeclarationKind) {
    return this.items.filter((d) => d.kind === kind);
  }
  async get() {
    return undefined;
  }
  async put(): Promise<Declaration> {
    throw new Error("read-only");
  }
  async remove() {
    return false;
  }
  async all() {
    return this.items;
  }
  async versions(_t: string, kind: DeclarationKind) {
    return this.list(_t, kind);
  }
}

function declarations(aggregations: number, patterns: number): Declaration[] {
  const at = new Date().toISOString();
  return [
    ...AGGREGATIONS.slice(0, aggregations).map((a, i) => ({
      tenantId: "bench",
      kind: "aggregation" as const,
      name: `agg-${i}`,
      version: 1,
      spec: aggregationSchema.parse(a),
      createdAt: at,
      shards: 16,
    })),
    ...PATTERNS.slice(0, patterns).map((p, i) => ({
      tenantId: "bench",
      kind: "pattern" as const,
      name: `pattern-${i}`,
      version: 1,
      spec: patternSchema.parse(p),
      createdAt: at,
      shards: 16,
    })),
  ];
}

const cpuMicros = (u: NodeJS.CpuUsage) => u.user + u.system;

export async function benchWindows(options: WindowsBenchOptions): Promise<WindowsBenchResult[]> {
  const aws = await benchAws();
  const sink = new OutputSink();
  const stub = new StubRequestHandler();
  const events = eventSource(`bw${Date.now().toString(36)}`);
  const context = contextFor("process", aws.settings.processMemoryMb);
  const env = functionEnvironment("process", aws.settings, {
    ...aws.resources,
    configTableName: "bench-config",
  });
  const base = processDeps(env, {
    documentClient: aws.clients.documentClient,
    sqs: aws.clients.sqs,
  });
  const contributions = new DynamoDbContributionStore(aws.clients.documentClient, {
    tableName: aws.resources.tableName,
    maxReadItems: 1000,
  });
  const handlers = WINDOW_CASES.map((c) => {
    const windows = new WindowApplier({
      declarations: new MemoryDeclarations(declarations(c.aggregations, c.patterns)),
      contributions,
      cacheSeconds: 3600,
      retentionDays: 7,
    });
    return { c, handler: createProcessHandler({ ...base, windows }) };
  });

  const restore = installStub([aws.clients.sqs, aws.clients.dynamodb], stub);
  const perCase = new Map<string, { micros: number[]; events: number; requests: number }>();
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const { c, handler } of handlers) {
        const run = async (seconds: number) => {
          let n = 0;
          let building = 0;
          const stubBefore = stub.cpuMicros;
          const requestsBefore = stub.requests;
          const cpuBefore = process.cpuUsage();
          const until = performance.now() + seconds * 1000;
          sink.install();
          try {
            while (performance.now() < until) {
              const b0 = process.cpuUsage();
              const batch: SQSEvent = {
                Records: Array.from({ length: options.batch }, () =>
                  queuedRecord(events.next(), aws.resources.queueArn),
                ),
              };
              building += cpuMicros(process.cpuUsage(b0));
              const response = await handler(batch, context);
              if (response.batchItemFailures.length > 0) {
                throw new Error(`process failed ${response.batchItemFailures.length} records`);
              }
              n += options.batch;
            }
          } finally {
            sink.restore();
          }
          const cpu =
            cpuMicros(process.cpuUsage(cpuBefore)) - building - (stub.cpuMicros - stubBefore);
          return { perEvent: cpu / n, events: n, requests: stub.requests - requestsBefore };
        };
        await run(round === 0 ? options.warmupSeconds : 0.3);
        const r = await run(options.seconds);
        const entry = perCase.get(c.name) ?? { micros: [], events: 0, requests: 0 };
        entry.micros.push(r.perEvent);
        entry.events += r.events;
        entry.requests += r.requests;
        perCase.set(c.name, entry);
      }
    }
  } finally {
    restore();
  }
  const baseline = median(perCase.get(WINDOW_CASES[0].name)?.micros ?? [1]);
  return WINDOW_CASES.map((c) => {
    const e = perCase.get(c.name) ?? { micros: [0], events: 1, requests: 0 };
    const m = median(e.micros);
    // Requests per event beyond the baseline's (event write + stats, and SQS calls).
    const base0 = perCase.get(WINDOW_CASES[0].name);
    const baseRequests = base0 ? base0.requests / base0.events : 0;
    return {
      case: c.name,
      events: e.events,
      contributionsPerEvent: Math.max(0, e.requests / e.events - baseRequests),
      cpuMicrosPerEvent: m,
      cpuMicrosPerEventRange: [Math.min(...e.micros), Math.max(...e.micros)],
      overheadPercent: ((m - baseline) / baseline) * 100,
    };
  });
}

export function windowsLines(results: WindowsBenchResult[]): string[] {
  return results.map(
    (r) =>
      `  ${r.case.padEnd(30)} ${r.cpuMicrosPerEvent.toFixed(0).padStart(6)} µs/event [${r.cpuMicrosPerEventRange.map((v) => v.toFixed(0)).join("-")}]  ${r.overheadPercent >= 0 ? "+" : ""}${r.overheadPercent.toFixed(0)}%  ${r.contributionsPerEvent.toFixed(2)} contribution writes/event  (${r.events} events)`,
  );
}

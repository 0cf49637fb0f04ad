/**
 * `npm run bench -- --only rules`: what tenant rules cost the process function, in CPU
 * per event, with 0 rules, 1 rule, the 5 built-in defaults and 10 rules (goal: 10 rules
 * cost at most +30% over none).
 *
 * The process handler as deployed (createProcessHandler + processDeps: Powertools batch,
 * logs and EMF, the SDK's marshalling and signing), its AWS calls answered by the no-I/O
 * stub (aws-stub.ts), so the figure is the function's own CPU, not an emulator's; each
 * case's rules are handed to it compiled, as the cache holds them between reads.
 */
import type { SQSEvent } from "aws-lambda";
import {
  compileRuleset,
  DEFAULT_RULES,
  prepareRules,
  type Rule,
} from "../../lambdas/domain/rules.js";
import { createProcessHandler, processDeps } from "../../lambdas/handlers/process.js";
import { functionEnvironment } from "../../lib/contracts/functions.js";
import { installStub, StubRequestHandler } from "./aws-stub.js";
import { benchAws } from "./bench-aws.js";
import { contextFor, eventSource, OutputSink, queuedRecord } from "./fixtures.js";
import { type Driver, type Method, measure } from "./handlers.js";
import { median } from "./stats.js";

const DST = (n: number) => `dst_bench${String(n).padStart(21, "0")}`;

/** One rule: the category of purchases (a pattern and one JSONata expression). */
const ONE_RULE: Rule[] = [
  {
    name: "purchase-category",
    match: { type: ["purchase"] },
    actions: [
      { type: "enrich", set: { category: "data.amount > 1000 ? 'high_value' : 'standard'" } },
    ],
  },
];

/**
 * Ten rules of the kinds tenants write, over the default mix (purchase 50%, page_view 30%,
 * user_signup 20%): on a typical event two to four match; every operator kind appears.
 */
const TEN_RULES: Rule[] = [
  {
    name: "no-test-traffic",
    match: { source: [{ prefix: "test-" }] },
    actions: [{ type: "reject", message: "test traffic" }],
  },
  {
    name: "no-internal",
    match: { subject: [{ wildcard: "internal-*-bot" }] },
    actions: [{ type: "reject", message: "internal bots" }],
  },
  ...ONE_RULE,
  {
    name: "eu-purchases",
    match: { type: ["purchase"], data: { currency: ["EUR", "CHF", "GBP"] } },
    actions: [{ type: "enrich", set: { region: "'eu'" } }],
  },
  {
    name: "big-to-crm",
    match: { type: ["purchase"], data: { amount: [{ numeric: [">", 250] }] } },
    actions: [
      {
        type: "route",
        destinations: [DST(1)],
        transform: "{ 'order': subject, 'amount': data.amount, 'currency': data.currency }",
      },
    ],
  },
  {
    name: "pricing-views",
    match: {
      type: ["page_view"],
      data: { url: [{ suffix: "/pricing" }, { suffix: "/checkout" }] },
    },
    actions: [{ type: "enrich", set: { intent: "'high'" } }],
  },
  {
    name: "views-to-analytics",
    match: { type: ["page_view"] },
    actions: [{ type: "route", destinations: [DST(2)] }],
  },
  {
    name: "signup-plan",
    match: { type: ["user_signup"], data: { plan: [{ "anything-but": "free" }] } },
    actions: [{ type: "enrich", set: { paying: "true" } }],
  },
  {
    name: "signups-to-slack",
    match: { $or: [{ type: ["user_signup"] }, { enrichment: { category: ["high_value"] } }] },
    actions: [
      { type: "route", destinations: [DST(3)], transform: "{ 'text': type & ' ' & subject }" },
    ],
  },
  {
    name: "no-sku",
    match: { type: ["purchase"], data: { sku: [{ exists: false }] } },
    actions: [{ type: "reject", message: "purchases need a sku" }],
  },
];

export const RULE_CASES: readonly { name: string; rules: Rule[] }[] = [
  { name: "0 rules", rules: [] },
  { name: "1 rule", rules: ONE_RULE },
  { name: "5 rules (defaults)", rules: [...DEFAULT_RULES] },
  { name: "10 rules", rules: TEN_RULES },
];

export interface RulesOptions {
  rounds: number;
  warmupSeconds: number;
  seconds: number;
  batch: number;
}

export interface RulesResult {
  case: string;
  rules: number;
  events: number;
  /** Median over the rounds. */
  cpuMicrosPerEvent: number;
  cpuMicrosPerEventRange: [number, number];
  /** Against the 0-rule case's median. */
  overheadPercent: number;
}

export function rulesMethod(o: RulesOptions): Method {
  return {
    summary: `process handler in-process, AWS stubbed (no I/O), batches of ${o.batch} 1 KiB events of the default mix, ${o.rounds} interleaved rounds of ${o.seconds}s per case after ${o.warmupSeconds}s warm-up; CPU µs per event = process CPU (user+system) / events, median [lowest-highest round]`,
    detail: [
      "createProcessHandler(processDeps(...)) as deployed (Powertools batch, logs at INFO, EMF), its rules provider replaced by the case's compiled ruleset (what the cache holds between reads; the read itself is one Query per tenant per rulesCacheSeconds)",
      "route actions enqueue their deliveries as deployed (the SQS delivery queue adapter, stubbed): one SendMessageBatch per invocation for its records' deliveries",
      "10 rules: reject x3 (prefix, wildcard, exists), enrich x4 (JSONata), route x3 (two with JSONata transforms), $or, numeric, anything-but, suffix",
    ],
  };
}

export async function benchRules(options: RulesOptions): Promise<RulesResult[]> {
  const aws = await benchAws();
  const sink = new OutputSink();
  const stub = new StubRequestHandler();
  const events = eventSource(`br${Date.now().toString(36)}`);
  const context = contextFor("process", aws.settings.processMemoryMb);
  const { NODE_OPTIONS: _inProcessOnly, ...env } = functionEnvironment(
    "process",
    aws.settings,
    aws.resources,
  );
  await prepareRules(RULE_CASES.flatMap((c) => c.rules));
  const drivers = RULE_CASES.map((c) => {
    const compiled = compileRuleset({ version: 1, source: "tenant", rules: c.rules });
    const handler = createProcessHandler({
      ...processDeps(env, aws.clients),
      rules: { forTenant: async () => compiled },
    });
    const driver: Driver<SQSEvent> = {
      prepare: () => ({
        Records: Array.from({ length: options.batch }, () =>
          queuedRecord(events.next(), aws.resources.queueArn),
        ),
      }),
      invoke: async (batch) => {
        const response = await handler(batch, context);
        if (response.batchItemFailures.length > 0) {
          throw new Error(`process failed ${response.batchItemFailures.length} records`);
        }
        return options.batch;
      },
    };
    return { c, driver };
  });
  const perCase = new Map<string, { micros: number[]; events: number }>();
  const restore = installStub([aws.clients.sqs, aws.clients.dynamodb], stub);
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const { c, driver } of drivers) {
        const warmup = round === 0 ? options.warmupSeconds : options.warmupSeconds / 3;
        const r = await measure(driver as Driver<unknown>, warmup, options.seconds, sink, stub);
        const entry = perCase.get(c.name) ?? { micros: [], events: 0 };
        entry.micros.push((r.cpuSeconds * 1e6) / r.events);
        entry.events += r.events;
        perCase.set(c.name, entry);
      }
    }
  } finally {
    restore();
  }
  const base = median(perCase.get(RULE_CASES[0]?.name ?? "")?.micros ?? [1]);
  return RULE_CASES.map((c) => {
    const entry = perCase.get(c.name) ?? { micros: [0], events: 0 };
    const m = median(entry.micros);
    return {
      case: c.name,
      rules: c.rules.length,
      events: entry.events,
      cpuMicrosPerEvent: m,
      cpuMicrosPerEventRange: [Math.min(...entry.micros), Math.max(...entry.micros)],
      overheadPercent: ((m - base) / base) * 100,
    };
  });
}

export function rulesLines(results: RulesResult[]): string[] {
  return [
    "case                  CPU µs/event   [lowest-highest round]   vs 0 rules",
    ...results.map(
      (r) =>
        `${r.case.padEnd(20)}  ${r.cpuMicrosPerEvent.toFixed(0).padStart(12)}   [${r.cpuMicrosPerEventRange.map((v) => v.toFixed(0)).join("-")}]`.padEnd(
          58,
        ) +
        (r.rules === 0
          ? "baseline"
          : `${r.overheadPercent >= 0 ? "+" : ""}${r.overheadPercent.toFixed(1)}%`),
    ),
  ];
}

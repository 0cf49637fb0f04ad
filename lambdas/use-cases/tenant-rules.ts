import { deliveryId } from "../domain/delivery.js";
import type { StoredEvent } from "../domain/event.js";
import type { FieldError } from "../domain/json.js";
import {
  applyRules,
  type CompiledRuleset,
  compileRuleset,
  DEFAULT_RULES,
  DEFAULT_RULESET,
  parseRules,
  prepareRules,
  type RuleInput,
  type Ruleset,
  RulesetError,
  type RulesInput,
  type RulesOutcome,
} from "../domain/rules.js";
import type { EventReader } from "../ports/event-store.js";
import type { RuleStore } from "../ports/rule-store.js";
import type { TestReport, TestRequest } from "./tenant-rules-schemas.js";

export async function currentRuleset(store: RuleStore, tenantId: string): Promise<Ruleset> {
  return (await store.current(tenantId)) ?? DEFAULT_RULESET;
}

export type ChangeResult =
  | { kind: "saved"; ruleset: Ruleset }
  | { kind: "conflict"; current: Ruleset };

/**
 * Saves `input` (already validated by parseRules) as the next version. With
 * `expectedVersion`, refuses when the current version is another one; without, a race with
 * another change is still refused rather than lost (the conditional put on the version).
 */
export async function changeRules(
  store: RuleStore,
  tenantId: string,
  change: { rules: Ruleset["rules"]; source: Ruleset["source"]; expectedVersion?: number },
  meta: { keyId?: string; now: Date },
): Promise<ChangeResult> {
  const current = await currentRuleset(store, tenantId);
  if (change.expectedVersion !== undefined && change.expectedVersion !== current.version) {
    return { kind: "conflict", current };
  }
  const ruleset: Ruleset = {
    version: current.version + 1,
    source: change.source,
    rules: change.rules,
    updatedAt: meta.now.toISOString(),
    ...(meta.keyId ? { updatedBy: meta.keyId } : {}),
  };
  const saved = await store.save(tenantId, ruleset);
  return saved
    ? { kind: "saved", ruleset }
    : { kind: "conflict", current: await currentRuleset(store, tenantId) };
}

export const putRules = (
  store: RuleStore,
  tenantId: string,
  input: RulesInput,
  meta: { keyId?: string; now: Date },
) =>
  changeRules(
    store,
    tenantId,
    {
      rules: input.rules,
      source: "tenant",
      ...(input.expectedVersion !== undefined ? { expectedVersion: input.expectedVersion } : {}),
    },
    meta,
  );

/** DELETE /v1/rules: back to the built-in defaults, as a new version (versions only grow). */
export const resetRules = (
  store: RuleStore,
  tenantId: string,
  meta: { keyId?: string; now: Date },
) => changeRules(store, tenantId, { rules: [...DEFAULT_RULES], source: "default" }, meta);

/** What the process function needs: a tenant's compiled rules, fresh within a bound. */
export interface RulesProvider {
  forTenant(tenantId: string): Promise<CompiledRuleset>;
}

interface CacheEntry {
  at: number;
  pending: Promise<CompiledRuleset>;
}

let compiledDefaults: CompiledRuleset | undefined;
export const defaultCompiledRuleset = (): CompiledRuleset => {
  compiledDefaults ??= compileRuleset(DEFAULT_RULESET);
  return compiledDefaults;
};

/**
 * Caches each tenant's compiled rules for `maxAgeMs` (the `rulesCacheSeconds` setting): a
 * change reaches every process function within that bound, and a busy tenant costs one
 * read per container per bound. A version already compiled is not compiled again. A read
 * that fails is not cached: the event's message is retried.
 */
export class CachedRules implements RulesProvider {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly compiled = new Map<string, CompiledRuleset>();

  constructor(
    private readonly store: RuleStore,
    private readonly maxAgeMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  forTenant(tenantId: string): Promise<CompiledRuleset> {
    const now = this.clock();
    const entry = this.entries.get(tenantId);
    if (entry && now - entry.at < this.maxAgeMs) return entry.pending;
    const pending = this.load(tenantId);
    this.entries.set(tenantId, { at: now, pending });
    pending.catch(() => {
      if (this.entries.get(tenantId)?.pending === pending) this.entries.delete(tenantId);
    });
    return pending;
  }

  private async load(tenantId: string): Promise<CompiledRuleset> {
    const ruleset = await this.store.current(tenantId);
    if (!ruleset) return defaultCompiledRuleset();
    const key = `${tenantId}\n${ruleset.version}`;
    const known = this.compiled.get(key);
    if (known) return known;
    await prepareRules(ruleset.rules);
    const compiled = compileRuleset(ruleset);
    // One compiled version per tenant is enough: the old one is never asked for again.
    for (const k of this.compiled.keys())
      if (k.startsWith(`${tenantId}\n`)) this.compiled.delete(k);
    this.compiled.set(key, compiled);
    return compiled;
  }
}

/** The event as rules see it. */
export const ruleInputOf = (
  event: Pick<StoredEvent, "id" | "type" | "source" | "subject" | "time" | "data" | "receivedAt">,
): RuleInput => ({
  id: event.id,
  type: event.type,
  ...(event.source !== undefined ? { source: event.source } : {}),
  ...(event.subject !== undefined ? { subject: event.subject } : {}),
  ...(event.time !== undefined ? { time: event.time } : {}),
  data: event.data,
  receivedAt: event.receivedAt,
});

/** One event's dry run (POST /v1/rules/test). */
export interface RuleTestResult {
  event: { id: string; type: string };
  matched: string[];
  outcome: "processed" | "rejected";
  rejectedBy?: { rule: string; message: string };
  enrichment: Record<string, unknown>;
  deliveries: Array<{ rule: string; destinationId: string; deliveryId: string; body: unknown }>;
  errors: RulesOutcome["errors"];
}

export async function testRules(
  tenantId: string,
  ruleset: CompiledRuleset,
  events: RuleInput[],
): Promise<RuleTestResult[]> {
  const results: RuleTestResult[] = [];
  for (const event of events) {
    const outcome = await applyRules(ruleset, event);
    const enriched = Object.keys(outcome.enrichment).length > 0;
    const asStored = { ...event, ...(enriched ? { enrichment: outcome.enrichment } : {}) };
    results.push({
      event: { id: event.id, type: event.type },
      matched: outcome.matched,
      outcome: outcome.rejected ? "rejected" : "processed",
      ...(outcome.rejected ? { rejectedBy: outcome.rejected } : {}),
      enrichment: outcome.enrichment,
      deliveries: outcome.rejected
        ? []
        : outcome.routes.map((r) => ({
            rule: r.rule,
            destinationId: r.destinationId,
            deliveryId: deliveryId(tenantId, event.id, r.destinationId),
            body: r.payload !== undefined ? r.payload : asStored,
          })),
      errors: outcome.errors,
    });
  }
  return results;
}

// ---- POST /v1/rules/test --------------------------------------------------------------

// The request and report schemas (also the OpenAPI document's): tenant-rules-schemas.ts.
export {
  MAX_TEST_EVENTS,
  rulesetSchema,
  ruleTestResultSchema,
  type TestReport,
  type TestRequest,
  testReportSchema,
  testRequestSchema,
} from "./tenant-rules-schemas.js";

export type TestOutcome =
  | { kind: "ok"; report: TestReport }
  | { kind: "invalid"; message: string; details: FieldError[] };

/**
 * A dry run: the current rules (or a draft) on one given event or the newest stored
 * events of a type. Reads only: nothing is stored, enqueued or sent.
 */
export async function runRulesTest(
  tenantId: string,
  request: TestRequest,
  deps: { store: RuleStore; reader: Pick<EventReader, "list">; now: () => Date },
): Promise<TestOutcome> {
  let compiled: CompiledRuleset;
  let version: number | undefined;
  try {
    if (request.rules) {
      await prepareRules(request.rules);
      parseRules({ rules: request.rules });
      compiled = compileRuleset({ version: 0, source: "tenant", rules: request.rules });
    } else {
      const current = await currentRuleset(deps.store, tenantId);
      await prepareRules(current.rules);
      compiled = compileRuleset(current);
      version = current.version;
    }
  } catch (error) {
    if (error instanceof RulesetError) {
      return { kind: "invalid", message: error.message, details: error.details };
    }
    throw error;
  }
  let events: RuleInput[];
  if (request.event) {
    const e = request.event;
    events = [
      ruleInputOf({ ...e, id: e.id ?? "test-event", receivedAt: deps.now().toISOString() }),
    ];
  } else {
    const page = await deps.reader.list({
      tenantId,
      type: request.type as string,
      limit: request.last ?? 5,
    });
    events = page.items.map(ruleInputOf);
  }
  const results = await testRules(tenantId, compiled, events);
  return {
    kind: "ok",
    report: { ...(version !== undefined ? { rulesetVersion: version } : {}), results },
  };
}

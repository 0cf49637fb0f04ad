/**
 * Schema enforcement at the door (ingest) and on replay: for each event, the type's
 * registered schema decides, by the type's enforcement mode:
 *   enforce     a violation is rejected (400, per-field errors, per event in a batch);
 *   quarantine  a violation is accepted and queued marked, then stored `failed` with kind
 *               `schema_violation` and the errors (replayable once the schema is fixed);
 *   off         nothing is checked.
 * A valid event is stamped with the version it was validated against. A type without a
 * schema follows the tenant's policy: `allow` (default) or `reject`. A CloudEvent's
 * `dataschema` naming one of the type's versions pins that version.
 *
 * What a function knows of the registry is cached per instance: a type's settings and
 * latest version for `maxAgeMs` (the bound on how long a new version takes to be enforced,
 * the `schemaCacheSeconds` setting, the same locally and on AWS), compiled validators per
 * version for as long as the instance lives (versions are immutable). Both are bounded in
 * entries (least recently used first out). A read that fails keeps serving the entry it
 * would have replaced, if any; with none, the error propagates (the caller answers 503).
 *
 * Why not Powertools Parameters' DynamoDBProvider: it reads items by a single key attribute
 * (`id`) or a whole partition (getMultiple), while a type lives at (pk, sk) next to every
 * other version and capability of its tenant; and its cache is unbounded. This cache keeps
 * the same contract (maxAge per value) with a bound.
 */
import type { AcceptedEvent } from "../domain/event.js";
import type { FieldError } from "../domain/json.js";
import type { EventValidator } from "../domain/schema-validator.js";
import { loadSchemaValidator } from "../domain/schema-validator-loader.js";
import {
  DEFAULT_UNREGISTERED,
  type EnforcementMode,
  pinnedVersion,
  type SchemaDocument,
  type UnregisteredPolicy,
} from "../domain/schemas.js";
import type { SchemaStore } from "../ports/schema-store.js";

export type SchemaVerdict =
  /** Goes ahead; `version` is what it was validated against (none: not checked). */
  | { kind: "pass"; version?: number }
  | { kind: "reject"; errors: FieldError[] }
  | { kind: "quarantine"; version: number; violations: FieldError[] };

/** What ingest and replay ask of the registry (SchemaGate implements it). */
export interface SchemaChecker {
  check(
    tenantId: string,
    events: readonly { event: Omit<AcceptedEvent, "id">; prefix: string }[],
  ): Promise<SchemaVerdict[]>;
}

interface ActiveSchema {
  version: number;
  enforcement: EnforcementMode;
  schema: SchemaDocument;
}

interface Cached<T> {
  at: number;
  value: T;
}

export interface SchemaGateOptions {
  /** How long a type's settings and latest version are trusted (schemaCacheSeconds). */
  maxAgeMs: number;
  /** Types (tenant, type) kept; least recently used first out. */
  maxTypes?: number;
  /** Compiled validators kept. */
  maxValidators?: number;
  now?: () => number;
  /**
   * When the registry cannot be read and nothing is cached: accept the event unchecked (no
   * version stamped) and report it, instead of throwing SchemaLookupError. Ingest does:
   * its availability must not depend on the configuration table (the queue is its one
   * dependency); replay does not (an operator retries).
   */
  failOpen?: (error: SchemaLookupError) => void;
}

/** A type whose schema could not be read (failOpen): its events pass unchecked. */
const UNCHECKED = Symbol("unchecked");

/** The registry could not be read and nothing cached stands in: answer 503, accept nothing. */
export class SchemaLookupError extends Error {
  override name = "SchemaLookupError";
}

/** A Map in insertion order as a least-recently-used cache. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }
  get size(): number {
    return this.map.size;
  }
}

export class SchemaGate implements SchemaChecker {
  private readonly types: Lru<Cached<ActiveSchema | null>>;
  private readonly tenants: Lru<Cached<UnregisteredPolicy>>;
  private readonly validators: Lru<EventValidator>;
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly now: () => number;

  constructor(
    private readonly store: SchemaStore,
    private readonly options: SchemaGateOptions,
  ) {
    this.types = new Lru(options.maxTypes ?? 2000);
    this.tenants = new Lru(options.maxTypes ?? 2000);
    this.validators = new Lru(options.maxValidators ?? 500);
    this.now = options.now ?? Date.now;
  }

  /** Verdicts for the events of one request, in order; `prefix` is each one's place. */
  async check(
    tenantId: string,
    events: readonly { event: Omit<AcceptedEvent, "id">; prefix: string }[],
  ): Promise<SchemaVerdict[]> {
    // One lookup per type, however many events of it the batch holds.
    const types = [...new Set(events.map((e) => e.event.type))];
    const active = new Map(
      await Promise.all(
        types.map(async (t) => [t, await this.orUnchecked(this.active(tenantId, t))] as const),
      ),
    );
    let policy: UnregisteredPolicy | undefined;
    if ([...active.values()].some((a) => a === null)) {
      const read = await this.orUnchecked(this.policy(tenantId));
      policy = read === UNCHECKED ? "allow" : read;
    }
    const verdicts: SchemaVerdict[] = [];
    for (const { event, prefix } of events) {
      verdicts.push(
        await this.verdict(tenantId, event, prefix, active.get(event.type) ?? null, policy),
      );
    }
    return verdicts;
  }

  private async orUnchecked<T>(read: Promise<T>): Promise<T | typeof UNCHECKED> {
    const { failOpen } = this.options;
    if (!failOpen) return read;
    try {
      return await read;
    } catch (error) {
      if (!(error instanceof SchemaLookupError)) throw error;
      failOpen(error);
      return UNCHECKED;
    }
  }

  private async verdict(
    tenantId: string,
    event: Omit<AcceptedEvent, "id">,
    prefix: string,
    found: ActiveSchema | null | typeof UNCHECKED,
    policy: UnregisteredPolicy | undefined,
  ): Promise<SchemaVerdict> {
    if (found === UNCHECKED) return { kind: "pass" };
    const active = found;
    const at = (field: string) => (prefix === "" ? field : `${prefix}.${field}`);
    if (active === null) {
      if ((policy ?? DEFAULT_UNREGISTERED) === "allow") return { kind: "pass" };
      return {
        kind: "reject",
        errors: [
          {
            path: at("type"),
            message: `has no registered schema, and this tenant rejects unregistered types (PUT /v1/schemas/${encodeURIComponent(event.type)} registers one)`,
          },
        ],
      };
    }
    if (active.enforcement === "off") return { kind: "pass" };
    let version = active.version;
    let schema = active.schema;
    const pin = pinnedVersion(event.cloudEvent?.dataschema, event.type);
    if (pin && "mismatch" in pin) {
      return { kind: "reject", errors: [{ path: at("dataschema"), message: pin.mismatch }] };
    }
    if (pin && pin.pinned !== active.version) {
      const pinned = await this.store.getVersion(tenantId, event.type, pin.pinned);
      if (!pinned) {
        return {
          kind: "reject",
          errors: [
            {
              path: at("dataschema"),
              message: `names version ${pin.pinned} of ${event.type}, which is not registered (latest: ${active.version})`,
            },
          ],
        };
      }
      version = pinned.version;
      schema = pinned.schema;
    }
    const { prefixErrors } = await loadSchemaValidator();
    const errors = (await this.validator(tenantId, event.type, version, schema))(event);
    if (errors.length === 0) return { kind: "pass", version };
    if (active.enforcement === "enforce") {
      return { kind: "reject", errors: prefixErrors(errors, prefix) };
    }
    return { kind: "quarantine", version, violations: prefixErrors(errors, "") };
  }

  private async validator(
    tenantId: string,
    type: string,
    version: number,
    schema: SchemaDocument,
  ): Promise<EventValidator> {
    const key = `${tenantId}\u0000${type}\u0000${version}`;
    let found = this.validators.get(key);
    if (!found) {
      found = (await loadSchemaValidator()).compileSchemaDocument(schema);
      this.validators.set(key, found);
    }
    return found;
  }

  private active(tenantId: string, type: string): Promise<ActiveSchema | null> {
    return this.cached(this.types, `${tenantId}\u0000${type}`, async () => {
      const found = await this.store.getSubject(tenantId, type);
      if (!found || found.subject.deletedAt) return null;
      return {
        version: found.subject.latestVersion,
        enforcement: found.subject.enforcement,
        schema: found.latest.schema,
      };
    });
  }

  private policy(tenantId: string): Promise<UnregisteredPolicy> {
    return this.cached(this.tenants, tenantId, async () => {
      const settings = await this.store.getTenantSettings(tenantId);
      return settings?.unregistered ?? DEFAULT_UNREGISTERED;
    });
  }

  private async cached<T>(cache: Lru<Cached<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && this.now() - hit.at < this.options.maxAgeMs) return hit.value;
    const inFlight = this.pending.get(key) as Promise<T> | undefined;
    if (inFlight) return inFlight;
    const loading = load()
      .then((value) => {
        cache.set(key, { at: this.now(), value });
        return value;
      })
      .catch((error: unknown) => {
        if (hit) return hit.value;
        throw new SchemaLookupError("the schema registry could not be read", { cause: error });
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, loading);
    return loading;
  }
}

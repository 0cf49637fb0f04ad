/**
 * Ports of windows and patterns: declarations (the configuration table) and the
 * contributions the windows and matches are computed from (the events table).
 */
import type { PatternContribution, PatternSpec } from "../domain/cep.js";
import type { AggregationSpec, Contribution } from "../domain/windowing.js";

export type DeclarationKind = "aggregation" | "pattern";

export interface Declaration<S = AggregationSpec | PatternSpec> {
  tenantId: string;
  kind: DeclarationKind;
  name: string;
  /** 1, 2, ...: each PUT makes a new version; contributions are per version. */
  version: number;
  spec: S;
  /** The raw declaration as given (what GET returns). */
  createdAt: string;
  /** Shards of this version's contributions (windowShards when it was declared). */
  shards: number;
}

export type AggregationDeclaration = Declaration<AggregationSpec> & { kind: "aggregation" };
export type PatternDeclaration = Declaration<PatternSpec> & { kind: "pattern" };

export interface DeclarationStore {
  /** A tenant's current declarations of one kind. */
  list(tenantId: string, kind: DeclarationKind): Promise<Declaration[]>;
  /** The current version, or a given one. */
  get(
    tenantId: string,
    kind: DeclarationKind,
    name: string,
    version?: number,
  ): Promise<Declaration | undefined>;
  /** Stores a new version (current + 1); fails with VersionConflict on a concurrent PUT. */
  put(
    tenantId: string,
    kind: DeclarationKind,
    name: string,
    spec: AggregationSpec | PatternSpec,
    shards: number,
    at: Date,
  ): Promise<Declaration>;
  /** Removes the current declaration (its versions' contributions expire by TTL). */
  remove(tenantId: string, kind: DeclarationKind, name: string): Promise<boolean>;
  /** Every tenant's current declarations (the sweep). */
  all(): Promise<Declaration[]>;
  /** Every version a tenant ever declared of a kind, removed ones too (erasure). */
  versions(tenantId: string, kind: DeclarationKind): Promise<Declaration[]>;
}

export class VersionConflict extends Error {
  override name = "VersionConflict";
}

export interface ReadResult<T> {
  items: T[];
  /** Stopped at the read bound (windowMaxReadItems): results may be incomplete. */
  truncated: boolean;
}

export interface ContributionStore {
  /** Idempotent: the first write of (declaration version, event id) wins. */
  putAggregation(decl: AggregationDeclaration, c: Contribution, expiresAtMs: number): Promise<void>;
  putPattern(decl: PatternDeclaration, c: PatternContribution, expiresAtMs: number): Promise<void>;
  /** Contributions whose event time is in [from, to). */
  readAggregation(
    decl: AggregationDeclaration,
    from: number,
    to: number,
  ): Promise<ReadResult<Contribution>>;
  readPattern(
    decl: PatternDeclaration,
    from: number,
    to: number,
  ): Promise<ReadResult<PatternContribution>>;
  /**
   * Erasure: removes these events' contributions to a declaration version (each keyed by
   * the event's id and event time); answers how many existed.
   */
  erase(decl: Declaration, events: readonly { id: string; t: number }[]): Promise<number>;
  /** Up to where (epoch ms) the sweep has emitted for a declaration version. */
  watermark(decl: Declaration): Promise<number | undefined>;
  /** Moves the watermark forward only (a slower concurrent sweep cannot move it back). */
  advance(decl: Declaration, to: number): Promise<void>;
}

/** Port: a tenant's destinations (the configuration table) and their health. */
import type { Destination, SigningSecrets } from "../domain/destination.js";

export interface DestinationHealthChange {
  /** The destination after the change (health fields current). */
  destination: Destination;
}

export interface DestinationStore {
  create(destination: Destination): Promise<void>;
  get(tenantId: string, id: string): Promise<Destination | undefined>;
  list(tenantId: string): Promise<Destination[]>;
  /** Replaces the destination's definition when `updatedAt` is still `expected` (else false). */
  replace(destination: Destination, expectedUpdatedAt: string): Promise<boolean>;
  delete(tenantId: string, id: string): Promise<boolean>;
  setSecrets(tenantId: string, id: string, secrets: SigningSecrets, at: string): Promise<void>;
  /** A success ends a failure streak and closes the circuit. */
  recordSuccess(tenantId: string, id: string, at: string): Promise<void>;
  /** A failure starts (or extends) a streak and opens the circuit until `openUntil`. */
  recordFailure(
    tenantId: string,
    id: string,
    at: string,
    openUntil: string,
  ): Promise<Destination | undefined>;
  /** Disables the destination; true when this call did (it was enabled). */
  disable(tenantId: string, id: string, reason: string, at: string): Promise<boolean>;
}

/**
 * What a replay needs to know of a destination, read without its sealed secrets (the
 * history and jobs functions have no access to the destination key): whether it exists,
 * is enabled, asks for ordering.
 */
export interface DestinationLookup {
  state(
    tenantId: string,
    destinationId: string,
  ): Promise<{ enabled: boolean; ordered: boolean } | undefined>;
}

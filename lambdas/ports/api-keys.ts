/**
 * Ports of API key authentication and management. The authorizer needs KeyLookup only
 * (GetItem on the keys table); the key-management CLI and the local runtime's dev key
 * use the whole KeyStore, and UsagePlans to give each tenant its usage plan key.
 */
import type { ApiKeyRecord } from "../domain/api-keys.js";

export interface KeyLookup {
  /**
   * The key stored under this SHA-256 hash, whatever its state. `keyId` (the id in the
   * key) says where it is stored: a canary key's item lives apart (CANARY.keyIdPrefix).
   */
  findByHash(hash: string, keyId?: string): Promise<ApiKeyRecord | undefined>;
}

/** A tenant's entry: its usage plan key, shared by all its API keys. */
export interface TenantRecord {
  tenantId: string;
  usageKey: string;
  /** API Gateway's id of the API key whose value is usageKey (absent locally). */
  usageKeyId?: string;
  createdAt: string;
}

export interface KeyStore extends KeyLookup {
  /**
   * Stores a new key; fails if its hash is taken (it never is: 336 random bits).
   * `purgeAt`: when the stored record itself may go (DynamoDB TTL); for keys made to
   * expire, such as the canary's. Without it the record stays.
   */
  putKey(hash: string, record: ApiKeyRecord, options?: { purgeAt?: Date }): Promise<void>;
  /** The tenant's keys, any state. */
  listKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  /** One key of a tenant by id, with the hash it is stored under. */
  findKey(
    tenantId: string,
    keyId: string,
  ): Promise<{ hash: string; record: ApiKeyRecord } | undefined>;
  /** Marks a key revoked (if it is the tenant's); keyId as for findByHash. */
  revoke(tenantId: string, hash: string, at: string, keyId?: string): Promise<void>;
  /** Sets when a key stops working (if it is the tenant's and not revoked). */
  expire(tenantId: string, hash: string, at: string, keyId?: string): Promise<void>;
  getTenant(tenantId: string): Promise<TenantRecord | undefined>;
  /** Stores the tenant unless it exists; answers the stored one either way. */
  putTenantIfAbsent(record: TenantRecord): Promise<TenantRecord>;
}

/**
 * Where per-tenant limits live. On AWS: an API Gateway API key per tenant, associated
 * with the stack's usage plan; the authorizer returns its value as usageIdentifierKey.
 * Locally: just a value the local gateway counts requests by.
 */
export interface UsagePlans {
  provision(tenantId: string): Promise<{ usageKey: string; usageKeyId?: string }>;
}

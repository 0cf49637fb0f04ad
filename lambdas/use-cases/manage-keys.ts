/**
 * Key management: create, list, revoke and rotate a tenant's API keys. Used by
 * `npm run keys` (bin/keys.ts) against the local runtime or a deployed stack, and by the
 * local runtime for its development key. A key is returned once, at creation; only its
 * hash is stored.
 */
import {
  type ApiKeyRecord,
  generateApiKey,
  isTenantId,
  type KeyState,
  keyIdOf,
  keyPrefix,
  keyState,
  parseScopes,
  type Scope,
} from "../domain/api-keys.js";
import { isCanaryTenant } from "../domain/canary.js";
import type { KeyStore, TenantRecord, UsagePlans } from "../ports/api-keys.js";

export class KeyManagementError extends Error {}

export interface KeyDeps {
  store: KeyStore;
  usage: UsagePlans;
  now: () => Date;
}

export interface CreatedKey {
  /** The key itself: shown once, never stored. */
  key: string;
  record: ApiKeyRecord;
}

export interface KeyView {
  keyId: string;
  prefix: string;
  tenantId: string;
  scopes: Scope[];
  state: KeyState;
  name?: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

function checkTenant(tenantId: string): void {
  if (!isTenantId(tenantId)) {
    throw new KeyManagementError(
      `tenant "${tenantId}" is not a valid tenant id: 1-63 characters of a-z 0-9 -, starting with a letter or digit`,
    );
  }
}

/** The tenant's usage plan key, provisioned on its first key. */
async function ensureTenant(tenantId: string, deps: KeyDeps): Promise<TenantRecord> {
  const existing = await deps.store.getTenant(tenantId);
  if (existing) return existing;
  const usage = await deps.usage.provision(tenantId);
  return deps.store.putTenantIfAbsent({
    tenantId,
    ...usage,
    createdAt: deps.now().toISOString(),
  });
}

export async function createKey(
  input: { tenantId: string; scopes: string | readonly string[]; name?: string },
  deps: KeyDeps,
): Promise<CreatedKey> {
  checkTenant(input.tenantId);
  if (isCanaryTenant(input.tenantId)) {
    // Its keys are minted by the canary function alone (use-cases/run-canary.ts); list and
    // revoke still work, so an operator can see and stop them.
    throw new KeyManagementError(
      `tenant "${input.tenantId}" is reserved for the synthetic canary, which creates its own keys`,
    );
  }
  let scopes: Scope[];
  try {
    scopes = parseScopes(input.scopes);
  } catch (error) {
    throw new KeyManagementError((error as Error).message);
  }
  const name = input.name?.trim();
  if (name !== undefined && (name.length === 0 || name.length > 100)) {
    throw new KeyManagementError("--name must be 1-100 characters");
  }
  const tenant = await ensureTenant(input.tenantId, deps);
  const { key, keyId, hash } = generateApiKey();
  const record: ApiKeyRecord = {
    keyId,
    tenantId: input.tenantId,
    scopes,
    status: "active",
    createdAt: deps.now().toISOString(),
    usageKey: tenant.usageKey,
    ...(name ? { name } : {}),
  };
  await deps.store.putKey(hash, record);
  return { key, record };
}

export function keyView(record: ApiKeyRecord, now: Date): KeyView {
  return {
    keyId: record.keyId,
    prefix: keyPrefix(record.keyId),
    tenantId: record.tenantId,
    scopes: record.scopes,
    state: keyState(record, now),
    createdAt: record.createdAt,
    ...(record.name ? { name: record.name } : {}),
    ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}),
    ...(record.revokedAt ? { revokedAt: record.revokedAt } : {}),
  };
}

/** The tenant's keys, oldest first, without secrets (only hashes are stored anyway). */
export async function listKeys(tenantId: string, deps: Pick<KeyDeps, "store" | "now">) {
  checkTenant(tenantId);
  const records = await deps.store.listKeys(tenantId);
  const now = deps.now();
  return records
    .map((r) => keyView(r, now))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.keyId.localeCompare(b.keyId));
}

async function findKey(tenantId: string, key: string, store: KeyStore) {
  checkTenant(tenantId);
  const keyId = keyIdOf(key);
  if (!keyId) {
    throw new KeyManagementError(`"${key}" is not a key id (efk_ and 16 characters of a-z 2-7)`);
  }
  const found = await store.findKey(tenantId, keyId);
  // Another tenant's key is "not found" too: one tenant's name does not open another's keys.
  if (!found) throw new KeyManagementError(`tenant ${tenantId} has no key ${keyPrefix(keyId)}`);
  return found;
}

/** Revokes at once (an authorizer answer cached before keeps working up to its TTL). */
export async function revokeKey(
  tenantId: string,
  key: string,
  deps: Pick<KeyDeps, "store" | "now">,
): Promise<KeyView> {
  const { hash, record } = await findKey(tenantId, key, deps.store);
  const now = deps.now();
  if (record.status === "revoked") return keyView(record, now);
  const revokedAt = now.toISOString();
  await deps.store.revoke(tenantId, hash, revokedAt, record.keyId);
  return keyView({ ...record, status: "revoked", revokedAt }, now);
}

/**
 * A new key with the same tenant, scopes and name; the old one keeps working for
 * `graceSeconds` (so producers can switch without an outage), then stops. 0 revokes it now.
 */
export async function rotateKey(
  tenantId: string,
  key: string,
  graceSeconds: number,
  deps: KeyDeps,
): Promise<{ created: CreatedKey; old: KeyView }> {
  const { hash, record } = await findKey(tenantId, key, deps.store);
  const now = deps.now();
  if (keyState(record, now) !== "active") {
    throw new KeyManagementError(
      `key ${keyPrefix(record.keyId)} is ${keyState(record, now)}: create a new key instead`,
    );
  }
  const created = await createKey(
    { tenantId, scopes: record.scopes, ...(record.name ? { name: record.name } : {}) },
    deps,
  );
  if (graceSeconds <= 0) {
    const revokedAt = now.toISOString();
    await deps.store.revoke(tenantId, hash, revokedAt, record.keyId);
    return { created, old: keyView({ ...record, status: "revoked", revokedAt }, now) };
  }
  const expiresAt = new Date(now.getTime() + graceSeconds * 1000).toISOString();
  // A grace period never extends a key that already expires sooner.
  const until = record.expiresAt && record.expiresAt < expiresAt ? record.expiresAt : expiresAt;
  await deps.store.expire(tenantId, hash, until, record.keyId);
  return { created, old: keyView({ ...record, expiresAt: until }, now) };
}

/**
 * API keys: the write keys event producers send (as Segment, RudderStack and PostHog SDKs
 * do), either as `Authorization: Bearer <key>` or as the user name of HTTP Basic auth.
 *
 *   efk_<key id>_<secret>
 *   efk_k7d2mq4xa3bfp6ne_Yq3...43 characters of base64url
 *
 * - `efk_` marks the string as an EventFlow key (secret scanners can look for it);
 * - the key id (16 characters of a-z 2-7, 80 random bits) names the key in lists, logs
 *   and `revoke`: `efk_<key id>` is the key's public prefix;
 * - the secret is 256 random bits.
 *
 * Only the SHA-256 of the whole key is stored. A fast hash is the right one here: the key
 * is 336 random bits, not a password a person chose, so there is no dictionary to guess
 * from and a slow KDF (bcrypt, scrypt) would only add latency to every authorizer call.
 * The lookup is by hash, so no secret is compared in code (no timing side channel).
 */
import { createHash, randomBytes } from "node:crypto";
import { CANARY } from "../../lib/contracts/canary.js";
import { SCOPES, type Scope } from "../../lib/contracts/functions.js";
import { base32 } from "./base32.js";
import { TENANT_ID_PATTERN } from "./event.js";

export { SCOPES, type Scope };

export const KEY_PREFIX = "efk_";
const KEY_PATTERN = /^efk_([a-z2-7]{16})_([A-Za-z0-9_-]{43})$/;
const KEY_ID_PATTERN = /^[a-z2-7]{16}$/;

/** What a stored key says (never the key itself). */
export interface ApiKeyRecord {
  keyId: string;
  tenantId: string;
  scopes: Scope[];
  /** `revoked` is final; an active key may also have passed its expiresAt (rotation). */
  status: "active" | "revoked";
  createdAt: string;
  /** Set when the key was rotated: it stops working at this instant. */
  expiresAt?: string;
  revokedAt?: string;
  /** A label for people (`web shop`, `ci`), optional. */
  name?: string;
  /** The tenant's usage plan key (API Gateway API key value) the authorizer returns. */
  usageKey: string;
}

export type KeyState = "active" | "revoked" | "expired";

export function keyState(record: ApiKeyRecord, now: Date): KeyState {
  if (record.status === "revoked") return "revoked";
  if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now.getTime()) {
    return "expired";
  }
  return "active";
}

/** `efk_<key id>`: what lists and logs show of a key. */
export const keyPrefix = (keyId: string) => `${KEY_PREFIX}${keyId}`;

export const hashApiKey = (key: string) => createHash("sha256").update(key).digest("hex");

export interface GeneratedKey {
  key: string;
  keyId: string;
  hash: string;
}

/**
 * A new key. `canary`: a key of the synthetic canary, whose id begins with
 * CANARY.keyIdPrefix (the rest of the id stays random; the secret carries the strength).
 * No other key's id does: one that would (1 in 2^30) is drawn again.
 */
export function generateApiKey(
  random: (n: number) => Buffer = randomBytes,
  options: { canary?: boolean } = {},
): GeneratedKey {
  for (;;) {
    const drawn = base32(random(10));
    const keyId = options.canary
      ? `${CANARY.keyIdPrefix}${drawn.slice(CANARY.keyIdPrefix.length)}`
      : drawn;
    if (!options.canary && isCanaryKeyId(keyId)) continue;
    const key = `${KEY_PREFIX}${keyId}_${random(32).toString("base64url")}`;
    return { key, keyId, hash: hashApiKey(key) };
  }
}

/** A key id of the canary's keys (they are stored apart: see CANARY.keyIdPrefix). */
export const isCanaryKeyId = (keyId: string) => keyId.startsWith(CANARY.keyIdPrefix);

/**
 * What a canary key may be, whatever its stored item says: the canary's role can write
 * such items, so their tenant and scopes are not taken from them.
 */
export function asCanaryKey(record: ApiKeyRecord): ApiKeyRecord {
  return {
    ...record,
    tenantId: CANARY.tenantId,
    scopes: record.scopes.filter((s) => CANARY.scopes.includes(s)),
  };
}

/** The key id of a well-formed key, else undefined. */
export function parseApiKey(key: string): { keyId: string } | undefined {
  const m = KEY_PATTERN.exec(key);
  return m?.[1] ? { keyId: m[1] } : undefined;
}

/** A key id given as `efk_<id>`, as `<id>`, or as the whole key (its id is taken). */
export function keyIdOf(given: string): string | undefined {
  const value = given.trim();
  const whole = parseApiKey(value);
  if (whole) return whole.keyId;
  const id = value.startsWith(KEY_PREFIX) ? value.slice(KEY_PREFIX.length) : value;
  return KEY_ID_PATTERN.test(id) ? id : undefined;
}

/**
 * The key in an Authorization header: `Bearer <key>`, or `Basic base64(<key>:)` with the
 * key as the user name (the password, usually empty, is ignored). Anything else is
 * undefined; whether the key is well formed is parseApiKey's question.
 */
export function keyFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!m?.[1] || !m[2]) return undefined;
  const scheme = m[1].toLowerCase();
  if (scheme === "bearer") return m[2];
  if (scheme !== "basic") return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(m[2])) return undefined;
  const decoded = Buffer.from(m[2], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  return user || undefined;
}

export class InvalidScopesError extends Error {}

/** `events:write,events:read` or `events:write events:read`: known scopes, deduplicated. */
export function parseScopes(given: string | readonly string[]): Scope[] {
  const parts = (typeof given === "string" ? given.split(/[\s,]+/) : [...given])
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = parts.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new InvalidScopesError(
      `unknown scope(s) ${unknown.join(", ")}; known scopes: ${SCOPES.join(", ")}`,
    );
  }
  if (parts.length === 0) {
    throw new InvalidScopesError(`a key needs at least one scope: ${SCOPES.join(", ")}`);
  }
  // In SCOPES order, so the same set always reads the same.
  return SCOPES.filter((s) => parts.includes(s));
}

export const isTenantId = (value: string) => TENANT_ID_PATTERN.test(value);

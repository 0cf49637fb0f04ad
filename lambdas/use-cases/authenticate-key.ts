/**
 * Who is calling: the API key in the Authorization header, looked up by its hash. The
 * authorizer turns the answer into API Gateway's (lambdas/handlers/authorizer.ts).
 * Every way to fail is one answer to the caller (401), told apart only in the log.
 */
import {
  type ApiKeyRecord,
  asCanaryKey,
  hashApiKey,
  isCanaryKeyId,
  keyFromAuthorization,
  keyState,
  parseApiKey,
} from "../domain/api-keys.js";
import type { KeyLookup } from "../ports/api-keys.js";

export type Authentication =
  | { kind: "authenticated"; key: ApiKeyRecord }
  | {
      kind: "unauthenticated";
      reason: "missing" | "malformed" | "unknown" | "revoked" | "expired";
      /** The key's id when it was well formed (never the secret). */
      keyId?: string;
    };

export async function authenticateKey(
  authorization: string | undefined,
  deps: { keys: KeyLookup; now: () => Date },
): Promise<Authentication> {
  if (!authorization?.trim()) return { kind: "unauthenticated", reason: "missing" };
  const key = keyFromAuthorization(authorization);
  const parsed = key === undefined ? undefined : parseApiKey(key);
  if (key === undefined || !parsed) return { kind: "unauthenticated", reason: "malformed" };
  const { keyId } = parsed;
  const record = await deps.keys.findByHash(hashApiKey(key), keyId);
  // A hash collision cannot happen in practice; a stored id that differs is a corrupt item.
  if (!record || record.keyId !== keyId)
    return { kind: "unauthenticated", reason: "unknown", keyId };
  const state = keyState(record, deps.now());
  if (state !== "active") return { kind: "unauthenticated", reason: state, keyId };
  // A canary key's item is the canary's to write: its tenant and scopes are fixed here.
  return { kind: "authenticated", key: isCanaryKeyId(keyId) ? asCanaryKey(record) : record };
}

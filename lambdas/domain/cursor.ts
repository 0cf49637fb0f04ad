/**
 * Page cursors: opaque to clients, checked strictly by us.
 *
 *   <base64url(JSON {v:1, q:<query fingerprint>, p:[<lane position>...]})>.<tag>
 *
 * - `p` holds one position per lane (one lane per index partition a list reads:
 *   failedShards for failed, typeShards for byType, timeShards for byTime): 0 = not started,
 *   1 = exhausted, or the sort key of the last item returned from that lane. With 32 lanes and 128-character
 *   ids a cursor reaches about 6.7 KB: MAX_CURSOR_LENGTH allows 8 KB.
 * - `q` fingerprints the query (tenant, index, filters, range): a cursor replayed with
 *   other filters, or by another tenant, is refused instead of paging the wrong set.
 * - `tag` is an HMAC-SHA256 over the payload with the deployment's own key (a Secrets
 *   Manager secret generated at deploy; locally a key in the data folder), so a cursor
 *   cannot be forged or edited, nor carried to another deployment. Behind it, the adapter
 *   still rebuilds every partition key from the caller's tenant and filters and checks
 *   each position lies in the range: a cursor can never reach another tenant's items.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import * as z from "zod";

export class InvalidCursorError extends Error {
  override name = "InvalidCursorError";
}

export type LanePosition = { kind: "start" } | { kind: "after"; key: string } | { kind: "done" };

export const MAX_CURSOR_LENGTH = 8192;
/** A key shorter than this is refused (the stack generates 64 characters). */
const MIN_KEY_LENGTH = 32;

const payloadSchema = z
  .object({
    v: z.literal(1),
    q: z.string(),
    p: z.array(z.union([z.literal(0), z.literal(1), z.string().min(1).max(400)])).max(64),
  })
  .strict();

const fingerprint = (scope: string) =>
  createHash("sha256").update(scope).digest("base64url").slice(0, 22);

function tagOf(payload: string, key: string): string {
  if (key.length < MIN_KEY_LENGTH) {
    throw new Error(`the cursor key must be at least ${MIN_KEY_LENGTH} characters`);
  }
  return createHmac("sha256", key).update(payload).digest("base64url").slice(0, 22);
}

export function encodeCursor(scope: string, lanes: LanePosition[], key: string): string {
  const p = lanes.map((l) => (l.kind === "start" ? 0 : l.kind === "done" ? 1 : l.key));
  const payload = Buffer.from(JSON.stringify({ v: 1, q: fingerprint(scope), p })).toString(
    "base64url",
  );
  return `${payload}.${tagOf(payload, key)}`;
}

/** Throws InvalidCursorError unless the cursor is intact, ours, and made for this query. */
export function decodeCursor(
  cursor: string,
  scope: string,
  laneCount: number,
  key: string,
): LanePosition[] {
  if (cursor.length > MAX_CURSOR_LENGTH) throw new InvalidCursorError("cursor is too long");
  const [payload, tag, ...rest] = cursor.split(".");
  if (!payload || !tag || rest.length > 0) throw new InvalidCursorError("cursor is malformed");
  const expected = Buffer.from(tagOf(payload, key));
  const given = Buffer.from(tag);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidCursorError("cursor is corrupted");
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError("cursor is malformed");
  }
  const parsed = payloadSchema.safeParse(decoded);
  if (!parsed.success || parsed.data.p.length !== laneCount) {
    throw new InvalidCursorError("cursor is malformed");
  }
  if (parsed.data.q !== fingerprint(scope)) {
    throw new InvalidCursorError("cursor belongs to a different query");
  }
  return parsed.data.p.map((p): LanePosition => {
    if (p === 0) return { kind: "start" };
    if (p === 1) return { kind: "done" };
    return { kind: "after", key: p };
  });
}

/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then randomness. Ids sort by creation
 * time, which keeps them friendly to index keys and logs. node:crypto is enough for
 * this; a dependency (`uuid`) would add nothing the 20 lines below do not.
 */
import { randomBytes } from "node:crypto";

let lastMs = -1;
let counter = 0;

/**
 * Ids made in the same millisecond by this process still sort in creation order: the
 * 12 `rand_a` bits hold a counter seeded at random each millisecond (RFC 9562 §6.2,
 * method 1). On the rare counter overflow the timestamp moves on by one millisecond.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const bytes = randomBytes(16);
  if (nowMs > lastMs) {
    lastMs = nowMs;
    // Seed in the lower half so thousands of ids fit before an overflow.
    counter = bytes.readUInt16BE(6) & 0x7ff;
  } else if (++counter > 0xfff) {
    lastMs += 1;
    counter = 0;
  }
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const UUID_V7_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

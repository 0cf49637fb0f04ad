/**
 * UUIDv7 (RFC 9562) with the Web Crypto API, which Node 20+, browsers and Lambda all have:
 * 48-bit Unix milliseconds, 4 version bits, 12 bits of a per-millisecond counter (so ids
 * made in the same millisecond still sort in creation order, §6.2 method 1), 2 variant
 * bits, 62 random bits. The same layout as the server's ids (lambdas/domain/ids.ts).
 */

let lastMs = -1;
let counter = 0;
const bytes = new Uint8Array(16);
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function uuidv7(nowMs: number = Date.now()): string {
  globalThis.crypto.getRandomValues(bytes);
  if (nowMs > lastMs) {
    lastMs = nowMs;
    // Seeded in the lower half, so thousands of ids fit in a millisecond before overflow.
    counter = ((bytes[6] ?? 0) << 8) & 0x700;
    counter |= bytes[7] ?? 0;
  } else if (++counter > 0xfff) {
    // Counter overflow: borrow the next millisecond (ids stay ordered and unique).
    lastMs += 1;
    counter = 0;
  }
  let ms = lastMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  let out = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += "-";
    out += HEX[bytes[i] ?? 0];
  }
  return out;
}

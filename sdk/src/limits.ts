/**
 * What the API accepts in one `POST /v1/events` (the README's "An event" and the server's
 * lambdas/domain/event.ts LIMITS; a unit test keeps the two equal). A batch the SDK builds
 * never exceeds them, and an event over maxEventBytes is rejected before it is sent.
 */
export const API_LIMITS = {
  /** Events in one request. */
  maxBatchEvents: 500,
  /** A whole request body, UTF-8 bytes. */
  maxBodyBytes: 1024 * 1024,
  /** One event serialized as JSON, UTF-8 bytes. */
  maxEventBytes: 64 * 1024,
} as const;

/** Node's native byte count where there is one (Node, Lambda); browsers count in JS. */
const nativeByteLength = (
  globalThis as { Buffer?: { byteLength(text: string, encoding: "utf8"): number } }
).Buffer?.byteLength;

/** The UTF-8 length of a string without encoding it (no allocation). */
export function utf8Length(text: string): number {
  return nativeByteLength ? nativeByteLength(text, "utf8") : utf8LengthJs(text);
}

export function utf8LengthJs(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      // A surrogate pair is 2 UTF-16 units and 4 UTF-8 bytes.
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2;
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

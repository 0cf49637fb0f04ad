/**
 * The content digest of an event: sha256 of the canonical JSON (object keys sorted at
 * every level) of the fields a client controls. Two deliveries of one id with the same
 * digest are a plain duplicate; different digests are a conflict (same id, other data).
 */
import { createHash } from "node:crypto";
import type { AcceptedEvent } from "./event.js";

export type DigestInput = Pick<
  AcceptedEvent,
  "type" | "source" | "subject" | "time" | "data" | "cloudEvent"
>;

/** JSON with sorted keys; undefined members are dropped, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
  return `{${entries.join(",")}}`;
}

export function eventDigest(event: DigestInput): string {
  // cloudEvent is undefined for native events, which keeps their digests as they were.
  const { type, source, subject, time, data, cloudEvent } = event;
  return createHash("sha256")
    .update(canonicalJson({ type, source, subject, time, data, cloudEvent }))
    .digest("hex");
}

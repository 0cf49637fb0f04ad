/**
 * One native event (a body, or an element of {"events": [...]}): size, then structure
 * (reserved keys, numbers, depth), then the schema. CloudEvents have their own check
 * (domain/cloudevents.ts) with the same result shape.
 */
import type { CloudEventMeta, IncomingEvent } from "./event.js";
import { incomingEventSchema, LIMITS } from "./event.js";
import {
  type FieldError,
  inspect,
  isPlainObject,
  joinPath,
  limitErrors,
  RESERVED_KEYS,
} from "./json.js";

/** A valid event before its id is settled (a CloudEvent's is derived already). */
export type CheckedEvent = IncomingEvent & { cloudEvent?: CloudEventMeta };

export type Checked =
  | { ok: true; event: CheckedEvent }
  | { ok: false; errors: FieldError[]; tooLarge: boolean };

/** `prefix` is where the event sits in the body: "" or "events[3]". */
export function checkEvent(raw: unknown, prefix: string): Checked {
  const size = Buffer.byteLength(JSON.stringify(raw) ?? "");
  if (size > LIMITS.maxEventBytes) {
    const message = `Event is ${size} bytes serialized; the limit is ${LIMITS.maxEventBytes}`;
    return { ok: false, tooLarge: true, errors: [{ path: prefix, message }] };
  }
  if (!isPlainObject(raw)) {
    return {
      ok: false,
      tooLarge: false,
      errors: [{ path: prefix, message: "must be a JSON object" }],
    };
  }
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const path = joinPath(prefix, key);
    if (RESERVED_KEYS.has(key)) {
      errors.push({ path, message: "is a reserved key name" });
      continue;
    }
    const found = inspect(value, path, LIMITS.maxDataDepth);
    errors.push(...found.errors);
    if (found.tooDeep) {
      errors.push({ path, message: `is nested deeper than ${LIMITS.maxDataDepth} levels` });
    }
  }
  const parsed = incomingEventSchema.safeParse(raw);
  if (parsed.success && errors.length === 0) return { ok: true, event: parsed.data };
  const seen = new Set(errors.map((e) => e.path));
  for (const issue of parsed.error?.issues ?? []) {
    const at = issue.path.reduce<string>(
      (p, s) => joinPath(p, typeof s === "number" ? s : String(s)),
      prefix,
    );
    const found =
      issue.code === "unrecognized_keys"
        ? issue.keys.map((k) => ({ path: joinPath(at, k), message: "is not a known field" }))
        : [{ path: at, message: issue.message }];
    for (const e of found) {
      if (!seen.has(e.path)) errors.push(e);
      seen.add(e.path);
    }
  }
  return { ok: false, tooLarge: false, errors: limitErrors(errors, prefix) };
}

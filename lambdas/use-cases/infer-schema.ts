/**
 * GET /v1/schemas/{type}/inferred: a schema proposed from the type's most recent stored
 * events (at most INFER_SAMPLE events, newest first), for `data` and, when every sampled
 * event has one, `subject` and `source`. The proposal is checked to validate every
 * sampled event before it is returned, so registering it as-is accepts them all.
 */
import type { StoredEvent } from "../domain/event.js";
import { inferSchema } from "../domain/schema-infer.js";
import {
  loadSchemaValidator,
  type SchemaValidatorModule,
} from "../domain/schema-validator-loader.js";
import type { SchemaDocument } from "../domain/schemas.js";
import type { EventReader } from "../ports/event-store.js";

/** Events read to infer from; reading is bounded by the reader's own per-request bound too. */
export const INFER_SAMPLE = 500;
const PAGE = 100;

export interface InferredSchema {
  type: string;
  /** Events the proposal was inferred from. */
  sampled: number;
  /** Their receivedAt range. */
  from?: string;
  to?: string;
  /** JSON Schema 2020-12 of `data`: PUT /v1/schemas/{type} takes `{"schema": ...}`. */
  schema: Record<string, unknown>;
  subject?: Record<string, unknown>;
  source?: Record<string, unknown>;
}

export async function inferFromEvents(
  tenantId: string,
  type: string,
  reader: EventReader,
): Promise<InferredSchema> {
  const events: StoredEvent[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < INFER_SAMPLE / PAGE; page++) {
    const got = await reader.list({ tenantId, type, limit: PAGE, ...(cursor ? { cursor } : {}) });
    events.push(...got.items);
    cursor = got.nextCursor;
    if (!cursor) break;
  }
  return inferFrom(type, events, await loadSchemaValidator());
}

export function inferFrom(
  type: string,
  events: readonly StoredEvent[],
  { compileSchemaDocument, hasFormat }: SchemaValidatorModule,
): InferredSchema {
  const doc: SchemaDocument = {
    data: inferSchema(
      events.map((e) => e.data),
      hasFormat,
    ),
  };
  const allHave = (field: "subject" | "source") =>
    events.length > 0 && events.every((e) => typeof e[field] === "string");
  if (allHave("subject"))
    doc.subject = inferSchema(
      events.map((e) => e.subject),
      hasFormat,
    );
  if (allHave("source"))
    doc.source = inferSchema(
      events.map((e) => e.source),
      hasFormat,
    );
  // The proposal must accept what it came from; if inference ever got that wrong, an
  // unconstrained schema is the honest answer rather than one that refuses known events.
  const validate = compileSchemaDocument(doc);
  const rejects = events.some((e) => validate(e).length > 0);
  const times = events.map((e) => e.receivedAt).sort();
  return {
    type,
    sampled: events.length,
    ...(times.length > 0 ? { from: times[0], to: times[times.length - 1] } : {}),
    schema: rejects ? { type: "object" } : (doc.data as Record<string, unknown>),
    ...(!rejects && doc.subject ? { subject: doc.subject as Record<string, unknown> } : {}),
    ...(!rejects && doc.source ? { source: doc.source as Record<string, unknown> } : {}),
  };
}

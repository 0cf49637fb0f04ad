/**
 * GET /v1/openapi.json?include=schemas: the OpenAPI document with the caller's registered
 * event types. Each type's latest `data` schema becomes a component (`EventData_<type>`,
 * its local `$ref`s rewritten to point inside it), `TenantEvent` is the union of the
 * tenant's events (`type` const + `data`), and `x-eventflow-event-types` maps each type to
 * its component and version, so a client generator types events per tenant.
 */
import type { JsonSchema as DocumentSchema, OpenApiDocument } from "./openapi-document.js";

export interface TenantType {
  type: string;
  version: number;
  schema: unknown;
}

/** A component name from a type: characters OpenAPI allows in component keys only. */
export const componentName = (type: string) => `EventData_${type.replace(/[^A-Za-z0-9._-]/g, "_")}`;

/** `#/...` inside a schema -> `#/components/schemas/<name>/...`, everywhere in it. */
function rebase(node: unknown, base: string): unknown {
  if (Array.isArray(node)) return node.map((n) => rebase(n, base));
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (
      (key === "$ref" || key === "$dynamicRef") &&
      typeof value === "string" &&
      value.startsWith("#")
    ) {
      out[key] = `${base}${value.slice(1)}`;
    } else if (key === "$schema" || key === "$id") {
      // The document's dialect applies; an $id would move the base of the rewritten refs.
    } else out[key] = rebase(value, base);
  }
  return out;
}

export function withTenantTypes(
  doc: OpenApiDocument,
  types: readonly TenantType[],
): OpenApiDocument {
  const schemas: Record<string, DocumentSchema> = { ...doc.components.schemas };
  const map: Record<string, { version: number; schema: { $ref: string } }> = {};
  const used = new Set(Object.keys(schemas));
  const variants: DocumentSchema[] = [];
  for (const t of [...types].sort((a, b) => a.type.localeCompare(b.type))) {
    let name = componentName(t.type);
    for (let n = 2; used.has(name); n++) name = `${componentName(t.type)}_${n}`;
    used.add(name);
    const ref = `#/components/schemas/${name}`;
    const rebased = rebase(t.schema, ref);
    schemas[name] = (
      typeof rebased === "boolean" ? (rebased ? {} : { not: {} }) : rebased
    ) as DocumentSchema;
    map[t.type] = { version: t.version, schema: { $ref: ref } };
    variants.push({
      type: "object",
      required: ["type", "data"],
      properties: { type: { const: t.type }, data: { $ref: ref } },
    });
  }
  schemas.TenantEvent = {
    description: "An event of one of this tenant's registered types (latest versions)",
    ...(variants.length > 0 ? { oneOf: variants } : { not: {} }),
  };
  return {
    ...doc,
    components: { ...doc.components, schemas },
    "x-eventflow-event-types": map,
  } as OpenApiDocument;
}

/**
 * Inferring a JSON Schema 2020-12 from sample values (GET /v1/schemas/{type}/inferred):
 * types (a union when samples disagree, `integer` when every number is whole), which
 * properties every sample has (required), enums for low-cardinality strings, and formats
 * (date-time, date, email, uuid, uri) when every sample has one. The result validates every
 * sample it came from (a test checks that); it is a proposal to edit, not a contract.
 */
import { RESERVED_KEYS } from "./json.js";
import type { JsonSchema } from "./schemas.js";
import { JSON_SCHEMA_2020_12, type SUPPORTED_FORMATS } from "./schemas.js";

/**
 * Whether a string has a format, by the check validation runs (schema-validator.ts
 * `hasFormat`); passed in, so this module does not import the validator (which functions
 * load lazily: schema-validator-loader.ts).
 */
export type FormatCheck = (name: (typeof SUPPORTED_FORMATS)[number], value: string) => boolean;

export const INFER_LIMITS = {
  /** A string property becomes an enum when it has at most this many distinct values... */
  maxEnumValues: 10,
  /** ...seen in at least this many samples (fewer says little about the value space). */
  minSamplesForEnum: 5,
  /** Nesting followed; deeper values are left unconstrained. */
  maxDepth: 12,
  /** Distinct property names per object followed (beyond: additionalProperties only). */
  maxProperties: 200,
} as const;

/** Formats proposed, most specific first; each checked as validation checks it. */
const FORMATS = ["date-time", "date", "uuid", "email", "uri"] as const;

type JsonType = "null" | "boolean" | "integer" | "number" | "string" | "array" | "object";

const typeOf = (v: unknown): JsonType => {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "string") return "string";
  return "object";
};

/** The schema of `samples` (each one value); `{}` when there are none. */
export function inferSchema(
  samples: readonly unknown[],
  hasFormat: FormatCheck,
): Record<string, unknown> {
  return { $schema: JSON_SCHEMA_2020_12, ...infer(samples, 0, hasFormat) };
}

function infer(
  samples: readonly unknown[],
  depth: number,
  hasFormat: FormatCheck,
): Record<string, unknown> {
  if (samples.length === 0 || depth > INFER_LIMITS.maxDepth) return {};
  const byType = new Map<JsonType, unknown[]>();
  // Whole and fractional numbers together are `number`, not a union of both.
  const fractional = samples.some((x) => typeOf(x) === "number");
  for (const s of samples) {
    let t = typeOf(s);
    if (t === "integer" && fractional) t = "number";
    const list = byType.get(t) ?? [];
    list.push(s);
    byType.set(t, list);
  }
  const branches = [...byType.entries()].map(([t, values]) => branch(t, values, depth, hasFormat));
  if (branches.length === 1) return branches[0] as Record<string, unknown>;
  // Every branch that constrains nothing but its type folds into one `type` list.
  const plain = branches.filter((b) => Object.keys(b).length === 1);
  if (plain.length === branches.length) return { type: branches.map((b) => b.type) };
  return { anyOf: branches };
}

function branch(
  type: JsonType,
  values: unknown[],
  depth: number,
  hasFormat: FormatCheck,
): Record<string, unknown> {
  switch (type) {
    case "string":
      return stringSchema(values as string[], hasFormat);
    case "array":
      return { type, items: infer((values as unknown[][]).flat(), depth + 1, hasFormat) };
    case "object":
      return objectSchema(values as Record<string, unknown>[], depth, hasFormat);
    default:
      return { type };
  }
}

function stringSchema(values: string[], hasFormat: FormatCheck): Record<string, unknown> {
  for (const format of FORMATS) {
    if (values.every((v) => v.length <= 2048 && hasFormat(format, v))) {
      return { type: "string", format };
    }
  }
  const distinct = [...new Set(values)];
  // One value seen is not yet a set of values: no single-valued enum.
  if (
    values.length >= INFER_LIMITS.minSamplesForEnum &&
    distinct.length >= 2 &&
    distinct.length <= INFER_LIMITS.maxEnumValues &&
    distinct.length < values.length
  ) {
    return { type: "string", enum: distinct.sort() };
  }
  return { type: "string" };
}

function objectSchema(
  values: Record<string, unknown>[],
  depth: number,
  hasFormat: FormatCheck,
): Record<string, unknown> {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const v of values) {
    for (const k of Object.keys(v)) {
      // Reserved names (__proto__, constructor, prototype) never reach a stored event (ingest
      // refuses them) and a schema may not name them: a proposal leaves them out.
      if (RESERVED_KEYS.has(k)) continue;
      if (!seen.has(k) && names.length < INFER_LIMITS.maxProperties) {
        seen.add(k);
        names.push(k);
      }
    }
  }
  // fromEntries defines own properties: a field named "__proto__" (JSON.parse makes it an
  // own key of the data) stays a property instead of setting the schema object's prototype.
  const properties: Record<string, JsonSchema> = Object.fromEntries(
    names.map((name) => [
      name,
      infer(
        values.filter((v) => Object.hasOwn(v, name)).map((v) => v[name]),
        depth + 1,
        hasFormat,
      ),
    ]),
  );
  const required = names.filter((n) => values.every((v) => Object.hasOwn(v, n)));
  return {
    type: "object",
    properties,
    ...(required.length > 0 ? { required } : {}),
  };
}

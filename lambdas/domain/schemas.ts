/**
 * The schema registry's model: what a tenant registers for an event type (JSON Schema
 * 2020-12 for `data`, optionally for `subject` and `source`), its numbered immutable
 * versions, the type's settings (compatibility mode, enforcement), and the checks every
 * schema passes before it is stored or compiled. Schemas are untrusted input: bounded in
 * size and depth, no `$ref` outside the document (nothing is ever fetched), only the
 * formats EventFlow checks in linear time, and `uniqueItems` only with a small `maxItems`
 * (its check is quadratic in the array's length).
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import { canonicalJson } from "./digest.js";
import { EVENT_TYPE_PATTERN } from "./event.js";
import { type FieldError, RESERVED_KEYS } from "./json.js";

export const COMPATIBILITY_MODES = [
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FORWARD",
  "FORWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
  "NONE",
] as const;
export type CompatibilityMode = (typeof COMPATIBILITY_MODES)[number];

export const ENFORCEMENT_MODES = ["enforce", "quarantine", "off"] as const;
export type EnforcementMode = (typeof ENFORCEMENT_MODES)[number];

/** What happens to an event whose type has no schema (per tenant). */
export const UNREGISTERED_POLICIES = ["allow", "reject"] as const;
export type UnregisteredPolicy = (typeof UNREGISTERED_POLICIES)[number];

export const DEFAULT_COMPATIBILITY: CompatibilityMode = "BACKWARD";
export const DEFAULT_ENFORCEMENT: EnforcementMode = "enforce";
export const DEFAULT_UNREGISTERED: UnregisteredPolicy = "allow";

/** The event fields a schema can constrain. */
export const SCHEMA_TARGETS = ["data", "subject", "source"] as const;
export type SchemaTarget = (typeof SCHEMA_TARGETS)[number];

export const SCHEMA_LIMITS = {
  /** One target's schema, serialized. */
  maxSchemaBytes: 64 * 1024,
  /** Nesting of a schema document (objects and arrays). */
  maxSchemaDepth: 32,
  /** `uniqueItems: true` needs `maxItems` at most this (its check is quadratic). */
  maxUniqueItems: 256,
  /** A `pattern` or `patternProperties` key, in characters. */
  maxPatternChars: 1024,
} as const;

export const JSON_SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema";

/** Formats checked at ingest, each in time linear in the string (schema-validator.ts). */
export const SUPPORTED_FORMATS = [
  "date",
  "time",
  "date-time",
  "email",
  "hostname",
  "ipv4",
  "ipv6",
  "uri",
  "uri-reference",
  "uuid",
] as const;

export type JsonSchema = Record<string, unknown> | boolean;

/** What one version holds: a schema for `data`, and optionally for subject and source. */
export interface SchemaDocument {
  data: JsonSchema;
  subject?: JsonSchema;
  source?: JsonSchema;
}

export interface SchemaVersion {
  type: string;
  version: number;
  schema: SchemaDocument;
  /** sha256 of the canonical JSON of the document: "identical to the latest" is this. */
  fingerprint: string;
  registeredAt: string;
}

/** A type's settings and where its versions are. */
export interface SchemaSubject {
  type: string;
  latestVersion: number;
  compatibility: CompatibilityMode;
  enforcement: EnforcementMode;
  createdAt: string;
  updatedAt: string;
  /** Soft delete: no more enforcement; versions stay (stored events keep naming them). */
  deletedAt?: string;
}

export interface TenantSchemaSettings {
  unregistered: UnregisteredPolicy;
}

export const eventTypeParam = z
  .string()
  .regex(EVENT_TYPE_PATTERN, "must be 1-128 characters of A-Z a-z 0-9 . _ : / -");

const jsonSchema = z.union([z.boolean(), z.record(z.string(), z.unknown())], {
  error: "must be a JSON Schema (an object or a boolean)",
});

/** The body of PUT /v1/schemas/{type} (and of the check route's `schema`). */
export const registerBodySchema = z
  .object({
    schema: jsonSchema.meta({ description: "JSON Schema 2020-12 of the event's `data`" }),
    subject: jsonSchema.optional().meta({ description: "JSON Schema of `subject` (a string)" }),
    source: jsonSchema.optional().meta({ description: "JSON Schema of `source` (a string)" }),
    compatibility: z.enum(COMPATIBILITY_MODES).optional().meta({
      description: "The type's compatibility mode (default BACKWARD; kept when absent)",
    }),
    enforcement: z.enum(ENFORCEMENT_MODES).optional().meta({
      description: "What ingest does with a violation (default enforce; kept when absent)",
    }),
  })
  .strict();
export type RegisterBody = z.output<typeof registerBodySchema>;

export const tenantSettingsBodySchema = z
  .object({
    unregistered: z.enum(UNREGISTERED_POLICIES).meta({
      description: "Events of a type without a schema: `allow` (default) or `reject` (400)",
    }),
  })
  .strict();

export const documentOf = (body: Pick<RegisterBody, "schema" | "subject" | "source">) => {
  const doc: SchemaDocument = { data: body.schema };
  if (body.subject !== undefined) doc.subject = body.subject;
  if (body.source !== undefined) doc.source = body.source;
  return doc;
};

export const fingerprintOf = (doc: SchemaDocument): string =>
  createHash("sha256").update(canonicalJson(doc)).digest("hex");

/** RFC 6901: `~` and `/` escaped in a pointer segment. */
export const pointerSegment = (segment: string | number): string =>
  String(segment).replaceAll("~", "~0").replaceAll("/", "~1");

const REF_KEYWORDS = new Set(["$ref", "$dynamicRef", "$recursiveRef"]);

/**
 * Problems that make a schema unacceptable before it is compiled: size, depth, references
 * outside the document, `$schema` other than 2020-12, unsupported formats, unbounded
 * `uniqueItems`, over-long patterns. The paths are JSON pointers into the request body.
 */
export function schemaProblems(doc: SchemaDocument): FieldError[] {
  const problems: FieldError[] = [];
  for (const target of SCHEMA_TARGETS) {
    const schema = doc[target];
    if (schema === undefined) continue;
    const at = target === "data" ? "/schema" : `/${target}`;
    const size = Buffer.byteLength(JSON.stringify(schema));
    if (size > SCHEMA_LIMITS.maxSchemaBytes) {
      problems.push({
        path: at,
        message: `is ${size} bytes serialized; the limit is ${SCHEMA_LIMITS.maxSchemaBytes}`,
      });
      continue;
    }
    if (typeof schema === "object" && schema.$schema !== undefined) {
      if (schema.$schema !== JSON_SCHEMA_2020_12) {
        problems.push({ path: `${at}/$schema`, message: `must be ${JSON_SCHEMA_2020_12}` });
      }
    }
    walk(schema, at, 0, problems);
  }
  return problems;
}

function walk(node: unknown, at: string, depth: number, problems: FieldError[]): void {
  if (problems.length > 20) return;
  if (depth > SCHEMA_LIMITS.maxSchemaDepth) {
    problems.push({
      path: at,
      message: `is nested deeper than ${SCHEMA_LIMITS.maxSchemaDepth} levels`,
    });
    return;
  }
  if (Array.isArray(node)) {
    node.forEach((item, i) => {
      walk(item, `${at}/${i}`, depth + 1, problems);
    });
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    const path = `${at}/${pointerSegment(key)}`;
    if (RESERVED_KEYS.has(key)) {
      problems.push({ path, message: "is a reserved key name (events may not carry it either)" });
      continue;
    }
    if (REF_KEYWORDS.has(key) && typeof value === "string" && !value.startsWith("#")) {
      problems.push({
        path,
        message: "may only refer inside the schema (`#...`): EventFlow never fetches a schema",
      });
    }
    if (key === "$id" && typeof value === "string" && depth > 0) {
      problems.push({ path, message: "is only allowed at the schema's root" });
    }
    if (key === "format" && typeof value === "string") {
      if (!(SUPPORTED_FORMATS as readonly string[]).includes(value)) {
        problems.push({
          path,
          message: `"${value.slice(0, 64)}" is not a supported format (${SUPPORTED_FORMATS.join(", ")})`,
        });
      }
    }
    if (key === "pattern" && typeof value === "string") {
      if (value.length > SCHEMA_LIMITS.maxPatternChars) {
        problems.push({
          path,
          message: `is longer than ${SCHEMA_LIMITS.maxPatternChars} characters`,
        });
      }
    }
    if (key === "uniqueItems" && value === true) {
      const max = record.maxItems;
      if (typeof max !== "number" || max > SCHEMA_LIMITS.maxUniqueItems) {
        problems.push({
          path,
          message: `needs maxItems of at most ${SCHEMA_LIMITS.maxUniqueItems} beside it (checking uniqueness is quadratic)`,
        });
      }
    }
    // Values of `properties`, `$defs` etc. are schemas keyed by name; `enum`/`const`
    // values are data: both are walked for depth, but data cannot contain keywords that
    // matter (a `$ref` string inside an enum is a value).
    if (key === "enum" || key === "const" || key === "default" || key === "examples") {
      walkDepthOnly(value, path, depth + 1, problems);
      continue;
    }
    walk(value, path, depth + 1, problems);
  }
}

function walkDepthOnly(node: unknown, at: string, depth: number, problems: FieldError[]): void {
  if (depth > SCHEMA_LIMITS.maxSchemaDepth) {
    problems.push({ path: at, message: `is nested deeper than ${SCHEMA_LIMITS.maxSchemaDepth}` });
    return;
  }
  if (typeof node !== "object" || node === null) return;
  for (const value of Object.values(node)) walkDepthOnly(value, at, depth + 1, problems);
}

/**
 * A CloudEvent's `dataschema` pins a version when it names one of this registry's
 * versions: any URI whose path ends in `/schemas/<type>/versions/<n>` (the API's own
 * URL, or `eventflow:/schemas/<type>/versions/<n>`). Any other URI is the producer's own
 * business and pins nothing.
 */
export function pinnedVersion(
  dataschema: string | undefined,
  type: string,
): { pinned: number } | { mismatch: string } | undefined {
  if (dataschema === undefined) return undefined;
  const match = /\/schemas\/([^/?#]{1,256})\/versions\/([0-9]{1,9})(?:[?#].*)?$/.exec(dataschema);
  if (!match) return undefined;
  let named: string;
  try {
    named = decodeURIComponent(match[1] ?? "");
  } catch {
    return { mismatch: "dataschema names a type that is not percent-encoded correctly" };
  }
  if (named !== type) {
    return { mismatch: `dataschema names a version of "${named}", not of this event's type` };
  }
  const version = Number(match[2]);
  if (version < 1) return { mismatch: "dataschema names version 0; versions start at 1" };
  return { pinned: version };
}

/** The `dataschema` URI of a version (what GET answers carry, and producers can send). */
export const dataschemaUri = (type: string, version: number): string =>
  `eventflow:/schemas/${encodeURIComponent(type)}/versions/${version}`;

/**
 * Compiling a registered schema into a validator, once per version (ajv, JSON Schema
 * 2020-12). Every user regular expression (`pattern`, `patternProperties`, and the
 * formats) runs on re2js, a linear-time engine: a pattern cannot make validation
 * backtrack, whatever the string. A pattern RE2 cannot express (lookarounds,
 * backreferences) is refused when the schema is registered. No `$ref` is ever fetched
 * (ajv gets no loadSchema, and schemas.ts refuses non-local references first).
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { fastFormats } from "ajv-formats/dist/formats.js";
import { RE2JS } from "re2js";
import type { AcceptedEvent } from "./event.js";
import { type FieldError, joinPath, limitErrors } from "./json.js";
import {
  type JsonSchema,
  pointerSegment,
  SCHEMA_TARGETS,
  type SchemaDocument,
  type SchemaTarget,
  SUPPORTED_FORMATS,
  schemaProblems,
} from "./schemas.js";

/** A problem tied to a field of the event: `path` as other errors, `pointer` RFC 6901. */
export interface SchemaFieldError extends FieldError {
  /** JSON pointer into the event (`/data/amount`). */
  pointer: string;
  /** The JSON Schema keyword that failed (`type`, `required`, `maximum`...). */
  keyword: string;
}

export type EventValidator = (
  event: Pick<AcceptedEvent, "data" | "subject" | "source">,
) => SchemaFieldError[];

export class SchemaCompileError extends Error {
  override name = "SchemaCompileError";
  constructor(readonly problems: FieldError[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join("; "));
  }
}

/**
 * ajv's RegExpEngine over RE2: flags other than `u` (always on) are not used by ajv. ajv
 * shares compiled patterns by their toString(): it must be the pattern itself, or every
 * pattern would share the first one compiled.
 */
const re2Engine = Object.assign(
  (pattern: string, _flags: string) => {
    const re = RE2JS.compile(pattern);
    return { test: (s: string) => re.matcher(s).find(), toString: () => `/${pattern}/re2` };
  },
  { code: "re2js" },
);

const re2Format = (source: string, caseInsensitive = false) => {
  const re = RE2JS.compile(source, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  return (s: string) => re.matcher(s).find();
};

/** ajv-formats' "fast" expressions, run on RE2; hostname rewritten without lookahead. */
function formats(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of SUPPORTED_FORMATS) {
    if (name === "hostname") {
      const label = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
      const test = re2Format(`^${label}(?:\\.${label})*\\.?$`, true);
      out[name] = (s: string) => s.length <= 253 && test(s);
      continue;
    }
    const def = (fastFormats as Record<string, unknown>)[name];
    const re =
      def instanceof RegExp
        ? def
        : typeof def === "object" && def !== null && (def as { validate?: unknown }).validate
          ? (def as { validate: unknown }).validate
          : undefined;
    if (!(re instanceof RegExp)) throw new Error(`format ${name} has no expression`);
    const test = re2Format(re.source, re.flags.includes("i"));
    const compare = (def as { compare?: unknown }).compare;
    out[name] = typeof compare === "function" ? { validate: test, compare } : test;
  }
  return out;
}

let formatTests: Record<string, unknown> | undefined;

/**
 * Whether `value` has a supported format, by the very check validation runs (inference
 * proposes a format only when every sample passes it).
 */
export function hasFormat(name: (typeof SUPPORTED_FORMATS)[number], value: string): boolean {
  formatTests ??= formats();
  const def = formatTests[name];
  const test =
    typeof def === "function" ? def : (def as { validate: (s: string) => boolean }).validate;
  return (test as (s: string) => boolean)(value);
}

let shared: Ajv2020 | undefined;

/**
 * One ajv per execution environment. Schemas are compiled without being added to it
 * (`addUsedSchema: false`), so versions of many tenants never share a `$id` namespace.
 */
function ajv(): Ajv2020 {
  if (shared) return shared;
  shared = new Ajv2020({
    allErrors: true,
    strict: false,
    // Unknown keywords are ignored (annotations, `x-*`), but an unknown format is refused.
    validateFormats: true,
    addUsedSchema: false,
    code: { regExp: re2Engine },
    formats: formats() as never,
  });
  return shared;
}

const compileTarget = (schema: JsonSchema, at: string): ValidateFunction => {
  try {
    return ajv().compile(schema);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SchemaCompileError([{ path: at, message: explain(message) }]);
  }
};

function explain(message: string): string {
  if (message.includes("error parsing regexp")) {
    return `has a pattern that is not RE2 syntax (no lookarounds or backreferences): ${message.slice(0, 200)}`;
  }
  return message.slice(0, 300);
}

/** Validates the document and compiles it; throws SchemaCompileError naming each problem. */
export function compileSchemaDocument(doc: SchemaDocument): EventValidator {
  const problems = schemaProblems(doc);
  if (problems.length > 0) throw new SchemaCompileError(problems);
  const meta = ajv().validateSchema(doc.data);
  const compiled: [SchemaTarget, ValidateFunction][] = [];
  if (!meta) {
    throw new SchemaCompileError(
      (ajv().errors ?? []).slice(0, 10).map((e) => ({
        path: `/schema${e.instancePath}`,
        message: `is not valid JSON Schema 2020-12: ${e.message ?? e.keyword}`,
      })),
    );
  }
  for (const target of SCHEMA_TARGETS) {
    const schema = doc[target];
    if (schema === undefined) continue;
    compiled.push([target, compileTarget(schema, target === "data" ? "/schema" : `/${target}`)]);
  }
  return (event) => {
    const errors: SchemaFieldError[] = [];
    for (const [target, validate] of compiled) {
      const value = event[target];
      // A subject/source schema makes the field required (an absent value is `undefined`,
      // which only a `true`/{} schema accepts).
      if (value === undefined && target !== "data") {
        if (!validate(undefined)) {
          errors.push({
            path: target,
            pointer: `/${target}`,
            keyword: "required",
            message: "is required by the type's schema",
          });
        }
        continue;
      }
      if (validate(value)) continue;
      for (const e of validate.errors ?? []) errors.push(fieldError(target, e));
    }
    return errors;
  };
}

function fieldError(target: SchemaTarget, e: ErrorObject): SchemaFieldError {
  const segments = e.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  // `required` names the missing property in params: point at it, not at its parent.
  const missing =
    e.keyword === "required"
      ? String((e.params as { missingProperty?: string }).missingProperty)
      : undefined;
  if (missing !== undefined) segments.push(missing);
  const pointer = `/${target}${segments.map((s) => `/${pointerSegment(s)}`).join("")}`;
  const path = segments.reduce<string>(
    (p, s) => joinPath(p, /^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s),
    target,
  );
  return {
    path,
    pointer,
    keyword: e.keyword,
    message: missing !== undefined ? "is required" : messageOf(e),
  };
}

/** ajv's message, with what it leaves out when that is short: the allowed values, the extra key. */
function messageOf(e: ErrorObject): string {
  const base = e.message ?? `fails ${e.keyword}`;
  const params = e.params as { allowedValues?: unknown[]; additionalProperty?: string };
  if (e.keyword === "enum" && Array.isArray(params.allowedValues)) {
    const listed = JSON.stringify(params.allowedValues);
    return listed.length <= 200 ? `${base}: ${listed}` : base;
  }
  if (e.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
    return `${base}: ${JSON.stringify(params.additionalProperty.slice(0, 100))}`;
  }
  return base;
}

/**
 * The errors of one event as an answer lists them: paths prefixed with where the event
 * sits in the body (`events[3]`), at most MAX_FIELD_ERRORS.
 */
export function prefixErrors(errors: readonly FieldError[], prefix: string): FieldError[] {
  if (prefix === "") return limitErrors(errors);
  return limitErrors(
    errors.map((e) => ({ ...e, path: `${prefix}.${e.path}` })),
    prefix,
  );
}

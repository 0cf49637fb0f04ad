/**
 * The schema registry's routes in the OpenAPI document (merged with openapi-operations.ts
 * by openapi-document.ts): prose, parameters, bodies and answers of /v1/schemas... and
 * /v1/schema-settings.
 */
import * as z from "zod";
import { incomingEventSchema } from "../domain/event.js";
import {
  COMPATIBILITY_MODES,
  ENFORCEMENT_MODES,
  eventTypeParam,
  registerBodySchema,
  SCHEMA_LIMITS,
  SUPPORTED_FORMATS,
  tenantSettingsBodySchema,
  UNREGISTERED_POLICIES,
} from "../domain/schemas.js";
import { error, type OperationSpec } from "./openapi-operations.js";
import { fieldErrorSchema } from "./openapi-schemas.js";

const jsonSchema = z
  .union([z.boolean(), z.record(z.string(), z.unknown())])
  .meta({ description: "A JSON Schema 2020-12 document" });

const versionFields = {
  type: z.string(),
  version: z.int().min(1),
  schema: jsonSchema.meta({ description: "The schema of the event's `data`" }),
  subject: jsonSchema.optional(),
  source: jsonSchema.optional(),
  fingerprint: z.string().meta({ description: "sha256 of the version's canonical JSON" }),
  registeredAt: z.string(),
};

export const schemaVersionSchema = z.object(versionFields);

export const schemaViewSchema = z.object({
  ...versionFields,
  compatibility: z.enum(COMPATIBILITY_MODES),
  enforcement: z.enum(ENFORCEMENT_MODES),
  createdAt: z.string(),
  updatedAt: z.string(),
  deletedAt: z.string().optional().meta({ description: "Set by DELETE (soft delete)" }),
});

export const tenantSchemaSettingsSchema = z.object({ unregistered: z.enum(UNREGISTERED_POLICIES) });

export const schemaListSchema = z.object({
  types: z.array(schemaViewSchema),
  settings: tenantSchemaSettingsSchema,
});

export const schemaCheckBodySchema = registerBodySchema.partial({ schema: true }).extend({
  event: incomingEventSchema
    .partial({ type: true })
    .optional()
    .meta({ description: "An event to validate (type optional: the path names it)" }),
});

export const schemaCheckAnswerSchema = z.object({
  schema: z
    .object({
      compatible: z.boolean(),
      mode: z.enum(COMPATIBILITY_MODES),
      against: z.array(z.int()).meta({ description: "The versions it was checked against" }),
      details: z.array(fieldErrorSchema),
    })
    .optional(),
  event: z
    .object({
      valid: z.boolean(),
      version: z
        .int()
        .optional()
        .meta({ description: "The registered version it was checked against" }),
      errors: z.array(fieldErrorSchema),
    })
    .optional(),
});

export const inferredSchemaSchema = z.object({
  type: z.string(),
  sampled: z.int(),
  from: z.string().optional(),
  to: z.string().optional(),
  schema: z.record(z.string(), z.unknown()),
  subject: z.record(z.string(), z.unknown()).optional(),
  source: z.record(z.string(), z.unknown()).optional(),
});

export const SCHEMA_REQUEST_SCHEMAS: [z.ZodType, string][] = [
  [registerBodySchema, "SchemaRegistration"],
];

export const SCHEMA_RESPONSE_SCHEMAS: [z.ZodType, string][] = [
  [schemaViewSchema, "Schema"],
  [schemaVersionSchema, "SchemaVersion"],
  [schemaListSchema, "SchemaList"],
  [schemaCheckAnswerSchema, "SchemaCheck"],
  [inferredSchemaSchema, "InferredSchema"],
  [tenantSchemaSettingsSchema, "SchemaSettings"],
];

export const SCHEMA_PATH_PARAMETERS: Record<string, { description: string; schema: z.ZodType }> = {
  type: {
    description:
      "The event type (as events carry it); a `/` in a type is sent percent-encoded (`%2F`)",
    schema: eventTypeParam,
  },
  version: {
    description: "A version number (1, 2, ...)",
    schema: z.string().regex(/^[1-9][0-9]{0,8}$/),
  },
};

const notFound = (what: string) => error(`${what} (or the type was deleted)`);

const REGISTER_DESCRIPTION = `Registers a new version of the type's schema: JSON Schema 2020-12 for the event's \`data\` (\`schema\`), and optionally for \`subject\` and \`source\`. Versions are numbered from 1 and never change.

- **201**: a new version. **200**: identical to the latest version (same canonical JSON): no new version; \`compatibility\` and \`enforcement\` given in the body are applied.
- **409** \`incompatible_schema\`: the schema breaks the type's compatibility mode (Confluent's meanings: BACKWARD, the default, checks that the new schema accepts what the latest accepted; FORWARD the reverse; FULL both; the _TRANSITIVE modes check every version, NONE nothing). \`details\` names every break: where in the schema (\`path\`, a JSON pointer into this body) and which rule (Confluent's difference names: \`REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL\`, \`MAXIMUM_DECREASED\`, ...).
- A new type starts in \`enforce\` (a violating event is refused with 400); \`quarantine\` accepts it and stores it failed (kind \`schema_violation\`, replayable once the schema is fixed); \`off\` checks nothing. Ingest sees a new version within \`schemaCacheSeconds\` (default 10 s).

Limits (schemas are untrusted input): ${SCHEMA_LIMITS.maxSchemaBytes} bytes and ${SCHEMA_LIMITS.maxSchemaDepth} levels per schema; \`$ref\` only inside the document (nothing is ever fetched); \`pattern\` in RE2 syntax (linear time: no lookarounds or backreferences); formats: ${SUPPORTED_FORMATS.join(", ")}; \`uniqueItems\` only with \`maxItems\` <= ${SCHEMA_LIMITS.maxUniqueItems}.`;

export const SCHEMA_OPERATIONS: Record<string, OperationSpec> = {
  "GET /v1/schemas": {
    operationId: "listSchemas",
    summary: "List the tenant's event types with their latest schema",
    tag: "schemas",
    responses: {
      "200": {
        description: "The types and the tenant's schema settings",
        content: { "application/json": schemaListSchema },
      },
      "400": error("A query parameter was given (none is taken)"),
    },
  },
  "PUT /v1/schemas/{type}": {
    operationId: "registerSchema",
    summary: "Register a version of a type's schema",
    description: REGISTER_DESCRIPTION,
    tag: "schemas",
    body: { required: true, content: { "application/json": registerBodySchema } },
    responses: {
      "200": {
        description: "Identical to the latest version: nothing new",
        content: { "application/json": schemaViewSchema },
      },
      "201": { description: "A new version", content: { "application/json": schemaViewSchema } },
      "400": error(
        "The body or the schema is invalid (not JSON Schema 2020-12, a remote $ref, a pattern RE2 cannot run, over a limit...); `details` names each problem",
      ),
      "409": error(
        "`incompatible_schema`: the schema breaks the type's compatibility mode, every break in `details`; or `concurrent_registration`: another version was registered meanwhile (send again)",
      ),
      "413": error(`The body is over 256 KiB`),
    },
  },
  "GET /v1/schemas/{type}": {
    operationId: "getSchema",
    summary: "A type's latest schema and settings",
    tag: "schemas",
    responses: {
      "200": {
        description: "The latest version with the type's settings",
        content: { "application/json": schemaViewSchema },
      },
      "400": error("The type is invalid"),
      "404": notFound("No schema is registered for this type"),
    },
  },
  "DELETE /v1/schemas/{type}": {
    operationId: "deleteSchema",
    summary: "Delete a type's schema (soft)",
    description:
      "Stops enforcing the type's schema (its events are then treated as unregistered). The versions stay readable, since stored events name the version they were validated against; registering again starts a new version without checking compatibility against the deleted ones.",
    tag: "schemas",
    responses: {
      "200": {
        description: "The deleted type (deletedAt set)",
        content: { "application/json": schemaViewSchema },
      },
      "400": error("The type is invalid"),
      "404": notFound("No schema is registered for this type"),
    },
  },
  "GET /v1/schemas/{type}/versions/{version}": {
    operationId: "getSchemaVersion",
    summary: "One version of a type's schema",
    description:
      "Versions of deleted types stay readable. A CloudEvent pins a version with `dataschema` ending in `/schemas/{type}/versions/{version}`.",
    tag: "schemas",
    responses: {
      "200": { description: "The version", content: { "application/json": schemaVersionSchema } },
      "400": error("The type or the version is invalid"),
      "404": error("The type has no such version"),
    },
  },
  "POST /v1/schemas/{type}/check": {
    operationId: "checkSchema",
    summary: "Would this schema register? Would this event validate?",
    description:
      "Changes nothing. With `schema`: whether PUT would accept it (compatibility under the type's mode, or `compatibility` given here), with every break. With `event`: whether it validates against `schema` if given, else against the type's latest version.",
    tag: "schemas",
    body: { required: true, content: { "application/json": schemaCheckBodySchema } },
    responses: {
      "200": {
        description: "The verdicts",
        content: { "application/json": schemaCheckAnswerSchema },
      },
      "400": error("The body or the schema is invalid"),
      "413": error("The body is over 256 KiB"),
    },
  },
  "GET /v1/schemas/{type}/inferred": {
    operationId: "inferSchema",
    summary: "A schema proposed from the type's stored events",
    description:
      'Infers JSON Schema 2020-12 from the type\'s most recent stored events (up to 500): types, required properties (present in every event), enums for low-cardinality strings, formats. The proposal validates every event it came from; `{"schema": ...}` of the answer is a body PUT accepts.',
    tag: "schemas",
    responses: {
      "200": { description: "The proposal", content: { "application/json": inferredSchemaSchema } },
      "400": error("The type is invalid"),
      "404": error("No stored events of this type"),
    },
  },
  "GET /v1/schema-settings": {
    operationId: "getSchemaSettings",
    summary: "The tenant's policy for event types without a schema",
    tag: "schemas",
    responses: {
      "200": {
        description: "The settings",
        content: { "application/json": tenantSchemaSettingsSchema },
      },
      "400": error("A query parameter was given (none is taken)"),
    },
  },
  "PUT /v1/schema-settings": {
    operationId: "putSchemaSettings",
    summary: "Set the tenant's policy for event types without a schema",
    description:
      "`allow` (default): events of unregistered types are accepted as before. `reject`: they are refused with 400 (per event in a batch). Applies within `schemaCacheSeconds`.",
    tag: "schemas",
    body: { required: true, content: { "application/json": tenantSettingsBodySchema } },
    responses: {
      "200": {
        description: "The settings saved",
        content: { "application/json": tenantSchemaSettingsSchema },
      },
      "400": error("The body is invalid"),
      "413": error("The body is over 256 KiB"),
    },
  },
};

/**
 * The schema registry API's logic: register a version (201 new, 200 identical to the
 * latest, 409 incompatible under the type's mode), read types and versions, check a schema
 * or an event without storing anything, soft-delete a type, and the tenant's policy for
 * unregistered types. Every schema is compiled before it is stored (schema-validator.ts):
 * a schema ingest could not compile is refused here, never at ingest.
 */

import { incomingEventSchema } from "../domain/event.js";
import type { FieldError } from "../domain/json.js";
import {
  CompatibilityTooComplexError,
  checkCompatibility,
  describeIncompatibility,
} from "../domain/schema-compat.js";
import {
  loadSchemaValidator,
  type SchemaValidatorModule,
} from "../domain/schema-validator-loader.js";
import {
  type CompatibilityMode,
  DEFAULT_COMPATIBILITY,
  DEFAULT_ENFORCEMENT,
  DEFAULT_UNREGISTERED,
  documentOf,
  type EnforcementMode,
  fingerprintOf,
  type RegisterBody,
  registerBodySchema,
  SCHEMA_TARGETS,
  type SchemaDocument,
  type SchemaSubject,
  type SchemaVersion,
  type TenantSchemaSettings,
  tenantSettingsBodySchema,
} from "../domain/schemas.js";
import type { SchemaStore, SubjectWithLatest } from "../ports/schema-store.js";
import { zodDetails } from "./zod-details.js";

export interface Invalid {
  kind: "invalid";
  message: string;
  details: FieldError[];
}

const invalid = (message: string, details: FieldError[]): Invalid => ({
  kind: "invalid",
  message,
  details,
});

/** A type as the API shows it: settings, latest version, its schema. */
export interface SchemaView {
  type: string;
  version: number;
  compatibility: CompatibilityMode;
  enforcement: EnforcementMode;
  schema: SchemaDocument["data"];
  subject?: SchemaDocument["subject"];
  source?: SchemaDocument["source"];
  fingerprint: string;
  registeredAt: string;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

export const viewOf = ({ subject, latest }: SubjectWithLatest): SchemaView => ({
  type: subject.type,
  version: subject.latestVersion,
  compatibility: subject.compatibility,
  enforcement: subject.enforcement,
  ...versionBody(latest),
  createdAt: subject.createdAt,
  updatedAt: subject.updatedAt,
  ...(subject.deletedAt ? { deletedAt: subject.deletedAt } : {}),
});

export interface VersionView {
  type: string;
  version: number;
  schema: SchemaDocument["data"];
  subject?: SchemaDocument["subject"];
  source?: SchemaDocument["source"];
  fingerprint: string;
  registeredAt: string;
}

const versionBody = (v: SchemaVersion) => ({
  schema: v.schema.data,
  ...(v.schema.subject !== undefined ? { subject: v.schema.subject } : {}),
  ...(v.schema.source !== undefined ? { source: v.schema.source } : {}),
  fingerprint: v.fingerprint,
  registeredAt: v.registeredAt,
});

export const versionView = (v: SchemaVersion): VersionView => ({
  type: v.type,
  version: v.version,
  ...versionBody(v),
});

export type RegisterResult =
  | Invalid
  | { kind: "created" | "unchanged"; view: SchemaView }
  | { kind: "incompatible"; mode: CompatibilityMode; details: FieldError[] }
  | { kind: "conflict"; message: string };

export interface ManageDeps {
  store: SchemaStore;
  now: () => Date;
}

function parseRegister(
  body: unknown,
  { compileSchemaDocument, SchemaCompileError }: SchemaValidatorModule,
): Invalid | { kind: "ok"; body: RegisterBody; doc: SchemaDocument } {
  const parsed = registerBodySchema.safeParse(body);
  if (!parsed.success) return invalid("The schema request is invalid", zodDetails(parsed.error));
  const doc = documentOf(parsed.data);
  try {
    compileSchemaDocument(doc);
  } catch (error) {
    if (error instanceof SchemaCompileError) {
      return invalid("The schema cannot be used", error.problems);
    }
    throw error;
  }
  return { kind: "ok", body: parsed.data, doc };
}

/** Every incompatibility of `doc` with the versions under `mode`, as answer details. */
function incompatibilities(
  mode: CompatibilityMode,
  doc: SchemaDocument,
  versions: readonly SchemaVersion[],
): FieldError[] {
  const details: FieldError[] = [];
  for (const target of SCHEMA_TARGETS) {
    const proposed = doc[target] ?? true;
    const history = versions.map((v) => ({ version: v.version, schema: v.schema[target] ?? true }));
    const label = target === "data" ? "schema" : target;
    for (const found of checkCompatibility(mode, proposed, history)) {
      details.push(describeIncompatibility(found, label));
    }
  }
  return details;
}

export async function registerSchema(
  tenantId: string,
  type: string,
  body: unknown,
  deps: ManageDeps,
): Promise<RegisterResult> {
  const parsed = parseRegister(body, await loadSchemaValidator());
  if (parsed.kind === "invalid") return parsed;
  const { doc } = parsed;
  const fingerprint = fingerprintOf(doc);
  const current = await deps.store.getSubject(tenantId, type);
  const at = deps.now().toISOString();
  const compatibility =
    parsed.body.compatibility ?? current?.subject.compatibility ?? DEFAULT_COMPATIBILITY;
  const enforcement =
    parsed.body.enforcement ?? current?.subject.enforcement ?? DEFAULT_ENFORCEMENT;
  const live = current && !current.subject.deletedAt ? current : undefined;

  if (live && live.latest.fingerprint === fingerprint) {
    // Identical to the latest: no new version; settings given in the body still apply.
    const changed =
      compatibility !== live.subject.compatibility || enforcement !== live.subject.enforcement;
    const entry: SubjectWithLatest = changed
      ? { ...live, subject: { ...live.subject, compatibility, enforcement, updatedAt: at } }
      : live;
    if (changed) await deps.store.putSubject(tenantId, entry);
    return { kind: "unchanged", view: viewOf(entry) };
  }

  const versions = await deps.store.listVersions(tenantId, type);
  // A deleted type starts afresh: its old versions are kept (events name them) but do not
  // constrain what comes next, as in Confluent after a subject is deleted.
  if (live) {
    let details: FieldError[];
    try {
      details = incompatibilities(compatibility, doc, versions);
    } catch (error) {
      if (!(error instanceof CompatibilityTooComplexError)) throw error;
      return invalid("The schema is too complex to check for compatibility", [
        { path: "/schema", message: error.message },
      ]);
    }
    if (details.length > 0) return { kind: "incompatible", mode: compatibility, details };
  }
  const number = Math.max(0, ...versions.map((v) => v.version)) + 1;
  const version: SchemaVersion = {
    type,
    version: number,
    schema: doc,
    fingerprint,
    registeredAt: at,
  };
  if ((await deps.store.putVersion(tenantId, version)) === "exists") {
    return {
      kind: "conflict",
      message: `Version ${number} of ${type} was registered meanwhile; send the request again`,
    };
  }
  const subject: SchemaSubject = {
    type,
    latestVersion: number,
    compatibility,
    enforcement,
    createdAt: current?.subject.createdAt ?? at,
    updatedAt: at,
  };
  const entry = { subject, latest: version };
  await deps.store.putSubject(tenantId, entry);
  return { kind: "created", view: viewOf(entry) };
}

export async function listSchemas(tenantId: string, deps: Pick<ManageDeps, "store">) {
  const [subjects, settings] = await Promise.all([
    deps.store.listSubjects(tenantId),
    deps.store.getTenantSettings(tenantId),
  ]);
  return {
    types: subjects
      .filter((s) => !s.subject.deletedAt)
      .map(viewOf)
      .sort((a, b) => a.type.localeCompare(b.type)),
    settings: settings ?? { unregistered: DEFAULT_UNREGISTERED },
  };
}

export async function getSchema(
  tenantId: string,
  type: string,
  deps: Pick<ManageDeps, "store">,
): Promise<SchemaView | undefined> {
  const found = await deps.store.getSubject(tenantId, type);
  return found && !found.subject.deletedAt ? viewOf(found) : undefined;
}

export async function getSchemaVersion(
  tenantId: string,
  type: string,
  version: string,
  deps: Pick<ManageDeps, "store">,
): Promise<Invalid | { kind: "found"; view: VersionView } | { kind: "not_found" }> {
  if (!/^[1-9][0-9]{0,8}$/.test(version)) {
    return invalid("The version is invalid", [
      { path: "version", message: "must be a version number (1, 2, ...)" },
    ]);
  }
  // Versions of a deleted type stay readable: stored events name them.
  const found = await deps.store.getVersion(tenantId, type, Number(version));
  return found ? { kind: "found", view: versionView(found) } : { kind: "not_found" };
}

export async function deleteSchema(
  tenantId: string,
  type: string,
  deps: ManageDeps,
): Promise<SchemaView | undefined> {
  const found = await deps.store.getSubject(tenantId, type);
  if (!found || found.subject.deletedAt) return undefined;
  const at = deps.now().toISOString();
  const entry = { ...found, subject: { ...found.subject, deletedAt: at, updatedAt: at } };
  await deps.store.putSubject(tenantId, entry);
  return viewOf(entry);
}

export type CheckResult =
  | Invalid
  | {
      kind: "checked";
      /** Whether PUT would accept the schema (absent when none was given). */
      schema?: {
        compatible: boolean;
        mode: CompatibilityMode;
        against: number[];
        details: FieldError[];
      };
      /** Whether the event validates (against the given schema, else the latest version). */
      event?: { valid: boolean; version?: number; errors: FieldError[] };
    };

const checkBodySchema = registerBodySchema
  .partial({ schema: true })
  .extend({ event: incomingEventSchema.partial({ type: true }).optional() });

export async function checkSchema(
  tenantId: string,
  type: string,
  body: unknown,
  deps: Pick<ManageDeps, "store">,
): Promise<CheckResult> {
  const parsed = checkBodySchema.safeParse(body);
  if (!parsed.success) return invalid("The check request is invalid", zodDetails(parsed.error));
  const { schema, event } = parsed.data;
  if (schema === undefined && event === undefined) {
    return invalid("The check request is invalid", [
      {
        path: "",
        message: "needs `schema` (would it register?), `event` (would it validate?) or both",
      },
    ]);
  }
  const current = await deps.store.getSubject(tenantId, type);
  const live = current && !current.subject.deletedAt ? current : undefined;
  let doc: SchemaDocument | undefined;
  let result: Extract<CheckResult, { kind: "checked" }> = { kind: "checked" };
  if (schema !== undefined) {
    const { event: _event, ...registration } = parsed.data;
    const registered = parseRegister({ ...registration, schema }, await loadSchemaValidator());
    if (registered.kind === "invalid") return registered;
    doc = registered.doc;
    const mode = parsed.data.compatibility ?? live?.subject.compatibility ?? DEFAULT_COMPATIBILITY;
    const versions = live ? await deps.store.listVersions(tenantId, type) : [];
    const against =
      mode === "NONE" || !live
        ? []
        : mode.endsWith("_TRANSITIVE")
          ? versions.map((v) => v.version)
          : versions.slice(-1).map((v) => v.version);
    const details = live ? incompatibilities(mode, doc, versions) : [];
    result = { ...result, schema: { compatible: details.length === 0, mode, against, details } };
  }
  if (event !== undefined) {
    const against = doc ?? live?.latest.schema;
    if (!against) {
      result = {
        ...result,
        event: { valid: true, errors: [] },
      };
    } else {
      const { compileSchemaDocument, prefixErrors } = await loadSchemaValidator();
      const errors = compileSchemaDocument(against)({ ...event });
      result = {
        ...result,
        event: {
          valid: errors.length === 0,
          ...(doc ? {} : { version: live?.subject.latestVersion }),
          errors: prefixErrors(errors, ""),
        },
      };
    }
  }
  return result;
}

export async function putTenantSettings(
  tenantId: string,
  body: unknown,
  deps: Pick<ManageDeps, "store">,
): Promise<Invalid | { kind: "saved"; settings: TenantSchemaSettings }> {
  const parsed = tenantSettingsBodySchema.safeParse(body);
  if (!parsed.success) return invalid("The settings are invalid", zodDetails(parsed.error));
  await deps.store.putTenantSettings(tenantId, parsed.data);
  return { kind: "saved", settings: parsed.data };
}

export async function getTenantSettings(
  tenantId: string,
  deps: Pick<ManageDeps, "store">,
): Promise<TenantSchemaSettings> {
  return (await deps.store.getTenantSettings(tenantId)) ?? { unregistered: DEFAULT_UNREGISTERED };
}

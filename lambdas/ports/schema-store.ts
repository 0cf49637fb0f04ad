/**
 * Port: where a tenant's schemas live (the tenant configuration table on AWS and locally).
 * Versions are immutable: putVersion never overwrites, so two registrations racing for one
 * number cannot both win.
 */
import type { SchemaSubject, SchemaVersion, TenantSchemaSettings } from "../domain/schemas.js";

/** A type's settings with a copy of its latest version: what ingest needs, in one read. */
export interface SubjectWithLatest {
  subject: SchemaSubject;
  latest: SchemaVersion;
}

export interface SchemaStore {
  /** The type's settings and latest version (deleted types included, marked). */
  getSubject(tenantId: string, type: string): Promise<SubjectWithLatest | undefined>;
  /** Every type of the tenant with its latest version (deleted ones included). */
  listSubjects(tenantId: string): Promise<SubjectWithLatest[]>;
  getVersion(tenantId: string, type: string, version: number): Promise<SchemaVersion | undefined>;
  /** Every version of a type, oldest first. */
  listVersions(tenantId: string, type: string): Promise<SchemaVersion[]>;
  /** Writes a new version; `exists` when that number is taken already. */
  putVersion(tenantId: string, version: SchemaVersion): Promise<"written" | "exists">;
  /** Writes the type's settings with a copy of its latest version. */
  putSubject(tenantId: string, entry: SubjectWithLatest): Promise<void>;
  getTenantSettings(tenantId: string): Promise<TenantSchemaSettings | undefined>;
  putTenantSettings(tenantId: string, settings: TenantSchemaSettings): Promise<void>;
}

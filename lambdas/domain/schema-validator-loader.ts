/**
 * Where the functions load the schema validator (ajv, ajv-formats, re2js: ~290 KB of the
 * ~860 KB a function bundle was) from, the first time a tenant's type has a schema (issue
 * 20, cold start).
 *
 * The specifier is relative and this module sits next to schema-validator.ts on purpose:
 * from the sources (tsx, vitest) it names that file; in a Lambda bundle the bundling leaves
 * it out (lib/constructs/eventflow-function.ts: SIDE_BUNDLES, an externalModules entry) and
 * ships it as a second esbuild output, `schema-validator.js`, next to `index.js`, which the
 * same specifier names at run time. Import the validator through this module only: any
 * other path to schema-validator.ts would put it back into the main file.
 */
export type SchemaValidatorModule = typeof import("./schema-validator.js");

let loading: Promise<SchemaValidatorModule> | undefined;

export const loadSchemaValidator = (): Promise<SchemaValidatorModule> => {
  loading ??= import("./schema-validator.js");
  return loading;
};

/**
 * Where the history function loads its archive store (the S3 client, hyparquet and
 * hyparquet-writer: ~280 KB of its bundle) from, the first time a route reads the archive or
 * signs a download (issue 20, cold start; adapters/lazy-archive-store.ts).
 *
 * As lambdas/domain/schema-validator-loader.ts: the relative specifier names
 * archive-store-wiring.ts from the sources (tsx, vitest) and, in the Lambda bundle, the
 * side file `archive-store-wiring.js` next to `index.js` (lib/constructs/eventflow-function.ts:
 * SIDE_BUNDLES). Import it through this module only.
 */
export type ArchiveStoreWiringModule = typeof import("./archive-store-wiring.js");

let loading: Promise<ArchiveStoreWiringModule> | undefined;

export const loadArchiveStoreWiring = (): Promise<ArchiveStoreWiringModule> => {
  loading ??= import("./archive-store-wiring.js");
  return loading;
};

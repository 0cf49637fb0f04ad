/**
 * Where the query function loads the OpenAPI document's builder from, the first time
 * GET /v1/openapi.json is asked for (issue 20, cold start: the per-route specs and the zod
 * to JSON Schema conversion are ~60 KB of the query bundle, for one rarely called route).
 *
 * As lambdas/domain/schema-validator-loader.ts: the relative specifier names
 * openapi-document.ts from the sources (tsx, vitest) and, in the Lambda bundle, the side
 * file `openapi-document.js` next to `index.js` (lib/constructs/eventflow-function.ts:
 * SIDE_BUNDLES). Functions import the builder through this module only.
 */
export type OpenApiDocumentModule = typeof import("./openapi-document.js");

let loading: Promise<OpenApiDocumentModule> | undefined;

export const loadOpenApiDocument = (): Promise<OpenApiDocumentModule> => {
  loading ??= import("./openapi-document.js");
  return loading;
};

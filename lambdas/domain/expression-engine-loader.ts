/**
 * Where the process and rules functions load the expression engine (jsonata and re2js:
 * ~228 KiB of their ~700 KB main files) from, once per container, the first time an
 * expression needs it (issue 20, cold start). JSONata builds an expression synchronously,
 * so the engine is loaded ahead, by an async step before compiling (expressions.ts
 * `prepareExpressions`), and read synchronously afterwards (`loadedExpressionEngine`).
 *
 * As schema-validator-loader.ts: the relative specifier names expression-engine.ts from the
 * sources (tsx, vitest) and, in a Lambda bundle, the side file `expression-engine.js` next
 * to `index.js` (lib/constructs/eventflow-function.ts: SIDE_BUNDLES). Import the engine
 * through this module only: any other path to expression-engine.ts would put it back into
 * the main file.
 */
export type ExpressionEngine = typeof import("./expression-engine.js");

let loading: Promise<ExpressionEngine> | undefined;
let loaded: ExpressionEngine | undefined;

export const loadExpressionEngine = (): Promise<ExpressionEngine> => {
  loading ??= import("./expression-engine.js").then(
    (engine) => {
      loaded = engine;
      return engine;
    },
    (error: unknown) => {
      // A failed load (a missing file) is tried again by the next caller.
      loading = undefined;
      throw error;
    },
  );
  return loading;
};

/** The engine, when a `loadExpressionEngine()` has finished in this container. */
export const loadedExpressionEngine = (): ExpressionEngine | undefined => loaded;

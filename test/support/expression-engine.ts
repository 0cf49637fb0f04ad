/**
 * The unit tests compile expressions synchronously (lambdas/domain/expressions.ts
 * compileExpression), as a process or rules container does once it has loaded the
 * expression engine: this loads it before each unit test file, from the sources. The path
 * without it (the engine not loaded, the fast path's shapes parsed by
 * expression-subset-parser.ts, loading on first need) is tested in
 * test/unit/lambdas/domain/expression-engine.test.ts, and the built side file in
 * test/unit/lib/constructs/expression-engine-bundle.test.ts.
 */
import { loadExpressionEngine } from "../../lambdas/domain/expression-engine-loader.js";

await loadExpressionEngine();

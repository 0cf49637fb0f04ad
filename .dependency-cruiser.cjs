/**
 * EventFlow's import boundaries, checked by `npm run deps` (part of `npm test`). The
 * layout and what each folder may import: README.md, "Project layout". Each rule's
 * comment is printed with a violation: it says which boundary was crossed and why the
 * boundary exists. Type-only imports count (tsPreCompilationDeps): a type import still
 * couples the two sides.
 *
 * There is no baseline of known violations: the tree has none, and a new one is fixed, not
 * recorded.
 *
 * Paths are relative to the repository root. Contracts are lib/config.ts and
 * lib/contracts/**; lib's infrastructure is lib/constructs/** and lib/eventflow-stack.ts.
 */
const CONTRACTS = "^lib/(config\\.ts$|contracts/)";
const CDK = "^lib/(constructs/|eventflow-stack\\.ts$)";
/** Packages that tie code to a runtime: CDK, the AWS SDK, Powertools, middy. */
const RUNTIME_PACKAGES =
  "(^|/)node_modules/(aws-cdk-lib|constructs|@aws-sdk/[^/]+|@aws-lambda-powertools/[^/]+|@middy/[^/]+)/";

/**
 * The entries of the functions' side bundles (lib/constructs/eventflow-function.ts
 * SIDE_BUNDLES; test/unit/repo/dependency-rules.test.ts checks this lists every one).
 */
const SIDE_BUNDLE_ENTRIES =
  "^lambdas/(domain/(schema-validator|expression-engine)|http/openapi-document|adapters/(sns-sender|eventbridge-sender|email-sender|parquet-reader)|handlers/archive-store-wiring)\\.ts$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "Import cycle. Modules that import each other cannot be understood, tested or " +
        "moved one at a time; move what both need into a third module (or a contract).",
      from: {},
      to: { circular: true },
    },
    {
      name: "contracts-import-only-contracts",
      severity: "error",
      comment:
        "A contract (lib/config.ts, lib/contracts/**) imports project code outside the " +
        "contracts. Contracts are read by every side (CDK, functions, local runtime, tools); " +
        "if they import one side, every other side depends on it too.",
      from: { path: CONTRACTS },
      to: { path: "^(bin|lib|lambdas|local|load-testing|test)/", pathNot: CONTRACTS },
    },
    {
      name: "contracts-no-runtime-packages",
      severity: "error",
      comment:
        "A contract (lib/config.ts, lib/contracts/**) imports aws-cdk-lib, constructs, the " +
        "AWS SDK, Powertools or middy. Contracts are plain data and zod schemas so that " +
        "`cdk synth` builds no Lambda runtime objects and the functions bundle no CDK.",
      from: { path: CONTRACTS },
      to: { path: RUNTIME_PACKAGES },
    },
    {
      name: "lambdas-no-infrastructure",
      severity: "error",
      comment:
        "Function code (lambdas/**) imports a lib/ file that is not a contract (the CDK " +
        "stack or constructs). Functions are bundled on their own and run in Lambda; of " +
        "lib/ they may read only lib/config.ts and lib/contracts/**.",
      from: { path: "^lambdas/" },
      to: { path: "^lib/", pathNot: CONTRACTS },
    },
    {
      name: "lambdas-no-runtime-or-tools",
      severity: "error",
      comment:
        "Function code (lambdas/**) imports local/, bin/ or load-testing/. The deployed " +
        "functions must not depend on the local runtime, the CLIs or the load tools; those " +
        "depend on the functions, not the other way round.",
      from: { path: "^lambdas/" },
      to: { path: "^(local|bin|load-testing)/" },
    },
    {
      name: "local-lib-only-contracts",
      severity: "error",
      comment:
        "The local runtime (local/**) imports a lib/ file that is not a contract. It " +
        "emulates the stack from the same contracts (lib/config.ts, lib/contracts/**) and " +
        "must not load the CDK stack or constructs.",
      from: { path: "^local/" },
      to: { path: "^lib/", pathNot: CONTRACTS },
    },
    {
      name: "cdk-no-function-code",
      severity: "error",
      comment:
        "CDK code (lib/constructs/**, lib/eventflow-stack.ts) imports function code " +
        "(lambdas/**). Synth must not load the functions' modules (they build clients and " +
        "Powertools at import); name handler entries as path strings and share values " +
        "through lib/contracts.",
      from: { path: CDK },
      to: { path: "^lambdas/" },
    },
    {
      name: "cdk-no-local-runtime",
      severity: "error",
      comment:
        "CDK code (lib/constructs/**, lib/eventflow-stack.ts) imports the local runtime " +
        "(local/**). The deployed stack must not depend on the emulation of itself; share " +
        "values through lib/contracts.",
      from: { path: CDK },
      to: { path: "^local/" },
    },
    {
      name: "domain-only-domain-and-contracts",
      severity: "error",
      comment:
        "Domain code (lambdas/domain/**) imports another lambdas/ layer (ports, use cases, " +
        "adapters, handlers, http, shared...). The domain is the pure core: rules and " +
        "formats over contracts, testable without any I/O; the other layers depend on it.",
      from: { path: "^lambdas/domain/" },
      to: { path: "^lambdas/", pathNot: "^lambdas/domain/" },
    },
    {
      name: "domain-no-runtime-packages",
      severity: "error",
      comment:
        "Domain code (lambdas/domain/**) imports the AWS SDK, Powertools, middy or CDK. The " +
        "domain does no I/O and no logging; SDK calls belong in adapters, logging and " +
        "metrics in use cases and handlers.",
      from: { path: "^lambdas/domain/" },
      to: { path: RUNTIME_PACKAGES },
    },
    {
      name: "ports-only-domain-and-contracts",
      severity: "error",
      comment:
        "A port (lambdas/ports/**) imports a lambdas/ layer other than the domain. Ports are " +
        "the interfaces between use cases and adapters; they may name domain types only.",
      from: { path: "^lambdas/ports/" },
      to: { path: "^lambdas/", pathNot: "^lambdas/(ports|domain)/" },
    },
    {
      name: "use-cases-no-adapters",
      severity: "error",
      comment:
        "A use case (lambdas/use-cases/**) imports an adapter, a handler or the HTTP layer. " +
        "Use cases work over ports, so they run against any store or queue (DynamoDB, the " +
        "emulators, a test double); move a shared rule or format into lambdas/domain.",
      from: { path: "^lambdas/use-cases/" },
      to: { path: "^lambdas/(adapters|handlers|http)/" },
    },
    {
      name: "adapters-implement-ports",
      severity: "error",
      comment:
        "An adapter (lambdas/adapters/**) imports a use case, a handler or the HTTP layer. " +
        "Adapters implement ports over DynamoDB, SQS, API Gateway or HTTP; the use cases " +
        "call them through the ports, so an adapter that reached back into a use case " +
        "would tie the two together. Mapping a Lambda event to a use case's input is the " +
        "handler's job.",
      from: { path: "^lambdas/adapters/" },
      to: { path: "^lambdas/(use-cases|handlers|http)/" },
    },
    {
      name: "http-no-adapters-or-handlers",
      severity: "error",
      comment:
        "The HTTP layer (lambdas/http/**) imports an adapter or a handler. " +
        "It decodes requests and encodes responses around the use cases; which store or " +
        "queue serves them is the wiring's choice (handlers and entry modules).",
      from: { path: "^lambdas/http/" },
      to: { path: "^lambdas/(adapters|handlers)/" },
    },
    {
      name: "shared-no-application-layers",
      severity: "error",
      comment:
        "lambdas/shared/** (SDK client factories, Powertools, environment parsing) imports " +
        "a port, use case, adapter, handler or HTTP module. Every layer may use " +
        "shared; if shared depended on them, they would all depend on each other.",
      from: { path: "^lambdas/shared/" },
      to: { path: "^lambdas/(ports|use-cases|adapters|handlers|http)/" },
    },
    {
      name: "entry-modules-are-leaves",
      severity: "error",
      comment:
        "Product code imports a function's entry module (lambdas/entry/**). An entry module " +
        "reads the environment and builds clients when it is imported, for Lambda only; " +
        "code that needs a handler calls its createXHandler factory with its own clients.",
      from: { path: "^(bin|lib|lambdas|local)/", pathNot: "^lambdas/entry/" },
      to: { path: "^lambdas/entry/" },
    },
    {
      name: "side-bundles-through-their-loader",
      severity: "error",
      comment:
        "Function code imports a side bundle's entry (SIDE_BUNDLES in " +
        "lib/constructs/eventflow-function.ts) other than through its loader (`*-loader.ts`, `*-loaders.ts`). esbuild " +
        "would put the module and everything it imports back into the function's main file, " +
        "which every cold start loads; the loader's `import()` is left out of the main file " +
        "and names the side file at run time. Type-only imports are erased and allowed.",
      from: { path: "^lambdas/", pathNot: "-loaders?\\.ts$" },
      to: { path: SIDE_BUNDLE_ENTRIES, dependencyTypesNot: ["type-only"] },
    },
    {
      name: "tools-no-local-runtime",
      severity: "error",
      comment:
        "A CLI (bin/**) imports the local runtime (local/**). The tools work against a " +
        "deployed stack and a running local runtime alike, through contracts (stack " +
        "outputs, the runtime's info file, table layout) and lambdas' adapters; loading " +
        "local/ would pull the emulators into every tool run.",
      from: { path: "^bin/" },
      to: { path: "^local/" },
    },
    {
      name: "sdk-stands-alone",
      severity: "error",
      comment:
        "The producer SDK (sdk/src/**) imports a file outside sdk/src or a package. It is " +
        "published on its own (@eventflow/sdk) and runs in Node 20+, browsers and Lambda with " +
        "no runtime dependencies: only what those platforms all have (fetch, Web Crypto).",
      from: { path: "^sdk/src/" },
      to: { pathNot: "^sdk/src/" },
    },
    {
      name: "product-no-sdk-internals",
      severity: "error",
      comment:
        "Project code imports the SDK by a path inside it. Import its entry point " +
        "(@eventflow/sdk, or sdk/src/index.ts), as a producer would, so its public surface is " +
        "what the repository depends on.",
      from: { path: "^(bin|lib|lambdas|local|load-testing)/" },
      to: { path: "^sdk/src/", pathNot: "^sdk/src/index\\.ts$" },
    },
    {
      name: "product-no-test-code",
      severity: "error",
      comment:
        "Product code (bin/, lib/, lambdas/, local/) imports test code (test/**). Tests " +
        "depend on the product, never the other way round.",
      from: { path: "^(bin|lib|lambdas|local)/" },
      to: { path: "^test/" },
    },
  ],
  options: {
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    doNotFollow: { path: "(^|/)node_modules/" },
    exclude: { path: "^(cdk\\.out|\\.eventflow|\\.cdk-home|reports|\\.scratch)/" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
  },
};

/**
 * The API's contract, checked on every answer the e2e, fuzz and browser suites receive:
 * each HTTP exchange with a `/v1/...` route is checked against the OpenAPI document the
 * repository builds (the same one GET /v1/openapi.json serves), locally or against a
 * deployed stack (EVENTFLOW_URL).
 *
 * - The operation is found by openapi-backend's router (method + path template); a path
 *   that names no operation must get the gateway's error envelope.
 * - The status must be declared for the operation; every declared header that the
 *   answer carries must be valid, and declared-required ones must be there.
 * - The body must be valid under the schema declared for its media type, with Ajv in
 *   JSON Schema 2020-12 (OpenAPI 3.1's dialect) and ajv-formats.
 * - A request the API accepted (2xx) must be valid under the document (openapi-backend's
 *   request validation): the document is never stricter than the API.
 *
 * What was checked is counted and appended to reports/contract-checks.jsonl after each
 * test file (test/support/contract-setup.ts); test/support/contract-summary.ts prints
 * the totals after a run.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { OpenAPIBackend, type Operation } from "openapi-backend";
import { buildOpenApiDocument } from "../../lambdas/http/openapi-document.js";

/** ajv-formats is CommonJS; its default export arrives wrapped under some loaders. */
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

type Json = Record<string, unknown>;

export interface Exchange {
  method: string;
  /** Path and query as sent, after the base URL (e.g. `/v1/events?limit=5`). */
  path: string;
  requestHeaders?: Record<string, string>;
  /** The body as sent, when it was text (JSON or other). */
  requestBody?: string;
  status: number;
  responseHeaders: Headers;
  responseText: string;
}

export interface Violation {
  /** `operationId` or `(no operation)`. */
  operation: string;
  status: number;
  path: string;
  problems: string[];
}

export class ContractViolation extends Error {
  override name = "ContractViolation";
  constructor(readonly violation: Violation) {
    super(
      `OpenAPI contract violated by ${violation.operation} ${violation.status} on ${violation.path}:\n` +
        violation.problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
}

/** Paths outside the API: the local runtime's admin routes, console and docs page. */
const OUTSIDE_API = /^\/(?!v1(\/|$))/;

export class ContractChecker {
  private readonly ajv: Ajv2020;
  private readonly router: OpenAPIBackend;
  private readonly validators = new Map<string, ValidateFunction>();
  private ready: Promise<void> | undefined;
  private stats = ContractChecker.emptyStats();

  private static emptyStats() {
    return {
      responses: 0,
      requests: 0,
      operations: new Set<string>(),
      statuses: new Set<string>(),
    };
  }

  constructor(private readonly document: Json = buildOpenApiDocument() as unknown as Json) {
    this.ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    this.router = new OpenAPIBackend({
      definition: structuredClone(document) as never,
      // quick: the document's own validity is tested apart (test/unit/openapi-document.test.ts)
      // with a 3.1-aware parser; openapi-backend's definition check only knows 3.0.
      quick: true,
      validate: true,
      strict: false,
      customizeAjv: (_original, options) =>
        addFormats(new Ajv2020({ ...options, strict: false, allErrors: true })) as never,
    });
  }

  private init(): Promise<void> {
    this.ready ??= this.router.init().then(() => undefined);
    return this.ready;
  }

  /** Violations of one exchange (empty: it keeps the contract). Exchanges outside /v1 are skipped. */
  async check(exchange: Exchange): Promise<Violation | undefined> {
    await this.init();
    const url = new URL(exchange.path, "http://api.invalid");
    if (OUTSIDE_API.test(url.pathname)) return undefined;
    this.stats.responses++;
    const problems: string[] = [];
    const operation = this.router.matchOperation({
      method: exchange.method.toLowerCase(),
      path: url.pathname,
      headers: {},
    }) as (Operation & { operationId: string }) | undefined;
    const name = operation?.operationId ?? "(no operation)";
    this.stats.operations.add(name);
    this.stats.statuses.add(`${name} ${exchange.status}`);

    if (!operation) {
      // An unknown route or method: the gateway's own answer, in the common envelope.
      problems.push(...this.checkBody(exchange, errorResponse(this.document), "unknown route"));
    } else {
      const responses = (operation.responses ?? {}) as Record<string, Json>;
      const declared = responses[String(exchange.status)] ?? responses.default;
      if (!declared) {
        problems.push(
          `status ${exchange.status} is not declared (declared: ${Object.keys(responses).join(", ")})`,
        );
      } else {
        problems.push(...this.checkHeaders(exchange, declared));
        problems.push(...this.checkBody(exchange, declared, `${name} ${exchange.status}`));
      }
      if (exchange.status >= 200 && exchange.status < 300 && !partlyRefused(exchange)) {
        problems.push(...this.checkRequest(exchange, url));
      }
    }
    if (problems.length === 0) return undefined;
    return { operation: name, status: exchange.status, path: exchange.path, problems };
  }

  /** check() that throws a ContractViolation. */
  async assert(exchange: Exchange): Promise<void> {
    const violation = await this.check(exchange);
    if (violation) throw new ContractViolation(violation);
  }

  /**
   * Whether a request is valid under the document (before sending it): a test that
   * expects success can assert it, so the document never gets stricter by accident.
   */
  async requestProblems(exchange: Omit<Exchange, "status" | "responseHeaders" | "responseText">) {
    await this.init();
    return this.checkRequest(exchange, new URL(exchange.path, "http://api.invalid"));
  }

  counts() {
    return {
      responses: this.stats.responses,
      requests: this.stats.requests,
      operations: [...this.stats.operations].sort(),
      statuses: [...this.stats.statuses].sort(),
    };
  }

  resetCounts(): void {
    this.stats = ContractChecker.emptyStats();
  }

  private checkHeaders(exchange: Exchange, declared: Json): string[] {
    const problems: string[] = [];
    const headers = (declared.headers ?? {}) as Record<string, Json>;
    for (const [name, spec] of Object.entries(headers)) {
      const value = exchange.responseHeaders.get(name);
      if (value === null) {
        if (spec.required === true) problems.push(`header ${name} is required and missing`);
        continue;
      }
      const schema = spec.schema as Json | undefined;
      if (!schema) continue;
      const validate = this.compile(`header:${JSON.stringify(schema)}`, schema);
      const typed = schema.type === "integer" || schema.type === "number" ? Number(value) : value;
      if (!validate(typed)) problems.push(`header ${name}: ${describe(validate)}`);
    }
    return problems;
  }

  private checkBody(exchange: Exchange, declared: Json, what: string): string[] {
    const content = declared.content as Record<string, { schema?: Json }> | undefined;
    const contentType = (exchange.responseHeaders.get("content-type") ?? "")
      .split(";")[0]
      ?.trim()
      .toLowerCase();
    if (!content || Object.keys(content).length === 0) {
      return exchange.responseText === ""
        ? []
        : [`a body (${contentType || "no Content-Type"}) is sent where none is declared`];
    }
    const mediaType = contentType ?? "";
    const spec = content[mediaType] ?? content[`${mediaType.split("/")[0]}/*`] ?? content["*/*"];
    if (!spec) {
      return [
        `media type ${mediaType || "(none)"} is not declared (declared: ${Object.keys(content).join(", ")})`,
      ];
    }
    if (!spec.schema) return [];
    if (!/[/+]json$/.test(mediaType)) return [];
    let body: unknown;
    try {
      body = JSON.parse(exchange.responseText);
    } catch {
      return [`the body is not JSON although the media type is ${mediaType}`];
    }
    const validate = this.compile(`${what} ${mediaType}`, spec.schema);
    return validate(body) ? [] : [`body (${mediaType}): ${describe(validate)}`];
  }

  private checkRequest(
    exchange: Pick<Exchange, "method" | "path" | "requestHeaders" | "requestBody">,
    url: URL,
  ): string[] {
    this.stats.requests++;
    const stricter = (where: string, message: string) =>
      `request accepted by the API but invalid under the document: ${where} ${message}`;
    const headers = Object.fromEntries(
      Object.entries(exchange.requestHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const request = {
      method: exchange.method.toLowerCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
    };
    // Parameters (path, query, headers) by openapi-backend; it would check any body against
    // the application/json schema, so bodies are checked below, by their media type.
    const problems = (this.router.validateRequest(request).errors ?? [])
      .filter(
        (e) =>
          !e.instancePath.startsWith("/requestBody") && e.params?.missingProperty !== "requestBody",
      )
      .map((e) => stricter(e.instancePath || "/", e.message ?? ""));
    const operation = this.router.matchOperation(request) as Json | undefined;
    const body = operation?.requestBody as
      | {
          content?: Record<string, { schema?: Json }>;
          "x-eventflow-binary-mode"?: { header: string };
        }
      | undefined;
    if (!body || exchange.requestBody === undefined) return problems;
    const binary = body["x-eventflow-binary-mode"];
    if (binary && headers[binary.header.toLowerCase()] !== undefined) return problems;
    const mediaType = headers["content-type"]?.split(";")[0]?.trim().toLowerCase() ?? "";
    const content = body.content ?? {};
    const spec = content[mediaType] ?? content[`${mediaType.split("/")[0]}/*`] ?? content["*/*"];
    if (!spec) {
      problems.push(stricter("Content-Type", `${mediaType || "(none)"} is not declared`));
      return problems;
    }
    if (!spec.schema || !/[/+]json$/.test(mediaType)) return problems;
    let value: unknown;
    try {
      value = JSON.parse(exchange.requestBody);
    } catch {
      problems.push(stricter("body", `is not JSON although the media type is ${mediaType}`));
      return problems;
    }
    const validate = this.compile(
      `request ${mediaType} ${JSON.stringify(spec.schema)}`,
      spec.schema,
    );
    if (!validate(value)) problems.push(stricter(`body (${mediaType})`, describe(validate)));
    return problems;
  }

  private compile(key: string, schema: Json): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      // Local $refs (#/components/schemas/...) resolve against the document's components.
      validate = this.ajv.compile({ ...schema, components: this.document.components });
      this.validators.set(key, validate);
    }
    return validate;
  }
}

/**
 * A batch answered 202 with some events rejected: the request as a whole was not valid,
 * and the API said so per event (its per-event answers are checked as the body).
 */
function partlyRefused(exchange: Exchange): boolean {
  try {
    const body = JSON.parse(exchange.responseText) as { rejected?: unknown };
    return typeof body.rejected === "number" && body.rejected > 0;
  } catch {
    return false;
  }
}

function errorResponse(document: Json): Json {
  const schemas = (document.components as { schemas?: Record<string, unknown> })?.schemas ?? {};
  const name = Object.keys(schemas).find((n) => /^Error(Envelope)?$/.test(n)) ?? "ErrorEnvelope";
  return { content: { "application/json": { schema: { $ref: `#/components/schemas/${name}` } } } };
}

function describe(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .slice(0, 5)
    .map(
      (e) =>
        `${e.instancePath || "/"} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`,
    )
    .join("; ");
}

let shared: ContractChecker | undefined;

/** One checker per test process (test/support/contract-setup.ts records its counts per file). */
export function contract(): ContractChecker {
  shared ??= new ContractChecker();
  return shared;
}

/** Appends what was checked since the last call to reports/contract-checks.jsonl. */
export function recordContractCounts(file: string): void {
  if (!shared) return;
  const counts = shared.counts();
  shared.resetCounts();
  if (counts.responses === 0) return;
  const dir = resolve(import.meta.dirname, "../../reports");
  mkdirSync(dir, { recursive: true });
  appendFileSync(resolve(dir, "contract-checks.jsonl"), `${JSON.stringify({ file, ...counts })}\n`);
}

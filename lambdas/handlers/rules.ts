/**
 * The rules API (use-cases/tenant-rules.ts): GET /v1/rules (the current version, the
 * built-in defaults until the tenant saves its own), PUT /v1/rules (a new version; 409 when
 * `expectedVersion` is stale), DELETE /v1/rules (back to the defaults, as a new version),
 * POST /v1/rules/test (a dry run on one event or the newest stored events of a type).
 *
 * Least privilege (lib/eventflow-stack.ts): Query and PutItem on the configuration table;
 * Query (byType) and BatchGetItem/GetItem on the events table for dry runs; the cursor key.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ENV } from "../../lib/contracts/environment.js";
import { ROUTES } from "../../lib/contracts/functions.js";
import { METRIC } from "../../lib/contracts/observability.js";
import { DynamoDbRuleStore } from "../adapters/dynamodb-rule-store.js";
import { parseJson } from "../domain/json.js";
import { parseRules, pathOf, prepareRules, RulesetError } from "../domain/rules.js";
import type { EventReader } from "../ports/event-store.js";
import type { RuleStore } from "../ports/rule-store.js";
import type { SecretReader } from "../ports/secrets.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import {
  bodyText,
  type HttpConfig,
  type HttpRequest,
  type HttpResponse,
  httpConfig,
  httpError,
  httpHandler,
  json,
  matchRoute,
  queryParams,
  unmatchedRoute,
} from "../shared/http.js";
import { logger, metrics } from "../shared/powertools.js";
import {
  type ChangeResult,
  currentRuleset,
  putRules,
  resetRules,
  runRulesTest,
  testRequestSchema,
} from "../use-cases/tenant-rules.js";
import { eventReaderFrom } from "./store-wiring.js";

export interface RulesDeps {
  store: RuleStore;
  reader: Pick<EventReader, "list">;
  http: HttpConfig;
}

export function rulesDeps(
  env: EnvRecord,
  clients: {
    dynamodb: DynamoDBClient;
    documentClient: DynamoDBDocumentClient;
    secrets: SecretReader;
  },
): RulesDeps {
  const config = parseEnv(
    {
      [ENV.tableName]: envVars[ENV.tableName],
      [ENV.configTableName]: envVars[ENV.configTableName],
    },
    env,
  );
  return {
    // Consistent reads: a PUT followed by a GET shows the new version.
    store: new DynamoDbRuleStore(clients.documentClient, {
      tableName: config[ENV.configTableName],
      consistentRead: true,
    }),
    reader: eventReaderFrom(env, clients),
    http: httpConfig(env),
  };
}

const routes = ROUTES.filter((r) => r.function === "rules");

/** Every operation takes no query parameters: any is refused, as on the other routes. */
function unknownQuery(req: HttpRequest): HttpResponse | undefined {
  const names = Object.keys(queryParams(req.event));
  if (names.length === 0) return undefined;
  return httpError(400, "validation_failed", "Unknown query parameter", {
    details: names.slice(0, 10).map((path) => ({ path, message: "is not a known parameter" })),
  });
}

type Body = { ok: true; value: unknown } | { ok: false; response: HttpResponse };

function jsonBody(req: HttpRequest): Body {
  const body = bodyText(req.event);
  const bad = (message: string): Body => ({
    ok: false,
    response: httpError(400, "invalid_body", message),
  });
  if (!body.ok) return bad("The body is not valid UTF-8");
  if (body.text === undefined || body.text.trim() === "") return bad("A JSON body is required");
  const parsed = parseJson(body.text);
  if (!parsed.ok) return bad(parsed.message);
  return { ok: true, value: parsed.value };
}

function changed(result: ChangeResult, req: HttpRequest, action: string): HttpResponse {
  if (result.kind === "conflict") {
    return httpError(
      409,
      "version_conflict",
      `The rules changed meanwhile: the current version is ${result.current.version}; read them again (GET /v1/rules) and retry`,
    );
  }
  const { ruleset } = result;
  // The audit line: who changed what, to which version.
  logger.info(`Rules ${action}`, {
    tenantId: req.tenantId,
    keyId: req.keyId,
    version: ruleset.version,
    source: ruleset.source,
    rules: ruleset.rules.map((r) => r.name),
  });
  metrics.addMetric(METRIC.rulesChanged, MetricUnit.Count, 1);
  return json(200, ruleset);
}

type Action = (req: HttpRequest, deps: RulesDeps) => Promise<HttpResponse>;

const ACTIONS: Record<string, Action> = {
  "GET /v1/rules": async (req, { store }) =>
    unknownQuery(req) ?? json(200, await currentRuleset(store, req.tenantId)),
  "PUT /v1/rules": async (req, { store }) => {
    const refused = unknownQuery(req);
    if (refused) return refused;
    const body = jsonBody(req);
    if (!body.ok) return body.response;
    let input: ReturnType<typeof parseRules>;
    // The expression engine, when the rules' expressions need it (not the defaults').
    await prepareRules((body.value as { rules?: unknown } | null | undefined)?.rules);
    try {
      input = parseRules(body.value);
    } catch (error) {
      if (!(error instanceof RulesetError)) throw error;
      return httpError(400, "validation_failed", error.message, { details: error.details });
    }
    const meta = { now: new Date(), ...(req.keyId ? { keyId: req.keyId } : {}) };
    return changed(await putRules(store, req.tenantId, input, meta), req, "changed");
  },
  "DELETE /v1/rules": async (req, { store }) => {
    const refused = unknownQuery(req);
    if (refused) return refused;
    const meta = { now: new Date(), ...(req.keyId ? { keyId: req.keyId } : {}) };
    return changed(await resetRules(store, req.tenantId, meta), req, "reset to the defaults");
  },
  "POST /v1/rules/test": async (req, { store, reader }) => {
    const refused = unknownQuery(req);
    if (refused) return refused;
    const body = jsonBody(req);
    if (!body.ok) return body.response;
    const parsed = testRequestSchema.safeParse(body.value);
    if (!parsed.success) {
      return httpError(400, "validation_failed", "The test request is invalid", {
        details: parsed.error.issues.slice(0, 10).map((issue) => ({
          path: pathOf(issue.path) || "(body)",
          message:
            issue.code === "unrecognized_keys"
              ? `unknown field(s): ${issue.keys.join(", ")}`
              : issue.message,
        })),
      });
    }
    const r = await runRulesTest(req.tenantId, parsed.data, {
      store,
      reader,
      now: () => new Date(),
    });
    if (r.kind === "invalid") {
      return httpError(400, "validation_failed", r.message, { details: r.details });
    }
    return json(200, r.report);
  },
};

export const createRulesHandler = (deps: RulesDeps) =>
  httpHandler(async (req) => {
    const match = matchRoute(req.event, routes);
    if (match.kind !== "matched") return unmatchedRoute(match);
    const action = ACTIONS[`${match.route.method} ${match.route.path}`];
    if (!action) throw new Error(`route ${match.route.path} has no action`);
    return action(req, deps);
  }, deps.http);

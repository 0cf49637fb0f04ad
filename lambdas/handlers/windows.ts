/**
 * The windows function: /v1/aggregations and /v1/patterns (declarations, results,
 * backfill). Use cases: use-cases/manage-windows.ts; the engine: domain/windowing.ts and
 * domain/cep.ts. Least privilege (lib/eventflow-stack.ts): read/write of the config table;
 * Query/GetItem/PutItem on the events table (contributions; backfill reads events).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ROUTES } from "../../lib/contracts/functions.js";
import { InvalidCursorError } from "../domain/cursor.js";
import { compileEventPattern, matchesEventPattern } from "../domain/event-pattern.js";
import { parseJson } from "../domain/json.js";
import type { EventReader } from "../ports/event-store.js";
import type { SecretReader } from "../ports/secrets.js";
import {
  type AggregationDeclaration,
  type ContributionStore,
  type DeclarationKind,
  type DeclarationStore,
  VersionConflict,
} from "../ports/windows.js";
import type { EnvRecord } from "../shared/env.js";
import {
  bodyText,
  type HttpConfig,
  type HttpResponse,
  httpConfig,
  httpError,
  httpHandler,
  json,
  matchRoute,
  queryParams,
  unmatchedRoute,
} from "../shared/http.js";
import { logger } from "../shared/powertools.js";
import {
  aggregationResults,
  backfill,
  checkName,
  declarationView,
  type Invalid,
  parseBackfill,
  parseDeclaration,
  parseResultsQuery,
} from "../use-cases/manage-windows.js";
import { eventReaderFrom, windowStoresFrom } from "./store-wiring.js";

export interface WindowsDeps {
  declarations: DeclarationStore;
  contributions: ContributionStore;
  reader: EventReader;
  shards: number;
  retentionDays: number;
  http: HttpConfig;
  now?: () => Date;
}

export function windowsDeps(
  env: EnvRecord,
  clients: {
    dynamodb: DynamoDBClient;
    documentClient: DynamoDBDocumentClient;
    secrets: SecretReader;
  },
): WindowsDeps {
  const stores = windowStoresFrom(env, clients.documentClient);
  return {
    declarations: stores.declarations,
    contributions: stores.contributions,
    reader: eventReaderFrom(env, clients),
    shards: stores.shards,
    retentionDays: stores.retentionDays,
    http: httpConfig(env),
  };
}

const routes = ROUTES.filter((r) => r.function === "windows");

const invalidAnswer = (r: Invalid): HttpResponse =>
  httpError(400, "validation_failed", r.message, { details: r.details });

const kindOf = (path: string): DeclarationKind =>
  path.startsWith("/v1/patterns") ? "pattern" : "aggregation";

function readBody(text: string | undefined): { ok: true; value: unknown } | { ok: false } {
  if (text === undefined || text.trim() === "") return { ok: false };
  const parsed = parseJson(text);
  return parsed.ok ? { ok: true, value: parsed.value } : { ok: false };
}

export const createWindowsHandler = (deps: WindowsDeps) =>
  httpHandler(async ({ event, tenantId, keyId }) => {
    const match = matchRoute(event, routes);
    if (match.kind !== "matched") return unmatchedRoute(match);
    const now = (deps.now ?? (() => new Date()))();
    const { route, params } = match;
    const kind = kindOf(route.path);
    const query = queryParams(event);
    const noQuery = (): HttpResponse | undefined => {
      const extra = Object.keys(query);
      return extra.length > 0
        ? httpError(400, "validation_failed", "Invalid query parameters", {
            details: extra.map((path) => ({
              path,
              message: "is not a parameter of this operation",
            })),
          })
        : undefined;
    };

    if (route.method === "GET" && params.name === undefined) {
      const refused = noQuery();
      if (refused) return refused;
      const items = await deps.declarations.list(tenantId, kind);
      return json(200, { items: items.map(declarationView) });
    }

    const name = params.name ?? "";
    const badName = checkName(name);
    if (badName) return invalidAnswer(badName);

    if (route.method === "PUT") {
      const refused = noQuery();
      if (refused) return refused;
      const text = bodyText(event);
      const body = readBody(text.ok ? text.text : undefined);
      if (!body.ok) return httpError(400, "invalid_json", "The body must be a JSON object");
      const parsed = parseDeclaration(kind, body.value);
      if (parsed.kind === "invalid") return invalidAnswer(parsed);
      try {
        const decl = await deps.declarations.put(
          tenantId,
          kind,
          name,
          parsed.spec,
          deps.shards,
          now,
        );
        logger.info("Declaration stored", { tenantId, keyId, kind, name, version: decl.version });
        return json(decl.version === 1 ? 201 : 200, declarationView(decl));
      } catch (error) {
        if (error instanceof VersionConflict) {
          return httpError(409, "conflict", error.message);
        }
        throw error;
      }
    }

    if (route.method === "DELETE") {
      const refused = noQuery();
      if (refused) return refused;
      const removed = await deps.declarations.remove(tenantId, kind, name);
      if (!removed) return httpError(404, "not_found", `No ${kind} named ${name}`);
      logger.info("Declaration removed", { tenantId, keyId, kind, name });
      return json(200, { name, removed: true });
    }

    // GET one, or backfill: the declaration (current, or ?version= for results).
    const versionParam = query.version?.[0];
    const version = versionParam === undefined ? undefined : Number(versionParam);
    if (version !== undefined && !(Number.isInteger(version) && version >= 1)) {
      return httpError(400, "validation_failed", "Invalid query parameters", {
        details: [{ path: "version", message: "must be a positive integer" }],
      });
    }
    const decl = await deps.declarations.get(tenantId, kind, name, version);
    if (!decl) return httpError(404, "not_found", `No ${kind} named ${name}`);

    if (route.method === "POST") {
      const refused = noQuery();
      if (refused) return refused;
      const text = bodyText(event);
      const body = readBody(text.ok ? text.text : undefined);
      if (!body.ok) return httpError(400, "invalid_json", "The body must be a JSON object");
      const parsed = parseBackfill(body.value, now);
      if (parsed.kind === "invalid") return invalidAnswer(parsed);
      const agg = decl as AggregationDeclaration;
      const compiled = compileEventPattern(agg.spec.match);
      let result: Awaited<ReturnType<typeof backfill>>;
      try {
        result = await backfill(agg, parsed.request, {
          reader: deps.reader,
          contributions: deps.contributions,
          retentionDays: deps.retentionDays,
          matches: (e) => matchesEventPattern(compiled, e),
        });
      } catch (error) {
        if (error instanceof InvalidCursorError) {
          return httpError(400, "invalid_cursor", `The ${error.message}`);
        }
        throw error;
      }
      logger.info("Backfill", { tenantId, keyId, name, version: decl.version, ...result });
      return json(200, { name, version: decl.version, ...result });
    }

    if (kind === "pattern") {
      const refused = Object.keys(query).some((k) => k !== "version") ? noQuery() : undefined;
      if (refused) return refused;
      return json(200, declarationView(decl));
    }
    const parsed = parseResultsQuery(query, (decl as AggregationDeclaration).spec, now.getTime());
    if (parsed.kind === "invalid") return invalidAnswer(parsed);
    const results = await aggregationResults(decl as AggregationDeclaration, parsed.query, {
      contributions: deps.contributions,
      now: now.getTime(),
    });
    return json(200, { declaration: declarationView(decl), ...results });
  }, deps.http);

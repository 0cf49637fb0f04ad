/**
 * The API's Lambda REQUEST authorizer (identity source: the Authorization header).
 *
 * - No, malformed, unknown, revoked or expired key: throws "Unauthorized", which API
 *   Gateway answers with 401 (the UNAUTHORIZED gateway response, WWW-Authenticate set).
 * - A valid key: a policy allowing every route its scopes open (API Gateway caches it per
 *   header value and applies it to all methods: a route it does not list is 403), the
 *   context the handlers read (tenantId, scopes, keyId), and the tenant's usage plan key
 *   as usageIdentifierKey (per-tenant throttling and quota).
 *
 * Least privilege: GetItem on the keys table, nothing else (lib/constructs/api.ts).
 * The key and the header are never logged; the key id is.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import middy from "@middy/core";
import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from "aws-lambda";
import { ENV } from "../../lib/contracts/environment.js";
import { headerValue } from "../../lib/contracts/http.js";
import { METRIC } from "../../lib/contracts/observability.js";
import { DynamoDbKeyStore } from "../adapters/dynamodb-key-store.js";
import { accessPolicy } from "../domain/access-policy.js";
import type { KeyLookup } from "../ports/api-keys.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import { logger, metrics } from "../shared/powertools.js";
import { authenticateKey } from "../use-cases/authenticate-key.js";

export interface AuthorizerDeps {
  keys: KeyLookup;
}

export function authorizerDeps(
  env: EnvRecord,
  clients: { documentClient: DynamoDBDocumentClient },
): AuthorizerDeps {
  const config = parseEnv({ [ENV.keysTableName]: envVars[ENV.keysTableName] }, env);
  return {
    keys: new DynamoDbKeyStore(clients.documentClient, { tableName: config[ENV.keysTableName] }),
  };
}

/** The context handlers read from requestContext.authorizer (lambdas/shared/http.ts). */
export interface AuthorizerContext {
  [name: string]: string | undefined;
  tenantId: string;
  /** Space-separated, as OAuth scopes are. */
  scopes: string;
  keyId: string;
  /**
   * The key's expiresAt (a rotated key), when it has one: API Gateway may serve this
   * answer from its cache past that instant, so the functions refuse the key once it has
   * passed (lambdas/shared/http.ts), and the local gateway caches no longer than it.
   */
  expiresAt?: string;
}

export type AuthorizerResult = APIGatewayAuthorizerResult & {
  context: AuthorizerContext;
  usageIdentifierKey: string;
};

function authorizationHeader(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  return headerValue(event.headers, "authorization") || undefined;
}

export function createAuthorizerHandler({ keys }: AuthorizerDeps) {
  async function lambdaHandler(
    event: APIGatewayRequestAuthorizerEvent,
    _context: Context,
  ): Promise<AuthorizerResult> {
    const result = await authenticateKey(authorizationHeader(event), {
      keys,
      now: () => new Date(),
    });
    if (result.kind === "unauthenticated") {
      logger.info("API key rejected", { reason: result.reason, keyId: result.keyId });
      metrics.addMetric(METRIC.keysRejected, MetricUnit.Count, 1);
      // The one message API Gateway turns into 401.
      throw new Error("Unauthorized");
    }
    const { key } = result;
    logger.appendKeys({ tenantId: key.tenantId, keyId: key.keyId });
    return {
      principalId: key.keyId,
      policyDocument: accessPolicy(event.methodArn, key.scopes),
      context: {
        tenantId: key.tenantId,
        scopes: key.scopes.join(" "),
        keyId: key.keyId,
        ...(key.expiresAt === undefined ? {} : { expiresAt: key.expiresAt }),
      },
      usageIdentifierKey: key.usageKey,
    };
  }
  return middy(lambdaHandler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

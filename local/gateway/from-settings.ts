/**
 * The stack's REST API as lib/constructs/api.ts configures it from the settings: the
 * routes, the stage throttle, the CORS preflight (when `corsOrigins` is set), and the key
 * authorizer with its cache and the usage plan on every route.
 */
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import type { EventFlowSettings } from "../../lib/config.js";
import {
  CDK_DEFAULT_ALLOW_HEADERS,
  CORS_EXPOSE_HEADERS,
  CORS_EXTRA_ALLOW_HEADERS,
} from "../../lib/contracts/cors.js";
import { ROUTES } from "../../lib/contracts/functions.js";
import type { InvokeOutcome } from "../lambda.js";
import type { RuntimeLogger } from "../log.js";
import { ApiGateway, type ApiGatewayOptions } from "./api-gateway.js";
import { LocalAuthorizer } from "./authorizer.js";

export interface StackApiOptions {
  settings: EventFlowSettings;
  region: string;
  invoke: ApiGatewayOptions["invoke"];
  invokeAuthorizer: (event: APIGatewayRequestAuthorizerEvent) => Promise<InvokeOutcome>;
  logger: RuntimeLogger;
  integrationTimeoutMs?: number;
}

export function stackApi(options: StackApiOptions): ApiGateway {
  const { settings, logger } = options;
  return new ApiGateway({
    routes: ROUTES,
    invoke: options.invoke,
    throttle: {
      rateLimit: settings.apiThrottleRateLimit,
      burstLimit: settings.apiThrottleBurstLimit,
    },
    ...(settings.corsOrigins.length > 0
      ? {
          // Mirrors defaultCorsPreflightOptions in lib/constructs/api.ts.
          cors: {
            allowOrigins: settings.corsOrigins,
            allowMethods: [...new Set(ROUTES.map((r) => r.method))],
            allowHeaders: [...CDK_DEFAULT_ALLOW_HEADERS, ...CORS_EXTRA_ALLOW_HEADERS],
            exposeHeaders: [...CORS_EXPOSE_HEADERS],
          },
        }
      : {}),
    logger: logger.child("api"),
    region: options.region,
    // The stack's key authorizer (cached per Authorization value) and usage plan.
    auth: new LocalAuthorizer({
      invoke: options.invokeAuthorizer,
      cacheTtlSeconds: settings.authorizerCacheSeconds,
      limits: {
        rateLimit: settings.tenantRateLimit,
        burstLimit: settings.tenantBurstLimit,
        quotaPerDay: settings.tenantQuotaPerDay,
      },
      logger: logger.child("auth"),
    }),
    ...(options.integrationTimeoutMs ? { integrationTimeoutMs: options.integrationTimeoutMs } : {}),
  });
}

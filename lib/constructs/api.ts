/**
 * The HTTPS edge: a REST API whose resources come from ROUTES, proxying to the
 * ingest, query and replay functions, with JSON access logs, throttling and tracing.
 * Every method has the API key authorizer (a Lambda REQUEST authorizer) and requires
 * the tenant's usage plan key, which the authorizer supplies: per-tenant rate and quota.
 */
import { Duration, Stack } from "aws-cdk-lib";
import {
  AccessLogField,
  AccessLogFormat,
  ApiKeySourceType,
  AuthorizationType,
  Cors,
  EndpointType,
  IdentitySource,
  LambdaIntegration,
  LogGroupLogDestination,
  Period,
  RequestAuthorizer,
  ResponseType,
  RestApi,
  type UsagePlan,
} from "aws-cdk-lib/aws-apigateway";
import type { Alias, IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { type EventFlowSettings, SettingsError } from "../config.js";
import { ARCHIVE } from "../contracts/archive.js";
import {
  CORS_EXPOSE_HEADERS,
  CORS_EXTRA_ALLOW_HEADERS,
  gatewayCorsHeaders,
} from "../contracts/cors.js";
import { type FunctionName, type ResourceRefs, ROUTES } from "../contracts/functions.js";
import {
  AUTH_ANSWERS,
  type AuthAnswer,
  GATEWAY_ANSWERS,
  GATEWAY_ECHOED_HEADERS,
  INTERNAL_ERROR_MESSAGE,
  QUOTA_RETRY_AFTER_SECONDS,
  THROTTLED_RETRY_AFTER_SECONDS,
  WWW_AUTHENTICATE,
} from "../contracts/gateway.js";
import { TABLE } from "../contracts/tables.js";
import { EventFlowFunction } from "./eventflow-function.js";
import type { EventStorage } from "./storage.js";

export const DEFAULT_STAGE_NAME = "prod";
export const INGEST_ALIAS_NAME = "live";
/** Provisioned concurrency in use that target tracking aims for. */
export const PROVISIONED_UTILIZATION_TARGET = 0.7;

/** One JSON object per request; field names are what the runbooks query in Logs Insights. */
const ACCESS_LOG_FIELDS = {
  requestId: AccessLogField.contextRequestId(),
  extendedRequestId: AccessLogField.contextExtendedRequestId(),
  ip: AccessLogField.contextIdentitySourceIp(),
  userAgent: AccessLogField.contextIdentityUserAgent(),
  requestTime: AccessLogField.contextRequestTime(),
  method: AccessLogField.contextHttpMethod(),
  resourcePath: AccessLogField.contextResourcePath(),
  path: AccessLogField.contextPath(),
  protocol: AccessLogField.contextProtocol(),
  status: AccessLogField.contextStatus(),
  responseLength: AccessLogField.contextResponseLength(),
  latency: AccessLogField.contextResponseLatency(),
  integrationLatency: AccessLogField.contextIntegrationLatency(),
  integrationStatus: AccessLogField.contextIntegrationStatus(),
  errorMessage: AccessLogField.contextErrorMessage(),
  xrayTraceId: AccessLogField.contextXrayTraceId(),
  // Who called: from the authorizer's context (never the key itself).
  tenantId: AccessLogField.contextAuthorizer("tenantId"),
  keyId: AccessLogField.contextAuthorizer("keyId"),
  authorizerError: AccessLogField.contextAuthorizerError(),
} as const;

/**
 * Errors API Gateway answers itself, in the handlers' envelope
 * (`{"error":{"code","message","requestId"}}`, lambdas/shared/http.ts) and with the
 * codes, messages and headers the local runtime uses (lib/contracts/gateway.ts), so clients
 * see one shape everywhere. A type without its own response falls to DEFAULT_4XX/5XX.
 */
interface GatewayError {
  id: string;
  type: ResponseType;
  statusCode?: string;
  code: string;
  /** A JSON string literal, or a VTL variable that renders as one. */
  message: string;
  /** Static header values (the CORS headers are added to every response when configured). */
  headers?: Record<string, string>;
}

const GATEWAY_ERRORS: readonly GatewayError[] = [
  // An unknown route is "not found", not API Gateway's "Missing Authentication Token"
  // (a known route without a key is UNAUTHORIZED, below).
  fixed(
    "GatewayMissingRoute",
    ResponseType.MISSING_AUTHENTICATION_TOKEN,
    GATEWAY_ANSWERS.routeNotFound,
  ),
  fixed("GatewayUnauthorized", ResponseType.UNAUTHORIZED, AUTH_ANSWERS.unauthorized, {
    "WWW-Authenticate": WWW_AUTHENTICATE,
  }),
  fixed("GatewayAccessDenied", ResponseType.ACCESS_DENIED, AUTH_ANSWERS.forbidden),
  fixed("GatewayInvalidUsageKey", ResponseType.INVALID_API_KEY, AUTH_ANSWERS.noUsagePlan),
  // Stage throttling and the usage plan's alike.
  fixed("GatewayThrottled", ResponseType.THROTTLED, AUTH_ANSWERS.throttled, {
    "Retry-After": String(THROTTLED_RETRY_AFTER_SECONDS),
  }),
  fixed("GatewayQuotaExceeded", ResponseType.QUOTA_EXCEEDED, AUTH_ANSWERS.quotaExceeded, {
    "Retry-After": String(QUOTA_RETRY_AFTER_SECONDS),
  }),
  fixed("GatewayTooLarge", ResponseType.REQUEST_TOO_LARGE, GATEWAY_ANSWERS.tooLarge),
  fixed(
    "GatewayIntegrationTimeout",
    ResponseType.INTEGRATION_TIMEOUT,
    GATEWAY_ANSWERS.integrationTimeout,
  ),
  // Anything else API Gateway refuses (bad signature, WAF...): its own words, our shape.
  {
    id: "GatewayDefault4XX",
    type: ResponseType.DEFAULT_4XX,
    code: "bad_request",
    message: "$context.error.messageString",
  },
  // No status: API Gateway's own (502 for a failed function, 500 for a failed authorizer).
  {
    id: "GatewayDefault5XX",
    type: ResponseType.DEFAULT_5XX,
    code: GATEWAY_ANSWERS.internalError.code,
    message: JSON.stringify(INTERNAL_ERROR_MESSAGE),
  },
];

/**
 * Request bodies API Gateway hands over base64-encoded, byte for byte, instead of reading
 * them as UTF-8 text (which replaces invalid bytes): the data of binary-mode CloudEvents
 * (POST /v1/events with ce-* headers). The handlers decode either form. Not "*\/*": that
 * would also base64 JSON bodies and break the CORS preflight's MOCK integration. Binary
 * data of another type should be sent as application/octet-stream (or in structured mode
 * as data_base64); the local runtime passes every non-text type base64-encoded.
 */
export const BINARY_MEDIA_TYPES: readonly string[] = [
  "application/octet-stream",
  "application/cbor",
  "application/protobuf",
  "application/x-protobuf",
  "application/avro",
  "application/gzip",
  "application/zip",
  "application/pdf",
  "image/*",
  "audio/*",
  "video/*",
];

/** A gateway response with the status, code and message of a shared answer. */
function fixed(
  id: string,
  type: ResponseType,
  answer: AuthAnswer,
  headers?: Record<string, string>,
): GatewayError {
  return {
    id,
    type,
    statusCode: String(answer.status),
    code: answer.code,
    message: JSON.stringify(answer.message),
    ...(headers ? { headers } : {}),
  };
}

export interface EventApiProps {
  settings: EventFlowSettings;
  storage: EventStorage;
  refs: ResourceRefs;
  /** See EventFlowFunctionProps.projectRoot. */
  projectRoot?: string;
  /** @default DEFAULT_STAGE_NAME */
  stageName?: string;
  /** Windows and patterns: the API's windows function, and the sweep may send derived events. */
  windows: { windowsFunction: EventFlowFunction; sweepFunction: EventFlowFunction };
}

export class EventApi extends Construct {
  public readonly restApi: RestApi;
  public readonly accessLogGroup: LogGroup;
  public readonly ingestFunction: EventFlowFunction;
  public readonly queryFunction: EventFlowFunction;
  /** POST /v1/failed/replay: re-enqueues failed events (ops). */
  public readonly replayFunction: EventFlowFunction;
  /** The history API: exports, replays and erasures (jobs run by the jobs function). */
  public readonly historyFunction: EventFlowFunction;
  /** /v1/rules: a tenant's rules (configuration table) and their dry runs. */
  public readonly rulesFunction: EventFlowFunction;
  /** The Lambda REQUEST authorizer on every method: API key -> tenant, scopes, usage key. */
  public readonly authorizerFunction: EventFlowFunction;
  /** The schema registry's API (/v1/schemas...). */
  public readonly schemasFunction: EventFlowFunction;
  /** /v1/destinations and /v1/deliveries. */
  public readonly destinationsFunction: EventFlowFunction;
  public readonly authorizer: RequestAuthorizer;
  /**
   * The default per-tenant limits: each tenant's API Gateway API key (created by
   * `npm run keys`) is associated with this plan; throttle and quota apply per key.
   */
  public readonly usagePlan: UsagePlan;
  /** Base URL with the stage and no trailing slash: append a route path such as /v1/events. */
  public readonly url: string;
  /** The alias API Gateway invokes when provisioned concurrency is on. */
  public readonly ingestAlias?: Alias;

  constructor(scope: Construct, id: string, props: EventApiProps) {
    super(scope, id);
    const { settings, storage, refs, projectRoot } = props;

    this.ingestFunction = new EventFlowFunction(this, "Ingest", {
      name: "ingest",
      settings,
      refs,
      projectRoot,
    });
    this.ingestFunction.bindQueue(storage.queue, "send");
    // Schema enforcement: each type's schema item, by key.
    this.ingestFunction.bindConfigTable(storage.configTable, "lookup");

    this.queryFunction = new EventFlowFunction(this, "Query", {
      name: "query",
      settings,
      refs,
      projectRoot,
    });
    this.queryFunction.bindTable(storage.table, "read", storage.indexNames);
    // The health route reports queue depths.
    this.queryFunction.bindQueue(storage.queue, "inspect");
    this.queryFunction.bindQueue(storage.deadLetterQueue, "inspect");
    storage.cursorKey.grantRead(this.queryFunction.function);
    // GET /v1/openapi.json?include=schemas: the tenant's registered types.
    this.queryFunction.bindConfigTable(storage.configTable, "read");

    this.replayFunction = new EventFlowFunction(this, "Replay", {
      name: "replay",
      settings,
      refs,
      projectRoot,
    });
    this.replayFunction.bindFailedReplay(storage.table);
    this.replayFunction.bindQueue(storage.queue, "send");
    // A replayed event is validated again against its type's schema as it is now.
    this.replayFunction.bindConfigTable(storage.configTable, "lookup");
    storage.cursorKey.grantRead(this.replayFunction.function);

    this.historyFunction = new EventFlowFunction(this, "History", {
      name: "history",
      settings,
      refs,
      projectRoot,
    });
    this.historyFunction.bindConfigTable(storage.configTable, "jobs");
    this.historyFunction.bindQueue(storage.jobsQueue, "send");
    // A subject's data and export downloads: read the archive and exports (presigned URLs
    // are signed with this role, so it needs GetObject on exports); it writes no object.
    this.historyFunction.bindArchive(
      storage.archiveBucket,
      ["s3:GetObject"],
      [ARCHIVE.stagingPrefix, ARCHIVE.eventsPrefix, ARCHIVE.exportsPrefix],
    );

    this.destinationsFunction = new EventFlowFunction(this, "Destinations", {
      name: "destinations",
      settings,
      refs,
      projectRoot,
    });
    const destinations = this.destinationsFunction;
    destinations.bindDestinations(storage.configTable, "manage");
    destinations.bindDeliveriesLog(storage.deliveriesTable, "read", storage.deliveriesIndexNames);
    // Replay to a destination lists stored events by time.
    destinations.bindTable(storage.table, "read", storage.indexNames);
    destinations.bindQueue(storage.deliveryQueue, "send");
    destinations.bindQueue(storage.deliveryFifoQueue, "send");
    storage.destinationKey.grantRead(destinations.function);
    storage.cursorKey.grantRead(destinations.function);

    this.rulesFunction = new EventFlowFunction(this, "Rules", {
      name: "rules",
      settings,
      refs,
      projectRoot,
    });
    this.rulesFunction.bindRules(storage.configTable, "write");
    // Dry runs on the newest stored events of a type: the byType index, then the items.
    this.rulesFunction.bindTable(storage.table, "read", [TABLE.byTypeIndex.name]);
    storage.cursorKey.grantRead(this.rulesFunction.function);

    this.authorizerFunction = new EventFlowFunction(this, "Authorizer", {
      name: "authorizer",
      settings,
      refs,
      projectRoot,
    });
    this.authorizerFunction.bindKeyLookup(storage.keysTable);

    this.schemasFunction = new EventFlowFunction(this, "Schemas", {
      name: "schemas",
      settings,
      refs,
      projectRoot,
    });
    this.schemasFunction.bindConfigTable(storage.configTable, "registry");
    // Inferring a schema reads a type's recent events (the byType index, then the items).
    this.schemasFunction.bindTable(storage.table, "read", [TABLE.byTypeIndex.name]);
    storage.cursorKey.grantRead(this.schemasFunction.function);

    this.ingestAlias = this.provisionIngest(settings);

    this.accessLogGroup = new LogGroup(this, "AccessLogs", {
      retention: RetentionDays.ONE_MONTH,
    });
    this.restApi = new RestApi(this, "RestApi", {
      // Derived from the stack name so two stages in one account keep apart metrics.
      restApiName: `${Stack.of(this).stackName}-api`,
      description: "EventFlow HTTPS API",
      endpointTypes: [EndpointType.REGIONAL],
      // The account-wide CloudWatch role is not this stack's to own (see APIG6).
      cloudWatchRole: false,
      binaryMediaTypes: [...BINARY_MEDIA_TYPES],
      // Usage plans meter the key the authorizer returns (usageIdentifierKey), not an
      // x-api-key header: producers send one credential, their EventFlow key.
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      // No request validation (RequestValidator + Models), deliberately. The handlers
      // validate with the zod schemas that also produce the OpenAPI description
      // (lambdas/http/openapi-document.ts, GET /v1/openapi.json). Models from the same schemas
      // (z.toJSONSchema target "draft-04") were evaluated and rejected:
      // - API Gateway answers a failed model with its own BAD_REQUEST_BODY response: one
      //   message, no per-field `details`, and no per-event results in a batch, where the
      //   handler rejects only the invalid events and queues the rest;
      // - POST /v1/events is several bodies under one media type: application/json is a
      //   native event, a native batch, or the data of a binary-mode CloudEvent (any JSON),
      //   so no single model can be right for it;
      // - draft 4 cannot express checks the handler makes (reserved keys, numbers DynamoDB
      //   cannot store exactly, nesting depth, event size, extension attribute names);
      // - query strings are validated strictly by the handlers (unknown or repeated
      //   parameters are errors), which request parameters cannot express.
      // The cdk-nag finding AwsSolutions-APIG2 is acknowledged in eventflow-stack.ts.
      deployOptions: {
        stageName: props.stageName ?? DEFAULT_STAGE_NAME,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        throttlingRateLimit: settings.apiThrottleRateLimit,
        throttlingBurstLimit: settings.apiThrottleBurstLimit,
        metricsEnabled: true,
        tracingEnabled: true,
        dataTraceEnabled: false,
      },
      defaultCorsPreflightOptions:
        settings.corsOrigins.length > 0
          ? {
              allowOrigins: settings.corsOrigins,
              allowMethods: [...new Set(ROUTES.map((r) => r.method))],
              allowHeaders: [...Cors.DEFAULT_HEADERS, ...CORS_EXTRA_ALLOW_HEADERS],
              exposeHeaders: [...CORS_EXPOSE_HEADERS],
            }
          : undefined,
    });

    const stack = Stack.of(this);
    this.url = `https://${this.restApi.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${this.restApi.deploymentStage.stageName}`;

    // Gateway responses skip the functions, so they carry CORS headers of their own (the
    // preflight alone lets a browser send the request, not read a 401 or a 429), and the
    // caller's correlation id.
    const mapped = Object.fromEntries(
      Object.entries({
        ...gatewayCorsHeaders(settings.corsOrigins),
        ...GATEWAY_ECHOED_HEADERS,
      }).map(([name, source]) => [
        name,
        source.kind === "static" ? `'${source.value}'` : `method.request.header.${source.name}`,
      ]),
    );
    for (const e of GATEWAY_ERRORS) {
      const headers = {
        ...Object.fromEntries(Object.entries(e.headers ?? {}).map(([k, v]) => [k, `'${v}'`])),
        ...mapped,
      };
      this.restApi.addGatewayResponse(e.id, {
        type: e.type,
        statusCode: e.statusCode,
        ...(Object.keys(headers).length > 0 ? { responseHeaders: headers } : {}),
        templates: {
          "application/json": `{"error":{"code":"${e.code}","message":${e.message},"requestId":"$context.requestId"}}`,
        },
      });
    }

    // Cached per Authorization header value; the policy it caches covers every route the
    // key may call (lambdas/domain/access-policy.ts). A request without the header is 401
    // without invoking the function.
    this.authorizer = new RequestAuthorizer(this, "KeyAuthorizer", {
      handler: this.authorizerFunction.function,
      identitySources: [IdentitySource.header("Authorization")],
      resultsCacheTtl: Duration.seconds(settings.authorizerCacheSeconds),
    });

    this.usagePlan = this.restApi.addUsagePlan("TenantPlan", {
      description:
        "EventFlow default per-tenant limits: every tenant's API key is associated with it (npm run keys)",
      throttle: { rateLimit: settings.tenantRateLimit, burstLimit: settings.tenantBurstLimit },
      ...(settings.tenantQuotaPerDay > 0
        ? { quota: { limit: settings.tenantQuotaPerDay, period: Period.DAY } }
        : {}),
      apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
    });

    const targets: Partial<Record<FunctionName, IFunction>> = {
      ingest: this.ingestAlias ?? this.ingestFunction.function,
      query: this.queryFunction.function,
      replay: this.replayFunction.function,
      history: this.historyFunction.function,
      schemas: this.schemasFunction.function,
      destinations: this.destinationsFunction.function,
      rules: this.rulesFunction.function,
      windows: props.windows.windowsFunction.function,
    };
    const integrations = new Map<FunctionName, LambdaIntegration>();
    for (const route of ROUTES) {
      const target = targets[route.function];
      if (!target) {
        throw new Error(
          `Route ${route.method} ${route.path}: "${route.function}" is not an API function`,
        );
      }
      let integration = integrations.get(route.function);
      if (!integration) {
        // No test-invoke permission: one Lambda permission per method is enough.
        integration = new LambdaIntegration(target, { proxy: true, allowTestInvoke: false });
        integrations.set(route.function, integration);
      }
      this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration, {
        authorizer: this.authorizer,
        authorizationType: AuthorizationType.CUSTOM,
        // The tenant's usage plan key (from the authorizer) must be a key of the plan.
        apiKeyRequired: true,
      });
    }
  }

  /** Provisioned concurrency on a "live" alias, scaled by target tracking. */
  private provisionIngest(settings: EventFlowSettings): Alias | undefined {
    const min = settings.ingestProvisionedConcurrency;
    if (min === 0) return undefined;
    const max = settings.ingestProvisionedConcurrencyMax;
    if (max < min) {
      throw new SettingsError(
        `Invalid EventFlow settings: ingestProvisionedConcurrencyMax (${max}) must be at least ingestProvisionedConcurrency (${min})`,
      );
    }
    const alias = this.ingestFunction.function.addAlias(INGEST_ALIAS_NAME, {
      provisionedConcurrentExecutions: min,
    });
    const scaling = alias.addAutoScaling({ minCapacity: min, maxCapacity: max });
    scaling.scaleOnUtilization({ utilizationTarget: PROVISIONED_UTILIZATION_TARGET });
    return alias;
  }
}

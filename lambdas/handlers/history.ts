/**
 * The history API (README "History"): exports (POST /v1/exports, GET /v1/exports/{id}),
 * replays from the archive (POST /v1/replays, GET and DELETE /v1/replays/{id}), erasure
 * (DELETE /v1/subjects/{subject}, GET /v1/erasures/{id}) and a subject's data
 * (GET /v1/subjects/{subject}/export). Jobs are stored in the configuration table and run
 * by the jobs function from the jobs queue; every path is the caller's tenant's only.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type * as z from "zod";
import { ENV } from "../../lib/contracts/environment.js";
import { ROUTES } from "../../lib/contracts/functions.js";
import { DynamoDbDestinationOrdering } from "../adapters/dynamodb-destination-ordering.js";
import { DynamoDbJobStore } from "../adapters/dynamodb-job-store.js";
import { DynamoDbDeclarationStore } from "../adapters/dynamodb-window-store.js";
import { LazyArchiveStore } from "../adapters/lazy-archive-store.js";
import { SqsJobQueue } from "../adapters/sqs-job-queue.js";
import { compileEventPattern } from "../domain/event-pattern.js";
import {
  exportRequestSchema,
  isFinished,
  type Job,
  type JobKind,
  jobView,
  type ReplayRequest,
  replayRequestSchema,
  subjectSchema,
} from "../domain/history-jobs.js";
import { uuidv7 } from "../domain/ids.js";
import { type FieldError, limitErrors } from "../domain/json.js";
import type { ArchiveStore } from "../ports/archive.js";
import type { DestinationLookup } from "../ports/destinations.js";
import type { JobQueue, JobStore } from "../ports/history-jobs.js";
import type { DeclarationStore } from "../ports/windows.js";
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
  unmatchedRoute,
} from "../shared/http.js";
import { logger } from "../shared/powertools.js";
import { startJob, subjectEvents } from "../use-cases/history-jobs.js";
import { loadArchiveStoreWiring } from "./archive-store-loader.js";

export interface HistoryDeps {
  jobs: JobStore;
  queue: JobQueue;
  store: ArchiveStore;
  /** A replay's target is checked when it is accepted: the destination, the aggregation. */
  destinations: DestinationLookup;
  declarations: Pick<DeclarationStore, "get">;
  exportUrlSeconds: number;
  replayMaxRate: number;
  /** archiveStagedReadMaxFiles: the subject export answers 503 above it (absent: no bound). */
  stagedReadMaxFiles?: number;
  http: HttpConfig;
  now?: () => Date;
}

export function historyDeps(
  env: EnvRecord,
  clients: {
    documentClient: DynamoDBDocumentClient;
    sqs: SQSClient;
    /** Absent (the Lambda entry): built with the archive store, on its first use. */
    s3?: S3Client;
  },
): HistoryDeps {
  const config = parseEnv(
    {
      [ENV.configTableName]: envVars[ENV.configTableName],
      [ENV.archiveBucket]: envVars[ENV.archiveBucket],
      [ENV.jobsQueueUrl]: envVars[ENV.jobsQueueUrl],
      [ENV.exportUrlSeconds]: envVars[ENV.exportUrlSeconds],
      [ENV.replayMaxRate]: envVars[ENV.replayMaxRate],
      [ENV.archiveStagedReadMaxFiles]: envVars[ENV.archiveStagedReadMaxFiles],
      [ENV.archiveFileRoot]: envVars[ENV.archiveFileRoot],
    },
    env,
  );
  const fileRoot = config[ENV.archiveFileRoot];
  return {
    jobs: new DynamoDbJobStore(clients.documentClient, config[ENV.configTableName]),
    queue: new SqsJobQueue(clients.sqs, config[ENV.jobsQueueUrl]),
    // S3 and Parquet are loaded by the routes that read the archive or sign a download only.
    store: new LazyArchiveStore(async () =>
      (await loadArchiveStoreWiring()).s3ArchiveStore(
        { bucket: config[ENV.archiveBucket], ...(fileRoot ? { fileRoot } : {}) },
        clients.s3,
      ),
    ),
    destinations: new DynamoDbDestinationOrdering(
      clients.documentClient,
      config[ENV.configTableName],
    ),
    declarations: new DynamoDbDeclarationStore(clients.documentClient, config[ENV.configTableName]),
    exportUrlSeconds: config[ENV.exportUrlSeconds],
    replayMaxRate: config[ENV.replayMaxRate],
    stagedReadMaxFiles: config[ENV.archiveStagedReadMaxFiles],
    http: httpConfig(env),
  };
}

const routes = ROUTES.filter((r) => r.function === "history");

type Action = (req: HttpRequest, params: Record<string, string>) => Promise<HttpResponse>;

const issuesOf = (error: z.ZodError): FieldError[] =>
  limitErrors(
    error.issues.map((i) => ({
      path: i.path.map(String).join(".") || "(body)",
      message: i.message,
    })),
  );

function jsonBody(
  req: HttpRequest,
): { ok: true; value: unknown } | { ok: false; res: HttpResponse } {
  const body = bodyText(req.event);
  if (!body.ok) {
    return { ok: false, res: httpError(400, "invalid_body", "The body is not valid UTF-8") };
  }
  try {
    return { ok: true, value: body.text ? JSON.parse(body.text) : {} };
  } catch {
    return { ok: false, res: httpError(400, "invalid_json", "The body is not valid JSON") };
  }
}

const ID_PATTERN = /^[0-9a-f-]{36}$/;

const invalidSubject = httpError(400, "validation_failed", "The subject is invalid", {
  details: [{ path: "subject", message: "must be 1-1024 characters" }],
});

/** The newest jobs a list answers (GET /v1/exports, /v1/replays, /v1/erasures). */
export const JOB_LIST_LIMIT = 25;

/** A request's event pattern, compiled once here so a bad one is a 400, not a failed job. */
function patternProblem(pattern: unknown): HttpResponse | undefined {
  if (pattern === undefined) return undefined;
  try {
    compileEventPattern(pattern);
    return undefined;
  } catch (error) {
    return httpError(400, "validation_failed", "The event pattern is invalid", {
      details: [{ path: "pattern", message: (error as Error).message.slice(0, 500) }],
    });
  }
}

/** The scope a replay to one destination needs beside `admin`: it sends events out. */
export const DESTINATION_REPLAY_SCOPE = "destinations:write";

/**
 * A replay's target, checked when it is accepted (the job checks again at each slice): the
 * destination exists and is enabled, the aggregation exists (its current version is fixed
 * in the request, so a re-declaration during the run does not split it).
 */
async function targetProblem(
  request: ReplayRequest,
  req: HttpRequest,
  deps: HistoryDeps,
): Promise<HttpResponse | undefined> {
  const target = request.target;
  if (target.kind === "destination") {
    if (!req.scopes.includes(DESTINATION_REPLAY_SCOPE)) {
      return httpError(
        403,
        "forbidden",
        `A replay to a destination sends events out: it needs the ${DESTINATION_REPLAY_SCOPE} scope too`,
      );
    }
    const state = await deps.destinations.state(req.tenantId, target.destination);
    if (!state) {
      return httpError(400, "validation_failed", "The replay's target does not exist", {
        details: [
          {
            path: "target.destination",
            message: `no destination of this tenant has the id ${target.destination}`,
          },
        ],
      });
    }
    if (!state.enabled) {
      return httpError(
        409,
        "conflict",
        `Destination ${target.destination} is disabled: enable it first (PATCH enabled: true)`,
      );
    }
  }
  if (target.kind === "aggregation") {
    const decl = await deps.declarations.get(req.tenantId, "aggregation", target.aggregation);
    if (!decl) {
      return httpError(400, "validation_failed", "The replay's target does not exist", {
        details: [
          {
            path: "target.aggregation",
            message: `no aggregation of this tenant is named ${target.aggregation}`,
          },
        ],
      });
    }
    target.version = decl.version;
  }
  return undefined;
}

export function createHistoryHandler(deps: HistoryDeps) {
  const now = deps.now ?? (() => new Date());
  const api = { jobs: deps.jobs, queue: deps.queue, now, newId: uuidv7 };

  const findJob = async (tenant: string, kind: JobKind, id: string | undefined) =>
    id && ID_PATTERN.test(id) ? deps.jobs.get(tenant, kind, id) : undefined;
  const notFound = (what: string) => httpError(404, "not_found", `No ${what} has this id`);

  const exportView = async (job: Job) => {
    const view = jobView(job);
    // An export whose file an erasure deleted says so in `error` and has no download.
    if (job.status !== "succeeded" || !job.result || job.error) return view;
    return {
      ...view,
      download: {
        ...(await deps.store.downloadUrl(job.result.key, deps.exportUrlSeconds)),
        expiresInSeconds: deps.exportUrlSeconds,
      },
    };
  };

  const list =
    (kind: JobKind): Action =>
    async (req) => {
      const jobs = await deps.jobs.list(req.tenantId, kind, JOB_LIST_LIMIT);
      return json(200, {
        items: await Promise.all(jobs.map((j) => (kind === "export" ? exportView(j) : jobView(j)))),
      });
    };

  const actions: Record<string, Action> = {
    "GET /v1/exports": list("export"),
    "GET /v1/replays": list("replay"),
    "GET /v1/erasures": list("erasure"),
    "POST /v1/exports": async (req) => {
      const body = jsonBody(req);
      if (!body.ok) return body.res;
      const parsed = exportRequestSchema.safeParse(body.value);
      if (!parsed.success) {
        return httpError(400, "validation_failed", "The export request is invalid", {
          details: issuesOf(parsed.error),
        });
      }
      const badPattern = patternProblem(parsed.data.pattern);
      if (badPattern) return badPattern;
      const job = await startJob(req.tenantId, "export", parsed.data, api);
      logger.info("Export accepted", { tenantId: req.tenantId, exportId: job.id });
      return json(202, jobView(job), { Location: `/v1/exports/${job.id}` });
    },
    "GET /v1/exports/{id}": async (req, { id }) => {
      const job = await findJob(req.tenantId, "export", id);
      return job ? json(200, await exportView(job)) : notFound("export");
    },
    "POST /v1/replays": async (req) => {
      const body = jsonBody(req);
      if (!body.ok) return body.res;
      const parsed = replayRequestSchema.safeParse(body.value);
      if (!parsed.success) {
        return httpError(400, "validation_failed", "The replay request is invalid", {
          details: issuesOf(parsed.error),
        });
      }
      if (parsed.data.rate !== undefined && parsed.data.rate > deps.replayMaxRate) {
        return httpError(400, "validation_failed", "The replay request is invalid", {
          details: [{ path: "rate", message: `must be at most ${deps.replayMaxRate}` }],
        });
      }
      const badPattern = patternProblem(parsed.data.pattern);
      if (badPattern) return badPattern;
      const badTarget = await targetProblem(parsed.data, req, deps);
      if (badTarget) return badTarget;
      const job = await startJob(req.tenantId, "replay", parsed.data, api);
      logger.info("Replay accepted", {
        tenantId: req.tenantId,
        keyId: req.keyId,
        replayId: job.id,
        target: parsed.data.target.kind,
      });
      return json(202, jobView(job), { Location: `/v1/replays/${job.id}` });
    },
    "GET /v1/replays/{id}": async (req, { id }) => {
      const job = await findJob(req.tenantId, "replay", id);
      return job ? json(200, jobView(job)) : notFound("replay");
    },
    "DELETE /v1/replays/{id}": async (req, { id }) => {
      const job = await findJob(req.tenantId, "replay", id);
      if (!job) return notFound("replay");
      if (!isFinished(job.status)) {
        await deps.jobs.requestCancel(req.tenantId, "replay", job.id);
        job.cancelRequested = true;
      }
      return json(202, jobView(job));
    },
    "DELETE /v1/subjects/{subject}": async (req, { subject }) => {
      const parsed = subjectSchema.safeParse(subject);
      if (!parsed.success) return invalidSubject;
      const job = await startJob(req.tenantId, "erasure", { subject: parsed.data }, api);
      // The audit line names who asked, never the subject (it is the personal data).
      logger.info("Erasure accepted", {
        tenantId: req.tenantId,
        keyId: req.keyId,
        erasureId: job.id,
      });
      return json(202, jobView(job), { Location: `/v1/erasures/${job.id}` });
    },
    "GET /v1/erasures/{id}": async (req, { id }) => {
      const job = await findJob(req.tenantId, "erasure", id);
      return job ? json(200, jobView(job)) : notFound("erasure");
    },
    "GET /v1/subjects/{subject}/export": async (req, { subject }) => {
      const parsed = subjectSchema.safeParse(subject);
      if (!parsed.success) return invalidSubject;
      const { events, completeThrough } = await subjectEvents(
        deps.store,
        req.tenantId,
        parsed.data,
        deps.stagedReadMaxFiles,
      );
      // Over the staged-read bound the last minutes (staged, not yet filed) are not read:
      // the answer says up to when it is complete, and a later call gets the rest.
      return json(200, {
        subject: parsed.data,
        count: events.length,
        events,
        complete: completeThrough === undefined,
        ...(completeThrough ? { completeThrough } : {}),
      });
    },
  };

  return httpHandler(async (req) => {
    const match = matchRoute(req.event, routes);
    if (match.kind !== "matched") return unmatchedRoute(match);
    const query = req.event.queryStringParameters ?? {};
    const unknown = Object.keys(query);
    if (unknown.length > 0) {
      return httpError(400, "validation_failed", "The query parameters are invalid", {
        details: unknown.map((path) => ({ path, message: "is not a known parameter" })),
      });
    }
    const action = actions[`${match.route.method} ${match.route.path}`];
    if (!action) throw new Error(`route ${match.route.path} has no action`);
    return action(req, match.params);
  }, deps.http);
}

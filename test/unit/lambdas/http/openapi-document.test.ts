/**
 * The OpenAPI description: valid OpenAPI 3.1 for a standard validator, complete (every
 * route of ROUTES), derived from the handlers' zod schemas, served by the query
 * function, and usable: openapi-typescript generates types from it, a client written
 * against them typechecks (and a wrong body does not), and that client, run with
 * openapi-fetch, sends events and reads them back through the real handlers.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DeleteMessageBatchCommand } from "@aws-sdk/client-sqs";
import { validate } from "@readme/openapi-parser";
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { cloudEventSchema, cloudEventStoredId } from "../../../../lambdas/domain/cloudevents.js";
import { incomingEventSchema } from "../../../../lambdas/domain/event.js";
import {
  buildOpenApiDocument,
  isDocumented,
  type OpenApiDocument,
} from "../../../../lambdas/http/openapi-document.js";
import { type FunctionName, ROUTES } from "../../../../lib/contracts/functions.js";
import { renderDocsHtml } from "../../../../local/console/docs-html.js";
import { apiEvent, bodyOf, lambdaContext } from "../../../support/apigw.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";
import {
  receiveNow,
  lambdaContext as sqsContext,
  sqsEvent,
  toRecord,
} from "../handlers/process-fixtures.js";

const repoRoot = resolve(import.meta.dirname, "../../../..");
const doc = buildOpenApiDocument();

type ApiHandler = (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>;

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1 for @readme/openapi-parser", async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result).toMatchObject({ valid: true, specification: "OpenAPI" });
    expect(doc.openapi).toBe("3.1.0");
  });

  it("the validator does reject a broken document", async () => {
    const dangling = structuredClone(doc);
    delete dangling.components.schemas.ErrorEnvelope;
    expect((await validate(dangling as never)).valid).toBe(false);
    const untitled = structuredClone(doc) as { info: { title?: string } };
    delete untitled.info.title;
    expect((await validate(untitled as never)).valid).toBe(false);
  });

  it("describes every route of ROUTES, and nothing else", () => {
    const described = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(described.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    const undocumented = ROUTES.filter((r) => !isDocumented(r)).map((r) => `${r.method} ${r.path}`);
    expect(
      undocumented,
      "routes without an entry in OPERATIONS (lambdas/http/openapi-document.ts)",
    ).toEqual([]);
    for (const route of ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op?.["x-eventflow-function"]).toBe(route.function);
      expect(op?.responses["500"]?.content?.["application/json"]?.schema).toEqual({
        $ref: "#/components/schemas/ErrorEnvelope",
      });
      for (const [, name] of route.path.matchAll(/\{(\w+)\}/g)) {
        expect(op?.parameters).toContainEqual(
          expect.objectContaining({ name, in: "path", required: true }),
        );
      }
    }
    expect(doc.servers).toEqual([expect.objectContaining({ url: ".." })]);
  });

  it("takes its schemas from the zod schemas the handlers validate with", () => {
    const asComponent = (schema: z.ZodType) => {
      const { $schema: _, ...rest } = z.toJSONSchema(schema, {
        target: "draft-2020-12",
        io: "input",
      }) as Record<string, unknown>;
      return rest;
    };
    expect(doc.components.schemas.NativeEvent).toEqual(asComponent(incomingEventSchema));
    expect(doc.components.schemas.CloudEvent).toEqual(asComponent(cloudEventSchema));
    const post = doc.paths["/v1/events"]?.post;
    expect(Object.keys(post?.requestBody?.content ?? {})).toEqual([
      "application/json",
      "application/cloudevents+json",
      "application/cloudevents-batch+json",
      "application/octet-stream",
      "text/plain",
      "*/*",
    ]);
    // Binary mode: any media type and, under application/json, any JSON value.
    expect(post?.requestBody?.["x-eventflow-binary-mode"]?.header).toBe("ce-specversion");
    expect(post?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(["ce-specversion", "ce-id", "ce-source", "ce-type"]),
    );
    for (const status of ["400", "413", "415"]) {
      expect(post?.responses[status]?.content?.["application/json"]?.schema).toEqual({
        $ref: "#/components/schemas/ErrorEnvelope",
      });
    }
    const get = doc.paths["/v1/events/{id}"]?.get;
    expect(Object.keys(get?.responses["200"]?.content ?? {})).toEqual([
      "application/json",
      "application/cloudevents+json",
    ]);
    // Query parameters are the use case's schema keys.
    expect(doc.paths["/v1/events"]?.get?.parameters?.map((p) => p.name)).toEqual([
      "type",
      "status",
      "from",
      "to",
      "limit",
      "cursor",
    ]);
  });

  it("renders as one self-contained HTML page", () => {
    const html = renderDocsHtml(doc);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    for (const route of ROUTES) expect(html).toContain(`<code>${route.path}</code>`);
    expect(html).toContain('id="schema-CloudEvent"');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    // Descriptions are escaped: nothing from the document becomes markup.
    const hostile = structuredClone(doc);
    hostile.info.description = "<img src=x onerror=alert(1)> `<b>`";
    const page = renderDocsHtml(hostile);
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt; <code>&lt;b&gt;</code>");
    expect(page).not.toContain("<img");
  });
});

describe("a client generated from the document", () => {
  let aws: TestAws;
  let server: Server;
  let baseUrl: string;
  let workDir: string;
  let stopProcessing: () => Promise<void>;
  let served: OpenApiDocument;

  beforeAll(async () => {
    aws = await startTestAws(["ingest", "query", "process"]);
    const handlers: Partial<Record<FunctionName, ApiHandler>> = {
      ingest: (await import("../../../../lambdas/entry/ingest.js")).handler,
      query: await aws.handler("query"),
    };
    const { handler: process } = (await import("../../../../lambdas/entry/process.js")) as {
      handler: (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;
    };
    server = createServer((req, res) => {
      void adapt(req, handlers).then(
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers as Record<string, string>);
          res.end(answer.body);
        },
        (error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        },
      );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stopProcessing = processInBackground(aws, process);
    workDir = await mkdtemp(join(tmpdir(), "eventflow-openapi-"));
    served = (await (await fetch(`${baseUrl}/v1/openapi.json`)).json()) as OpenApiDocument;
    // The generated client: types from the served document, and a program using them.
    await writeFile(join(workDir, "api.ts"), astToString(await openapiTS(served as never)));
    await writeFile(join(workDir, "client.ts"), clientSource());
  });

  afterAll(async () => {
    await stopProcessing?.();
    server?.close();
    await aws?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("is served by the query function at GET /v1/openapi.json", async () => {
    expect(served).toEqual(JSON.parse(JSON.stringify(doc)));
    const result = await ((await aws.handler("query")) as ApiHandler)(
      apiEvent({ path: "/v1/openapi.json" }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(200);
    expect(result.headers?.["Cache-Control"]).toBe("public, max-age=300");
    expect(bodyOf(result)).toEqual(served);
  });

  it("openapi-typescript types it; a client typechecks, a wrong body does not", async () => {
    await writeFile(
      join(workDir, "wrong.ts"),
      `import createClient from ${JSON.stringify(openapiFetchPath())};
import type { paths } from "./api.js";
const client = createClient<paths>({ baseUrl: "http://localhost" });
await client.POST("/v1/events", { body: { type: 42, data: {} } });
await client.GET("/v1/events/{id}", { params: { path: {} } });
await client.GET("/v1/nowhere");
`,
    );
    expect(typecheck(join(workDir, "client.ts"))).toEqual([]);
    const errors = typecheck(join(workDir, "wrong.ts"));
    expect(errors.map((e) => e.line)).toEqual(expect.arrayContaining([4, 5, 6]));
  }, 60_000);

  it("openapi-fetch with the generated types sends events and reads them back", async () => {
    // client.ts was typechecked above; Node runs it as is (type stripping).
    const child = spawn(process.execPath, [join(workDir, "client.ts"), baseUrl], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, "exit");
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out.native).toMatchObject({
      posted: { status: 202, body: { id: out.nativeId, status: "queued" } },
      read: {
        status: 200,
        body: { id: out.nativeId, type: "order.created", status: "processed" },
      },
    });
    const storedId = cloudEventStoredId("/openapi/client", String(out.ceId));
    expect(out.cloud).toMatchObject({
      posted: { status: 202, body: { id: storedId, ceId: out.ceId, status: "queued" } },
      read: {
        status: 200,
        contentType: "application/cloudevents+json; charset=utf-8",
        body: {
          specversion: "1.0",
          id: out.ceId,
          source: "/openapi/client",
          type: "com.example.generated",
          region: "eu",
          data: { ok: true },
          eventflowid: storedId,
          eventflowstatus: "processed",
        },
      },
    });
    expect(out.invalid).toMatchObject({
      status: 400,
      body: { error: { code: "validation_failed", details: [{ path: "data" }] } },
    });
  }, 60_000);

  function typecheck(file: string): { line: number; message: string }[] {
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      types: [],
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => ({
      line:
        d.file && d.start !== undefined
          ? d.file.getLineAndCharacterOfPosition(d.start).line + 1
          : 0,
      message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    }));
  }
});

const openapiFetchPath = () => join(repoRoot, "node_modules/openapi-fetch/dist/index.mjs");

/** The generated client's program: typechecked, then run by Node against the server. */
function clientSource(): string {
  return `import createClient from ${JSON.stringify(openapiFetchPath())};
import type { paths } from "./api.js";

declare const process: { argv: string[] };
const client = createClient<paths>({ baseUrl: process.argv[2] ?? "" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readBack<T>(read: () => Promise<{ response: Response; data?: T }>) {
  for (let i = 0; i < 100; i++) {
    const { response, data } = await read();
    if (response.status !== 404) {
      return { status: response.status, contentType: response.headers.get("content-type"), body: data };
    }
    await sleep(50);
  }
  throw new Error("never processed");
}

const nativeId = \`generated-\${Date.now()}\`;
const posted = await client.POST("/v1/events", {
  body: { id: nativeId, type: "order.created", data: { orderId: "o-1", total: 12.5 } },
});
const native = {
  posted: { status: posted.response.status, body: posted.data },
  read: await readBack(() => client.GET("/v1/events/{id}", { params: { path: { id: nativeId } } })),
};

const ceId = \`ce-\${Date.now()}\`;
const cePosted = await client.POST("/v1/events", {
  body: { specversion: "1.0", id: ceId, source: "/openapi/client", type: "com.example.generated", region: "eu", data: { ok: true } },
  headers: { "Content-Type": "application/cloudevents+json" },
});
const storedId = cePosted.data && "id" in cePosted.data ? cePosted.data.id : "";
const cloud = {
  posted: { status: cePosted.response.status, body: cePosted.data },
  read: await readBack(() =>
    client.GET("/v1/events/{id}", {
      params: { path: { id: storedId } },
      headers: { Accept: "application/cloudevents+json" },
      parseAs: "json",
    }),
  ),
};

// A body the types allow but the handler refuses (data must be an object): an error answer.
const refused = await client.POST("/v1/events", {
  body: { type: "order.created", data: JSON.parse("[1]") as Record<string, unknown> },
});
const invalid = { status: refused.response.status, body: refused.error };

console.log(JSON.stringify({ nativeId, ceId, native, cloud, invalid }));
`;
}

/** A tiny API Gateway: an HTTP request as a REST proxy event for the route's function. */
async function adapt(
  req: IncomingMessage,
  handlers: Partial<Record<FunctionName, ApiHandler>>,
): Promise<APIGatewayProxyResult> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const route = ROUTES.find(
    (r) =>
      r.method === req.method &&
      new RegExp(`^${r.path.replace(/\{\w+\}/g, "[^/]+")}$`).test(url.pathname),
  );
  const handler = route ? handlers[route.function] : undefined;
  if (!route || !handler) return { statusCode: 404, body: '{"message":"Not Found"}' };
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers[name] = value;
  }
  const text = /json|^text\//.test(headers["content-type"] ?? "application/json");
  return handler(
    apiEvent({
      method: req.method ?? "GET",
      path: `${url.pathname}${url.search}`,
      resource: route.path,
      headers,
      ...(body.length > 0
        ? { body: text ? body.toString("utf8") : body.toString("base64"), isBase64Encoded: !text }
        : {}),
    }),
    lambdaContext(),
  );
}

/** The event source mapping: polls the queue and runs the process handler, until stopped. */
function processInBackground(
  aws: TestAws,
  process: (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>,
): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      const messages = await receiveNow(aws.sqs, aws.resources.queueUrl, 1);
      if (messages.length === 0) continue;
      const records = messages.map((m) => toRecord(m, aws.resources.queueArn));
      const response = await process(sqsEvent(records), sqsContext("process"));
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      const done = messages.filter((m) => !failed.has(m.MessageId ?? ""));
      if (done.length > 0) {
        await aws.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: aws.resources.queueUrl,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

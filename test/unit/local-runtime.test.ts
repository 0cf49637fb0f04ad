/**
 * The runtime as a whole, in this process, with small test handlers in place of the
 * real ones: environment before cold start, the local admin endpoints, injected
 * crashes, graceful shutdown, data folders and start-up errors.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEvent, SQSEvent, SQSRecord } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { CliError, helpText, parseCli } from "../../local/cli.js";
import type { FunctionSetup, HandlerFactory } from "../../local/functions.js";
import type { AnyHandler } from "../../local/lambda.js";
import { type Runtime, RuntimeStartError, startRuntime } from "../../local/runtime.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const running: Runtime[] = [];
const temps: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.shutdown({ drain: false })));
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "eventflow-runtime-"));
  temps.push(dir);
  return dir;
}

interface TestHandlers {
  records: SQSRecord[];
  processEnvironment?: FunctionSetup["environment"];
  process?: (event: SQSEvent) => Promise<unknown>;
}

/** Handlers that only use what the runtime gives them: their environment, clients and the event. */
function testHandlers(state: TestHandlers): Partial<Record<string, HandlerFactory>> {
  type Endpoint = { protocol: string; hostname: string; port?: number };
  const endpoint = async (client: { config: { endpoint?: unknown } }) => {
    const e = await (client.config.endpoint as () => Promise<Endpoint>)();
    return `${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ""}`;
  };
  const fixed = (handler: AnyHandler) => () => handler;
  return {
    ingest: ({ environment, clients }: FunctionSetup) =>
      (async (event: APIGatewayProxyEvent) => {
        await clients.sqs.send(
          new SendMessageCommand({
            QueueUrl: environment.EVENTS_QUEUE_URL,
            MessageBody: event.body ?? "",
          }),
        );
        return { statusCode: 202, body: JSON.stringify({ status: "queued" }) };
      }) as AnyHandler,
    query: ({ environment, clients }: FunctionSetup) =>
      (async () => ({
        statusCode: 200,
        body: JSON.stringify({
          table: environment.EVENTS_TABLE_NAME,
          sqs: await endpoint(clients.sqs),
          dynamodb: await endpoint(clients.dynamodb),
          // Each function gets its own environment: retry settings are the process function's.
          retryBase: environment.RETRY_BASE_DELAY_SECONDS ?? "absent",
          // The runtime leaves process.env alone.
          processEnv: process.env.EVENTS_TABLE_NAME ?? null,
        }),
      })) as AnyHandler,
    process: ({ environment }: FunctionSetup) => {
      state.processEnvironment = environment;
      return (async (event: SQSEvent) => {
        state.records.push(...event.Records);
        return state.process ? state.process(event) : { batchItemFailures: [] };
      }) as AnyHandler;
    },
    dlq: fixed((async () => null) as AnyHandler),
    // Any key opens every route (the real authorizer: test/unit/local-auth.test.ts).
    authorizer: fixed((async () => ({
      principalId: "test",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: ["*"] }],
      },
      context: { tenantId: "local", scopes: "events:write events:read admin", keyId: "test" },
      usageIdentifierKey: "test",
    })) as AnyHandler),
  };
}

async function start(
  state: TestHandlers,
  extra: Partial<Parameters<typeof startRuntime>[0]> = {},
): Promise<Runtime> {
  const runtime = await startRuntime({
    repoRoot,
    port: 0,
    host: "127.0.0.1",
    dataDir: null,
    logLevel: "silent",
    captureOutput: false,
    settings: { processTimeoutSeconds: 1, retryBaseDelaySeconds: 0 },
    handlers: testHandlers(state),
    ...extra,
  });
  running.push(runtime);
  return runtime;
}

const api = (runtime: Runtime) => `http://127.0.0.1:${runtime.port}`;

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every API route needs a key; the test authorizer above accepts any. */
const AUTH = { authorization: "Bearer test-key" };

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...AUTH },
    body: JSON.stringify(body),
  });

describe("start-up", () => {
  it("builds each handler from its function's environment and the endpoints' clients", async () => {
    const state: TestHandlers = { records: [] };
    const runtime = await start(state);
    const res = await fetch(`${api(runtime)}/v1/events`, { headers: AUTH });
    expect(await res.json()).toEqual({
      table: "eventflow-events",
      sqs: runtime.endpoints.sqs,
      dynamodb: runtime.endpoints.dynamodb,
      retryBase: "absent",
      processEnv: null,
    });
    expect(runtime.endpoints).toMatchObject({ embeddedSqs: true, embeddedDynamodb: true });
  });

  it("leaves process.env as it found it, with the real handlers running", async () => {
    const before = { ...process.env };
    const runtime = await startRuntime({
      repoRoot,
      port: 0,
      host: "127.0.0.1",
      dataDir: null,
      logLevel: "silent",
      captureOutput: false,
    });
    running.push(runtime);
    const headers = { authorization: `Bearer ${runtime.devKey}` };
    expect((await fetch(`${api(runtime)}/v1/health`, { headers })).status).toBe(200);
    expect(process.env).toEqual(before);
  });

  it("feeds the process function from the queue, as Lambda's event source would", async () => {
    const state: TestHandlers = { records: [] };
    const runtime = await start(state);
    expect((await post(`${api(runtime)}/v1/events`, { hello: 1 })).status).toBe(202);
    await waitFor(() => state.records.length === 1);
    // Built from its own environment: the runtime's settings (retryBaseDelaySeconds 0).
    expect(state.processEnvironment?.RETRY_BASE_DELAY_SECONDS).toBe("0");
    expect(state.records[0]).toMatchObject({
      body: '{"hello":1}',
      eventSource: "aws:sqs",
      eventSourceARN: runtime.resources.queueArn,
      attributes: { ApproximateReceiveCount: "1" },
    });
  });

  it("a port in use is a clear start-up error", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(start({ records: [] }, { port })).rejects.toThrow(
        new RuntimeStartError(
          `port ${port} on 127.0.0.1 is in use; pass --port <n> (or PORT=<n>), or stop what uses it`,
        ),
      );
    } finally {
      blocker.close();
    }
  });

  it("a data folder that cannot be written, or one in use, is a clear start-up error", async () => {
    const dir = tempDir();
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    await expect(start({ records: [] }, { dataDir: join(file, "sub") })).rejects.toThrow(
      /is not writable/,
    );
    await start({ records: [] }, { dataDir: join(dir, "data") });
    writeFileSync(join(dir, "data", "runtime.pid"), String(process.ppid));
    await expect(start({ records: [] }, { dataDir: join(dir, "data") })).rejects.toThrow(
      /in use by another EventFlow runtime/,
    );
  });
});

describe("local admin endpoints", () => {
  it("flips faults at run time and validates them", async () => {
    const runtime = await start({ records: [] });
    const url = `${api(runtime)}/_local/faults`;
    const bad = await post(url, { dynamodbThrottleRate: 3 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/dynamodbThrottleRate/);
    const ok = await post(url, { dynamodbThrottleRate: 0.5, poisonType: "x.poison" });
    expect(await ok.json()).toMatchObject({ dynamodbThrottleRate: 0.5, poisonType: "x.poison" });
    const cleared = await fetch(url, { method: "DELETE" });
    expect(await cleared.json()).toMatchObject({ dynamodbThrottleRate: 0, poisonType: null });
    const status = await fetch(`${api(runtime)}/_local/status`);
    expect(await status.json()).toMatchObject({
      state: "running",
      queues: { queue: { visible: 0 }, dlq: { visible: 0 } },
    });
    const metrics = await fetch(`${api(runtime)}/_local/metrics`);
    expect(await metrics.json()).toMatchObject({ emfLines: 0, series: [] });
  });

  it("an injected crash discards the answer: the whole batch comes back", async () => {
    const state: TestHandlers = { records: [] };
    const runtime = await start(state, { faults: { crashAfterWriteRate: 1 } });
    await post(`${api(runtime)}/v1/events`, { n: 1 });
    await waitFor(() => state.records.length === 1);
    runtime.faults.update({ crashAfterWriteRate: 0 });
    // Visibility timeout = 6 x processTimeoutSeconds (1 s).
    await waitFor(() => state.records.length === 2, 10_000);
    expect(state.records[1]?.messageId).toBe(state.records[0]?.messageId);
    expect(state.records[1]?.attributes.ApproximateReceiveCount).toBe("2");
    expect(runtime.faults.snapshot().counts.crashes).toBe(1);
  });
});

describe("graceful shutdown", () => {
  it("answers 503 while it drains what is queued, then stops", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const state: TestHandlers = {
      records: [],
      process: async () => {
        await gate;
        return null;
      },
    };
    const runtime = await start(state, { drainTimeoutSeconds: 10 });
    for (let i = 0; i < 5; i++) await post(`${api(runtime)}/v1/events`, { i });
    await waitFor(() => state.records.length >= 1);
    const stopping = runtime.shutdown();
    await new Promise((r) => setTimeout(r, 100));
    const res = await fetch(`${api(runtime)}/v1/events`, { headers: AUTH });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: {
        code: "shutting_down",
        message: "EventFlow is shutting down",
        requestId: expect.any(String),
      },
    });
    release();
    const report = await stopping;
    expect(report).toMatchObject({ drained: true, remaining: { queue: 0, dlq: 0 } });
    expect(new Set(state.records.map((r) => r.body)).size).toBe(5);
  });

  it("an in-flight message survives a restart on the same data folder", async () => {
    const dataDir = join(tempDir(), "data");
    const first: TestHandlers = { records: [], process: () => new Promise(() => {}) };
    const a = await start(first, { dataDir });
    await post(`${api(a)}/v1/events`, { keep: true });
    await waitFor(() => first.records.length === 1);
    await a.shutdown({ drain: false });
    running.splice(running.indexOf(a), 1);

    const second: TestHandlers = { records: [] };
    await start(second, { dataDir });
    // Back after the visibility timeout (6 s), with its receive count.
    await waitFor(() => second.records.length === 1, 12_000);
    expect(second.records[0]).toMatchObject({
      body: '{"keep":true}',
      attributes: { ApproximateReceiveCount: "2" },
    });
  }, 30_000);
});

describe("npm start", () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "local/main.ts", ...args], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 20_000,
    });

  it("a bad flag or setting is one line on stderr and a non-zero exit", () => {
    const flag = run(["--bogus"]);
    expect(flag.status).toBe(2);
    expect(flag.stderr.trim().split("\n")).toEqual([
      "eventflow: Unknown option '--bogus' (see npm start -- --help)",
    ]);
    const setting = run(["--memory", "--set", "processBatchSize=0"]);
    expect(setting.status).toBe(1);
    expect(setting.stderr.trim().split("\n")).toHaveLength(1);
    expect(setting.stderr).toMatch(/^eventflow: Invalid EventFlow settings: processBatchSize/);
  });

  it("--help prints the help and exits 0", () => {
    const help = run(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: npm start -- [options]");
  });
});

describe("command line", () => {
  const parse = (args: string[], env: NodeJS.ProcessEnv = {}) => parseCli(args, env, "/repo", true);

  it("has defaults and reads PORT", () => {
    expect(parse([])).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      dataDir: "/repo/.eventflow",
      json: false,
      drainTimeoutSeconds: 30,
    });
    expect(parse([], { PORT: "4000" }).port).toBe(4000);
    expect(parseCli([], {}, "/repo", false).json).toBe(true);
    expect(parse(["--memory"]).dataDir).toBeNull();
  });

  it("takes settings by their CDK context keys and faults by flag", () => {
    const cli = parse([
      "--set",
      "processBatchSize=20",
      "--set",
      "processMaxBatchingWindowSeconds=1",
      "--fault-throttle-rate",
      "0.2",
      "--fault-poison-type",
      "bad",
    ]);
    expect(cli.settings).toEqual({ processBatchSize: "20", processMaxBatchingWindowSeconds: "1" });
    expect(cli.faults).toEqual({ dynamodbThrottleRate: 0.2, poisonType: "bad" });
  });

  it("rejects what it does not know, in one line", () => {
    expect(() => parse(["--bogus"])).toThrow(CliError);
    expect(() => parse(["--set", "nope=1"])).toThrow(/unknown setting "nope"/);
    expect(() => parse(["--port", "70000"])).toThrow(/--port/);
    expect(() => parse(["--memory", "--data-dir", "x"])).toThrow(/exclude/);
    expect(() => parse(["--fault-crash-rate", "2"])).toThrow(/fault-crash-rate/);
  });

  it("--help documents every flag and setting", () => {
    const text = helpText();
    for (const flag of ["--port", "--host", "--data-dir", "--memory", "--set", "--drain-timeout"]) {
      expect(text).toContain(flag);
    }
    for (const key of ["processBatchSize", "maxReceiveCount", "apiThrottleBurstLimit"]) {
      expect(text).toContain(key);
    }
  });
});

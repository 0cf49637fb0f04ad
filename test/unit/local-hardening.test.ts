/**
 * The local runtime's security review (issue 15), each hole pinned: every listener binds
 * loopback (or --host) and is checked (2); /_local/ refuses cross-site, non-JSON and
 * non-loopback callers, decided by the socket, and start-up warns when exposed (3);
 * a duplicate signal does not abort the drain (6, also test/e2e/signals.test.ts); the
 * data folder is the user's alone (8).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { FunctionName } from "../../lib/contracts/functions.js";
import { hostName, LocalAdmin } from "../../local/admin-api.js";
import { type Emulators, startEmulators } from "../../local/emulators.js";
import { Faults } from "../../local/faults.js";
import type { HandlerFactory } from "../../local/functions.js";
import type { AnyHandler } from "../../local/lambda.js";
import { assertBound, boundAsAsked, isLoopbackAddress } from "../../local/listen.js";
import { createLogger } from "../../local/log.js";
import { MetricsAggregator } from "../../local/metrics.js";
import { type Runtime, RuntimeStartError, startRuntime } from "../../local/runtime.js";
import { signalPolicy } from "../../local/signals.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const running: Runtime[] = [];
const emulators: Emulators[] = [];
const temps: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.shutdown({ drain: false })));
  await Promise.all(emulators.splice(0).map((e) => e.stop()));
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** This machine's first non-loopback IPv4 address, if it has one. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

/** Whether a TCP connection to host:port is accepted. */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000);
    socket.once("connect", () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once("error", () => resolvePromise(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolvePromise(false);
    });
  });
}

const portOf = (endpoint: string | undefined) => Number(new URL(endpoint ?? "").port);

const fixed =
  (handler: AnyHandler): HandlerFactory =>
  () =>
    handler;

/** Small handlers; the authorizer opens every route (the real one: local-auth.test.ts). */
const handlers: Partial<Record<FunctionName, HandlerFactory>> = {
  query: fixed((async () => ({ statusCode: 200, body: "{}" })) as AnyHandler),
  process: fixed((async () => ({ batchItemFailures: [] })) as AnyHandler),
  dlq: fixed((async () => null) as AnyHandler),
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

async function start(extra: Partial<Parameters<typeof startRuntime>[0]> = {}): Promise<Runtime> {
  const runtime = await startRuntime({
    repoRoot,
    port: 0,
    host: "127.0.0.1",
    dataDir: null,
    logLevel: "silent",
    captureOutput: false,
    handlers,
    ...extra,
  });
  running.push(runtime);
  return runtime;
}

interface Raw {
  status: number;
  body: string;
}

/** A request with the headers fetch will not set (Host, Origin, Sec-Fetch-Site). */
function raw(
  host: string,
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Raw> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest({ host, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("2. every listener binds loopback (or --host), checked after start", () => {
  for (const thread of [false, true]) {
    it(`the embedded SQS and DynamoDB bind 127.0.0.1 only (${thread ? "worker thread" : "this thread"})`, async () => {
      const started = await startEmulators({ thread });
      emulators.push(started);
      expect(started.bound).toEqual({ sqs: "127.0.0.1", dynamodb: "127.0.0.1" });
      const sqsPort = portOf(started.sqsEndpoint);
      const dynamodbPort = portOf(started.dynamodbEndpoint);
      expect(await reachable("127.0.0.1", sqsPort)).toBe(true);
      expect(await reachable("127.0.0.1", dynamodbPort)).toBe(true);
      if (externalAddress) {
        // fauxqs 2.4.1 on its own listens on 0.0.0.0: this address reached it.
        expect(await reachable(externalAddress, sqsPort), `SQS on ${externalAddress}`).toBe(false);
        expect(await reachable(externalAddress, dynamodbPort), "DynamoDB").toBe(false);
      }
    });
  }

  it("the runtime's emulators are not reachable from another address either", async () => {
    const runtime = await start();
    expect(runtime.boundAddress).toBe("127.0.0.1");
    if (externalAddress) {
      for (const endpoint of [runtime.endpoints.sqs, runtime.endpoints.dynamodb]) {
        expect(await reachable(externalAddress, portOf(endpoint)), endpoint).toBe(false);
      }
      expect(await reachable(externalAddress, runtime.port)).toBe(false);
    }
  });

  it("a listener bound elsewhere than asked refuses the start", async () => {
    await expect(assertBound("the embedded SQS", "0.0.0.0", "127.0.0.1")).rejects.toThrow(
      RuntimeStartError,
    );
    await expect(assertBound("x", "127.0.0.1", "0.0.0.0")).rejects.toThrow(/refusing to start/);
    expect(await boundAsAsked("127.0.0.1", "127.0.0.1")).toBe(true);
    expect(await boundAsAsked("::1", "localhost")).toBe(true);
    expect(await boundAsAsked("::", "0.0.0.0")).toBe(true);
    expect(await boundAsAsked("192.0.2.9", "localhost")).toBe(false);
    expect(isLoopbackAddress("::ffff:127.0.0.1")).toBe(true);
    expect(isLoopbackAddress("192.0.2.2")).toBe(false);
  });
});

describe("3. /_local/ admin routes", () => {
  it("refuse a cross-site simple POST, other origins, and non-JSON bodies", async () => {
    const runtime = await start();
    const send = (headers: Record<string, string>, body = '{"poisonType":"x.poison"}') =>
      raw("127.0.0.1", runtime.port, "POST", "/_local/faults", headers, body);
    // What a page on another site can send without a preflight.
    const simple = await send({
      "content-type": "text/plain",
      origin: "https://evil.example",
      "sec-fetch-site": "cross-site",
    });
    expect(simple.status).toBe(403);
    expect(
      (await send({ "content-type": "application/json", "sec-fetch-site": "same-site" })).status,
    ).toBe(403);
    expect(
      (await send({ "content-type": "application/json", origin: "https://evil.example" })).status,
    ).toBe(403);
    expect((await send({ "content-type": "text/plain" })).status).toBe(415);
    expect((await send({})).status).toBe(415);
    expect(runtime.faults.snapshot()).toMatchObject({ poisonType: null });
    // A DNS-rebinding page: same-origin in the browser's eyes, its own Host.
    expect(
      (await send({ "content-type": "application/json", host: `evil.example:${runtime.port}` }))
        .status,
    ).toBe(403);
    expect(runtime.faults.snapshot()).toMatchObject({ poisonType: null });
    // The console itself (same origin) and a terminal (no Origin) still work.
    const own = await send({
      "content-type": "application/json",
      origin: `http://127.0.0.1:${runtime.port}`,
      "sec-fetch-site": "same-origin",
    });
    expect(own.status).toBe(200);
    expect(runtime.faults.snapshot()).toMatchObject({ poisonType: "x.poison" });
    const cleared = await raw("127.0.0.1", runtime.port, "DELETE", "/_local/faults");
    expect(cleared.status).toBe(200);
    const cleanDelete = await raw("127.0.0.1", runtime.port, "DELETE", "/_local/metrics", {
      origin: "https://evil.example",
    });
    expect(cleanDelete.status).toBe(403);
  });

  it.skipIf(!externalAddress)(
    "decide by the socket: a non-loopback peer sending Host: localhost gets no dev key and changes nothing",
    async () => {
      const runtime = await start({ host: "0.0.0.0" });
      const peer = externalAddress ?? "";
      const devKey = await raw(peer, runtime.port, "GET", "/_local/dev-key", {
        host: `localhost:${runtime.port}`,
      });
      expect(devKey.status).toBe(403);
      expect(devKey.body).not.toContain(runtime.devKey);
      const faults = await raw(
        peer,
        runtime.port,
        "POST",
        "/_local/faults",
        { host: `localhost:${runtime.port}`, "content-type": "application/json" },
        '{"dynamodbThrottleRate":1}',
      );
      expect(faults.status).toBe(403);
      expect(runtime.faults.active).toBe(false);
      // Reading the status stays open to whoever the user exposed the runtime to.
      expect((await raw(peer, runtime.port, "GET", "/_local/status")).status).toBe(200);
      // This machine, over loopback: the dev key is offered.
      const local = await raw("127.0.0.1", runtime.port, "GET", "/_local/dev-key", {
        host: `localhost:${runtime.port}`,
      });
      expect(local.status).toBe(200);
      expect(JSON.parse(local.body)).toMatchObject({ key: runtime.devKey });
    },
  );

  it("a request's Host never makes a peer local (unit)", async () => {
    const admin = new LocalAdmin({
      faults: new Faults(),
      metrics: new MetricsAggregator(),
      devKey: "k",
      host: "0.0.0.0",
      status: async () => ({}),
    });
    const req = (remoteAddress: string, headers: Record<string, string>) =>
      ({ method: "GET", url: "/_local/dev-key", headers, socket: { remoteAddress } }) as never;
    expect(
      admin.refusal(req("192.0.2.7", { host: "localhost:3000" }), "GET", "/_local/dev-key")?.status,
    ).toBe(403);
    expect(
      admin.refusal(req("127.0.0.1", { host: "localhost:3000" }), "GET", "/_local/dev-key"),
    ).toBeUndefined();
    expect(hostName("[::1]:3000")).toBe("[::1]");
    expect(hostName("LocalHost:3000")).toBe("localhost");
  });

  it("start-up warns loudly when the API listens on a non-loopback address", async () => {
    const lines: string[] = [];
    const logger = createLogger({
      json: true,
      level: "warn",
      sink: { write: (l) => lines.push(l) },
    });
    await start({ host: "0.0.0.0", logger });
    const warning = lines.map((l) => JSON.parse(l) as { level: string; message: string });
    expect(warning.some((w) => w.level === "WARN" && /not loopback/.test(w.message))).toBe(true);
    lines.length = 0;
    await start({ host: "127.0.0.1", logger });
    expect(lines.join("")).not.toMatch(/not loopback/);
  });
});

describe("6. signals", () => {
  it("a copy of the first signal within the window is ignored; a later one forces", () => {
    let t = 0;
    const calls: string[] = [];
    const on = signalPolicy({
      onShutdown: (s) => calls.push(`shutdown ${s}`),
      onDuplicate: (s) => calls.push(`duplicate ${s}`),
      onForce: (s) => calls.push(`force ${s}`),
      windowMs: 1_000,
      now: () => t,
    });
    on("SIGTERM");
    t = 5;
    on("SIGTERM");
    t = 1_500;
    on("SIGTERM");
    expect(calls).toEqual(["shutdown SIGTERM", "duplicate SIGTERM", "force SIGTERM"]);
    const other: string[] = [];
    const on2 = signalPolicy({
      onShutdown: (s) => other.push(`shutdown ${s}`),
      onForce: (s) => other.push(`force ${s}`),
      now: () => 0,
    });
    on2("SIGTERM");
    on2("SIGINT");
    expect(other).toEqual(["shutdown SIGTERM", "force SIGINT"]);
  });
});

describe("8. the data folder is the user's alone", () => {
  const mode = (path: string) => statSync(path).mode & 0o777;

  it("creates it 0700 with 0600 files, and tightens a folder an older version made", async () => {
    const root = mkdtempSync(join(tmpdir(), "eventflow-perm-"));
    temps.push(root);
    const fresh = join(root, "fresh");
    const runtime = await start({ dataDir: fresh });
    for (const dir of [fresh, join(fresh, "sqs"), join(fresh, "dynamodb")]) {
      expect(mode(dir), dir).toBe(0o700);
    }
    for (const file of ["dev-key", "runtime.pid", "runtime.json", "sqs/fauxqs.db"]) {
      expect(mode(join(fresh, file)), file).toBe(0o600);
    }
    await runtime.shutdown({ drain: false });
    running.splice(running.indexOf(runtime), 1);

    const old = join(root, "old");
    mkdirSync(join(old, "sqs"), { recursive: true, mode: 0o755 });
    mkdirSync(join(old, "dynamodb"), { mode: 0o755 });
    writeFileSync(join(old, "notes.txt"), "x", { mode: 0o644 });
    for (const dir of [old, join(old, "sqs"), join(old, "dynamodb")]) expect(mode(dir)).toBe(0o755);
    await start({ dataDir: old });
    for (const dir of [old, join(old, "sqs"), join(old, "dynamodb")]) {
      expect(mode(dir), dir).toBe(0o700);
    }
    expect(mode(join(old, "notes.txt"))).toBe(0o600);
  });
});

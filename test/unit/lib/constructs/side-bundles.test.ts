/**
 * The side files of deliver, history and archive (issue 20, cold start), built as they ship:
 * each function's main file with FUNCTION_BUNDLING and its SIDE_BUNDLES by the construct's
 * own afterBundling commands (sideBundleCommands). The main files no longer carry what moved
 * (the SNS, EventBridge and SES clients; the history API's S3 client and Parquet code; the
 * archive's Parquet reader), each imports exactly its own side files, and each side file,
 * loaded by Node as Lambda loads it, does its job on its own: its SDK client included.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as esbuild from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeArchiveRows } from "../../../../lambdas/adapters/parquet-archive.js";
import { archiveRowOf, revisionOf } from "../../../../lambdas/domain/archive.js";
import {
  FUNCTION_BUNDLING,
  REPO_ROOT,
  SIDE_BUNDLES,
  sideBundleCommands,
} from "../../../../lib/constructs/eventflow-function.js";
import { FUNCTION_ENTRIES, type FunctionName } from "../../../../lib/contracts/functions.js";
import { esbuildOptionsFor } from "../../../../load-testing/bench/coldstart.js";

const NAMES = ["deliver", "history", "archive", "jobs"] as const satisfies readonly FunctionName[];

let dir: string;
const built = new Map<FunctionName, { inputs: string[]; externalImports: string[] }>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "eventflow-side-"));
  const options = { ...esbuildOptionsFor(FUNCTION_BUNDLING), sourcemap: false as const };
  for (const name of NAMES) {
    const outfile = join(dir, name, "index.js");
    const result = await esbuild.build({
      ...options,
      absWorkingDir: REPO_ROOT,
      entryPoints: [resolve(REPO_ROOT, FUNCTION_ENTRIES[name])],
      outfile,
      metafile: true,
    });
    const output = Object.entries(result.metafile.outputs).find(
      ([path]) => resolve(REPO_ROOT, path) === outfile,
    )?.[1];
    built.set(name, {
      inputs: Object.keys(output?.inputs ?? {}),
      externalImports: (output?.imports ?? []).filter((i) => i.external).map((i) => i.path),
    });
    for (const command of sideBundleCommands(name, REPO_ROOT, join(dir, name), {
      ...FUNCTION_BUNDLING,
      sourceMap: false,
    })) {
      execFileSync("bash", ["-c", command], { cwd: REPO_ROOT, stdio: "inherit" });
    }
  }
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const holds = (name: FunctionName, pattern: RegExp) =>
  (built.get(name)?.inputs ?? []).some((p) => pattern.test(p));

/** Runs an ES module in a fresh Node with only the given environment; its last stdout line. */
function run(code: string, env: Record<string, string> = {}): unknown {
  const file = join(dir, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, code);
  const out = spawnSync(process.execPath, [file], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDSIDEEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      ...env,
    },
    encoding: "utf8",
    timeout: 30_000,
  });
  if (out.status !== 0) throw new Error(`probe failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split("\n").pop() ?? "null");
}

const sideFile = (name: FunctionName, file: string) => JSON.stringify(join(dir, name, file));

const MESSAGE = {
  v: 1,
  id: "dlv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  tenantId: "acme",
  destinationId: "dst_aaaaaaaaaaaaaaaaaaaaaaaaaa",
  event: {
    id: "order-1",
    type: "order.paid",
    subject: "user-42",
    receivedAt: "2026-12-06T10:00:00.100Z",
    data: { amount: 1250 },
  },
  generation: 1,
  enqueuedAt: "2026-12-06T10:00:01.000Z",
};
const destination = (target: Record<string, unknown>) => ({
  id: MESSAGE.destinationId,
  tenantId: "acme",
  name: "t",
  target,
  ordered: false,
  enabled: true,
  createdAt: "2026-12-06T09:00:00.000Z",
  updatedAt: "2026-12-06T09:00:00.000Z",
});

describe("main files and side files", () => {
  it("ship each side file with the functions whose main file imports it, and only those", () => {
    for (const name of NAMES) {
      const listed = SIDE_BUNDLES.filter((b) => (b.functions as readonly string[]).includes(name))
        .map((b) => `./${b.file}`)
        .sort();
      const imported = (built.get(name)?.externalImports ?? [])
        .filter((p) => p.startsWith("./"))
        .sort();
      expect(imported, name).toEqual(listed);
    }
    expect(SIDE_BUNDLES.filter((b) => b.functions.includes("jobs" as never))).toEqual([]);
  });

  it("deliver: no SNS, EventBridge or SES client in the main file; SQS stays", () => {
    for (const pkg of ["client-sns", "client-eventbridge", "client-sesv2"]) {
      expect(holds("deliver", new RegExp(`node_modules/@aws-sdk/${pkg}/`)), pkg).toBe(false);
    }
    expect(holds("deliver", /node_modules\/@aws-sdk\/client-sqs\//)).toBe(true);
  });

  it("history: no S3 client and no Parquet code in the main file", () => {
    for (const pkg of [
      "@aws-sdk/client-s3",
      "@aws-sdk/s3-request-presigner",
      "hyparquet",
      "hyparquet-writer",
    ]) {
      expect(holds("history", new RegExp(`node_modules/${pkg}/`)), pkg).toBe(false);
    }
  });

  it("archive: the writer and S3 stay (every stream batch writes), the reader left", () => {
    expect(holds("archive", /node_modules\/@aws-sdk\/client-s3\//)).toBe(true);
    expect(holds("archive", /node_modules\/hyparquet-writer\//)).toBe(true);
    expect(holds("archive", /node_modules\/hyparquet\/src\/read\.js$/)).toBe(false);
    // Every job reads the archive: jobs keeps the reader in its main file.
    expect(holds("jobs", /node_modules\/hyparquet\/src\/read\.js$/)).toBe(true);
  });
  it("archive: zod's classic API left with env.ts (its environment is parsed with zod/mini)", () => {
    expect(holds("archive", /node_modules\/zod\/v4\/classic\//)).toBe(false);
    expect(holds("archive", /node_modules\/zod\/v4\/mini\//)).toBe(true);
    // Without its bucket the init fails as every function's does, in English.
    const got = run(`
      import { createRequire } from "node:module";
      try { createRequire(import.meta.url)(${sideFile("archive", "index.js")}); console.log("null"); }
      catch (e) { console.log(JSON.stringify(e.message)); }
    `);
    expect(got).toBe(
      "Invalid function configuration: ARCHIVE_BUCKET: Invalid input: expected string, received undefined",
    );
  });
});

describe("side files, loaded by Node as Lambda loads them", () => {
  it("each AWS destination kind's file builds its service's request", () => {
    const got = run(`
      const sent = [];
      const client = { send: async (c) => { sent.push(c.input);
        return { FailedEntryCount: 0, Entries: [{ EventId: "e-1" }], MessageId: "m-1" }; } };
      const message = ${JSON.stringify(MESSAGE)};
      const sns = (await import(${sideFile("deliver", "sns-sender.js")})).createSnsSender(client);
      const eb = (await import(${sideFile("deliver", "eventbridge-sender.js")})).createEventBridgeSender(client);
      const email = (await import(${sideFile("deliver", "email-sender.js")})).createEmailSender("events@example.com", client);
      const outcomes = [
        (await sns.send(${JSON.stringify(destination({ kind: "sns", topicArn: "arn:aws:sns:us-east-1:123456789012:eventflow-dest-t" }))}, message, new Date())).outcome,
        (await eb.send(${JSON.stringify(destination({ kind: "eventbridge", eventBusArn: "arn:aws:events:us-east-1:123456789012:event-bus/eventflow-dest-b" }))}, message, new Date())).outcome,
        (await email.send(${JSON.stringify(destination({ kind: "email", to: ["ops@example.com"] }))}, message, new Date())).outcome,
      ];
      console.log(JSON.stringify({ outcomes, topic: sent[0].TopicArn, bus: sent[1].Entries[0].EventBusName, from: sent[2].FromEmailAddress }));
    `);
    expect(got).toEqual({
      outcomes: ["delivered", "delivered", "delivered"],
      topic: "arn:aws:sns:us-east-1:123456789012:eventflow-dest-t",
      bus: "arn:aws:events:us-east-1:123456789012:event-bus/eventflow-dest-b",
      from: "events@example.com",
    });
  });

  it("given no client (the Lambda entry), a kind's file builds the SDK's own and calls the service", () => {
    // Nothing listens on port 9: the request leaves the client, the connection is refused,
    // and the attempt is a retryable failure (the SDK's error, not a missing module).
    const got = run(
      `
      const sns = (await import(${sideFile("deliver", "sns-sender.js")})).createSnsSender();
      const result = await sns.send(${JSON.stringify(destination({ kind: "sns", topicArn: "arn:aws:sns:us-east-1:123456789012:eventflow-dest-t" }))}, ${JSON.stringify(MESSAGE)}, new Date());
      console.log(JSON.stringify({ outcome: result.outcome, error: result.error }));
    `,
      { AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_MAX_ATTEMPTS: "1" },
    ) as { outcome: string; error: string };
    expect(got.outcome).toBe("retryable");
    expect(got.error).toMatch(/ECONNREFUSED|connect/i);
  });

  it("history: the archive store's file builds its S3 client and signs a download", () => {
    const got = run(`
      const m = await import(${sideFile("history", "archive-store-wiring.js")});
      const store = m.s3ArchiveStore({ bucket: "eventflow-archive" });
      console.log(JSON.stringify(await store.downloadUrl("exports/tenant=acme/e.jsonl", 60)));
    `) as { url: string };
    const url = new URL(got.url);
    expect(url.hostname).toBe("eventflow-archive.s3.us-east-1.amazonaws.com");
    expect(url.pathname).toBe("/exports/tenant%3Dacme/e.jsonl");
    expect(url.searchParams.get("X-Amz-Expires")).toBe("60");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("archive: the reader's file reads what the writer wrote", () => {
    const { row } = archiveRowOf(
      {
        sk: "EVENT",
        tenantId: "acme",
        id: "e-1",
        type: "order.paid",
        status: "processed",
        receivedAt: "2026-12-06T10:00:00.000Z",
        subject: "user-42",
        attempts: 1,
        data: { amount: 1250 },
        correlationId: "c",
      },
      revisionOf(Date.parse("2026-12-06T10:00:00.000Z"), "1"),
      Date.parse("2026-12-06T10:01:00.000Z"),
    ) ?? { row: undefined };
    if (!row) throw new Error("not an archivable item");
    const file = join(dir, "rows.parquet");
    writeFileSync(file, encodeArchiveRows([row]));
    const got = run(`
      const { readFileSync } = await import("node:fs");
      const m = await import(${sideFile("archive", "parquet-reader.js")});
      console.log(JSON.stringify(await m.decodeArchiveRows(new Uint8Array(readFileSync(${JSON.stringify(file)})), ["id", "subject", "data"])));
    `);
    expect(got).toEqual([{ id: "e-1", subject: "user-42", data: '{"amount":1250}' }]);
  });
});

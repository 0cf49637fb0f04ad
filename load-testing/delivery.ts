/**
 * `npm run load:delivery -- [--rate 100] [--duration 30] [--scenario all|healthy|failing|down]`:
 * load on the delivery engine with one webhook destination on a local receiver that
 * verifies every signature (standardwebhooks). Starts the local runtime (`local/main.ts
 * --memory`, as `npm start` does) as a child process, creates the destination through the
 * API, and enqueues deliveries through the DeliveryQueue port (the SQS adapter the process
 * function's `route` action calls) at the given rate, each stamped with its enqueue time
 * as the event's receipt. Reports deliveries/s, delivery latency p50/p99 from that instant
 * to the receiver's first 2xx, lost (never answered 2xx) and duplicated (2xx twice for one
 * webhook-id). Scenarios: a healthy receiver; one failing 20% of requests (500); one down
 * (connections refused) for 30 s in the middle of the run; "noisy": the same receiver
 * beside a second destination whose receiver accepts connections and never answers (every
 * call runs into deliveryResponseTimeoutMs), half the deliveries each: the healthy
 * destination's figures are reported, to compare with "healthy".
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { SQSClient } from "@aws-sdk/client-sqs";
import { Webhook } from "standardwebhooks";
import { SqsDeliveryQueue } from "../lambdas/adapters/sqs-delivery-queue.js";
import type { DeliveryRequest } from "../lambdas/domain/delivery.js";
import { LOCAL_DELIVERY_RESOURCES } from "../lib/contracts/delivery.js";
import { startLocalRuntime } from "../test/support/runtime.js";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "100" },
    duration: { type: "string", default: "30" },
    scenario: { type: "string", default: "all" },
    "down-seconds": { type: "string", default: "30" },
    schedule: { type: "string", default: "2s,5s,10s,20s,30s,60s" },
    json: { type: "boolean", default: false },
  },
});
const rate = Number(values.rate);
const duration = Number(values.duration);
const downSeconds = Number(values["down-seconds"]);

interface Receipt {
  firstOkAt?: number;
  oks: number;
  requests: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

type Scenario = "healthy" | "failing" | "down" | "noisy";

async function scenario(name: Scenario) {
  const runtime = await startLocalRuntime({
    settings: { deliveryRetrySchedule: values.schedule, deliverMaxConcurrency: 20 },
    logLevel: "error",
  });
  const receipts = new Map<string, Receipt>();
  const enqueuedAt = new Map<string, number>();
  let secret = "";
  let invalid = 0;
  let down = false;
  const handler = (
    req: import("node:http").IncomingMessage,
    res: import("node:http").ServerResponse,
  ) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const id = String(req.headers["webhook-id"]);
      try {
        new Webhook(secret).verify(body, {
          "webhook-id": id,
          "webhook-timestamp": String(req.headers["webhook-timestamp"]),
          "webhook-signature": String(req.headers["webhook-signature"]),
        });
      } catch {
        invalid++;
      }
      const r = receipts.get(id) ?? { oks: 0, requests: 0 };
      r.requests++;
      const fail = name === "failing" && Math.random() < 0.2;
      if (!fail) {
        r.oks++;
        r.firstOkAt ??= Date.now();
      }
      receipts.set(id, r);
      res.writeHead(fail ? 500 : 200);
      res.end(fail ? "failing on purpose" : "ok");
    });
  };
  let server: Server = createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  const sqs = new SQSClient({
    endpoint: runtime.sqsEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "l", secretAccessKey: "l" },
    useQueueUrlAsEndpoint: false,
  });
  try {
    const created = await fetch(`${runtime.url}/v1/destinations`, {
      method: "POST",
      headers: { authorization: `Bearer ${runtime.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        kind: "webhook",
        name: `load-${name}`,
        url: `http://127.0.0.1:${port}/hook`,
        maxConcurrency: 50,
      }),
    });
    const destination = (await created.json()) as { id: string; secret: string };
    secret = destination.secret;
    // The noisy neighbour: a receiver that takes connections and never answers.
    let hung: Server | undefined;
    let noisyId: string | undefined;
    let noisyRequests = 0;
    if (name === "noisy") {
      hung = createServer(() => {
        noisyRequests++;
      });
      hung.listen(0, "127.0.0.1");
      await once(hung, "listening");
      const noisy = await fetch(`${runtime.url}/v1/destinations`, {
        method: "POST",
        headers: { authorization: `Bearer ${runtime.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({
          kind: "webhook",
          name: "load-noisy",
          url: `http://127.0.0.1:${(hung.address() as AddressInfo).port}/hook`,
        }),
      });
      noisyId = ((await noisy.json()) as { id: string }).id;
    }
    const base = runtime.sqsEndpoint.replace(/\/+$/, "");
    const queue = new SqsDeliveryQueue(sqs, {
      queueUrl: `${base}/000000000000/${LOCAL_DELIVERY_RESOURCES.queueName}`,
      fifoQueueUrl: `${base}/000000000000/${LOCAL_DELIVERY_RESOURCES.fifoQueueName}`,
    });
    const started = Date.now();
    let sent = 0;
    let failedEnqueue = 0;
    const downAt = started + ((duration - downSeconds) / 2) * 1000;
    while (Date.now() - started < duration * 1000) {
      const now = Date.now();
      if (name === "down" && !down && now >= downAt && now < downAt + downSeconds * 1000) {
        down = true;
        server.closeAllConnections();
        server.close();
      }
      if (name === "down" && down && now >= downAt + downSeconds * 1000) {
        down = false;
        server = createServer(handler);
        server.listen(port, "127.0.0.1");
        await once(server, "listening");
      }
      const due = Math.floor(((now - started) / 1000) * rate) - sent;
      if (due <= 0) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const batch: DeliveryRequest[] = [];
      for (let i = 0; i < Math.min(due, 50); i++) {
        const n = sent + i;
        const toNoisy = noisyId !== undefined && n % 2 === 1;
        batch.push({
          tenantId: "local",
          destinationId: toNoisy ? (noisyId as string) : destination.id,
          event: {
            id: `load-${name}-${started}-${n}`,
            type: "load.test",
            receivedAt: new Date().toISOString(),
            data: { n },
          },
          origin: { kind: "direct" },
        });
      }
      const at = Date.now();
      const results = await queue.enqueue(batch);
      results.forEach((r, i) => {
        if (!r.ok) failedEnqueue++;
        // Only the healthy destination's deliveries are accounted (the noisy one never answers).
        else if (batch[i]?.destinationId === destination.id) enqueuedAt.set(r.id, at);
      });
      sent += batch.length;
    }
    const sendSeconds = (Date.now() - started) / 1000;
    // Drain: until every enqueued delivery got a 2xx, or 180 s without progress.
    let last = -1;
    let still = Date.now();
    for (;;) {
      const done = [...enqueuedAt.keys()].filter((id) => receipts.get(id)?.firstOkAt).length;
      if (done === enqueuedAt.size) break;
      if (done !== last) {
        last = done;
        still = Date.now();
      }
      if (Date.now() - still > 180_000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // A little longer, to catch a late duplicate.
    await new Promise((r) => setTimeout(r, 3000));
    const latencies = [...enqueuedAt.entries()]
      .map(([id, at]) => (receipts.get(id)?.firstOkAt ?? Number.NaN) - at)
      .filter((x) => Number.isFinite(x))
      .sort((a, b) => a - b);
    const lastOk = Math.max(...[...receipts.values()].map((r) => r.firstOkAt ?? 0));
    const lost = [...enqueuedAt.keys()].filter((id) => !receipts.get(id)?.firstOkAt).length;
    const duplicated = [...receipts.values()].filter((r) => r.oks > 1).length;
    const requests = [...receipts.values()].reduce((a, r) => a + r.requests, 0);
    hung?.closeAllConnections();
    hung?.close();
    return {
      scenario: name,
      ...(name === "noisy" ? { noisyDestinationRequests: noisyRequests } : {}),
      rate,
      durationSeconds: duration,
      enqueued: enqueuedAt.size,
      enqueueFailed: failedEnqueue,
      delivered: latencies.length,
      deliveriesPerSecond: Math.round((latencies.length / ((lastOk - started) / 1000)) * 10) / 10,
      sendSeconds: Math.round(sendSeconds * 10) / 10,
      latencyMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.at(-1),
      },
      requests,
      lost,
      duplicated,
      signaturesInvalid: invalid,
    };
  } finally {
    sqs.destroy();
    server.closeAllConnections();
    server.close();
    await runtime.stop();
  }
}

const scenarios: readonly Scenario[] =
  values.scenario === "all"
    ? ["healthy", "failing", "down", "noisy"]
    : [values.scenario as Scenario];
const results = [];
for (const s of scenarios) {
  const r = await scenario(s);
  results.push(r);
  if (!values.json) {
    process.stdout.write(
      `${r.scenario.padEnd(8)} enqueued ${r.enqueued} delivered ${r.delivered} (${r.deliveriesPerSecond}/s) latency p50 ${r.latencyMs.p50} ms p99 ${r.latencyMs.p99} ms max ${r.latencyMs.max} ms; requests ${r.requests}; lost ${r.lost}; duplicated ${r.duplicated}; bad signatures ${r.signaturesInvalid}${"noisyDestinationRequests" in r ? `; calls to the hung neighbour ${r.noisyDestinationRequests}` : ""}\n`,
    );
  }
}
if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
process.exitCode = results.every(
  (r) => r.lost === 0 && r.duplicated === 0 && r.signaturesInvalid === 0,
)
  ? 0
  : 1;

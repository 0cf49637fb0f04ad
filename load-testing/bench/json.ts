/**
 * Section 4: what a long number literal costs ingest, next to a string body of the same
 * size (issue 15, item 1). Before the fix, normalizing `1.000…0001` backtracked O(n²).
 *
 * Each body is decoded as the HTTP layer does (lambdas/http/ingest-request.ts: parse and
 * checks) and goes through the ingest use case with a queue that accepts everything, so
 * only the request's own CPU is timed: no SQS, no HTTP server.
 */
import { decodeIngestRequest } from "../../lambdas/http/ingest-request.js";
import type { EventQueue } from "../../lambdas/ports/event-store.js";
import { ingestEvents } from "../../lambdas/use-cases/ingest-events.js";
import type { Method } from "./handlers.js";
import { median } from "./stats.js";

export interface JsonCase {
  /** Digits in the literal (or characters in the string). */
  digits: number;
  /** `literal`: `{"n":1.000…0001}`; `string`: `{"n":"1000…000"}`, a body of the same size. */
  body: "literal" | "string";
  bytes: number;
  /** HTTP status the use case's answer maps to (202 queued, 400 refused). */
  outcome: string;
  /** Wall ms per request, median of the runs, and every run. */
  ms: number;
  runs: number[];
}

export interface JsonOptions {
  /** Literal sizes in digits. */
  sizes: readonly number[];
  runs: number;
}

export function jsonMethod(o: JsonOptions): Method {
  return {
    summary: `ingest use case in-process (parse, checks, answer; a queue stub that accepts everything), one request at a time, median of ${o.runs} runs after one warm-up; body {"type":"bench.json","data":{"n":1.000…0001}} vs a string of digits in a body of the same byte size`,
    detail: [
      "The literal is the worst case of the old normalization: a 1, a decimal point, zeros, and a final 1.",
      "Wall time on a shared 2-vCPU VM: compare the two bodies of one size, not runs across days.",
    ],
  };
}

const acceptAll: EventQueue = {
  enqueue: async (messages) => ({ queued: messages.map((_, i) => i), failed: [] }),
  ping: async () => {},
};

export function literalBody(digits: number): string {
  const literal = `1.${"0".repeat(Math.max(0, digits - 2))}1`;
  return `{"type":"bench.json","data":{"n":${literal}}}`;
}

/** Digits as a JSON string: the body has as many bytes as `literalBody(digits)`. */
export function stringBody(digits: number): string {
  // The literal has a decimal point, the string two quotes: one digit fewer.
  return `{"type":"bench.json","data":{"n":"1${"0".repeat(Math.max(0, digits - 2))}"}}`;
}

async function timeOne(body: string): Promise<{ ms: number; outcome: string }> {
  const started = process.hrtime.bigint();
  const result = await ingestEvents(
    {
      input: decodeIngestRequest({ contentType: "application/json", body }),
      tenantId: "bench",
      correlationId: "bench",
      receivedAt: new Date(0).toISOString(),
    },
    { queue: acceptAll, newId: () => "bench-id" },
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const outcome =
    result.kind === "refused"
      ? `refused (${result.reason})`
      : result.kind === "single" && result.outcome.status === "rejected"
        ? "rejected"
        : "queued";
  return { ms, outcome };
}

export async function benchJson(o: JsonOptions): Promise<JsonCase[]> {
  const cases: JsonCase[] = [];
  for (const digits of o.sizes) {
    const literal = literalBody(digits);
    const bodies = { literal, string: stringBody(digits) } as const;
    for (const kind of ["literal", "string"] as const) {
      const body = bodies[kind];
      await timeOne(body); // warm-up
      const runs: number[] = [];
      let outcome = "";
      for (let i = 0; i < o.runs; i++) {
        const one = await timeOne(body);
        runs.push(one.ms);
        outcome = one.outcome;
      }
      cases.push({
        digits,
        body: kind,
        bytes: Buffer.byteLength(body),
        outcome,
        ms: median(runs),
        runs,
      });
    }
  }
  return cases;
}

export function jsonLines(cases: readonly JsonCase[]): string[] {
  const lines = [
    `  ${"digits".padStart(9)}  ${"body".padEnd(8)}${"bytes".padStart(10)}  ${"answer".padEnd(28)}${"ms p50".padStart(10)}  runs (ms)`,
  ];
  for (const c of cases) {
    lines.push(
      `  ${c.digits.toLocaleString("en-US").padStart(9)}  ${c.body.padEnd(8)}${c.bytes.toLocaleString("en-US").padStart(10)}  ${c.outcome.padEnd(28)}${c.ms.toFixed(2).padStart(10)}  ${c.runs.map((r) => r.toFixed(1)).join(" ")}`,
    );
  }
  return lines;
}

/**
 * CanaryApi over HTTPS: the public API exactly as a producer calls it (fetch, a Bearer
 * key, JSON), so the canary exercises the gateway and the authorizer too. The canary's
 * event id doubles as the correlation id, so every log line of its journey shares it.
 */
import * as z from "zod";
import { CORRELATION_HEADER } from "../../lib/contracts/observability.js";
import type { IncomingEvent } from "../domain/event.js";
import type { ApiProblem, CanaryApi, ReadAnswer, SendAnswer } from "../ports/canary.js";

const receiptSchema = z.object({ id: z.string(), status: z.literal("queued") });
const storedSchema = z.object({
  status: z.enum(["processed", "failed"]),
  latencyMs: z.number().optional(),
  failure: z.object({ reason: z.string() }).optional(),
});
const errorSchema = z.object({ error: z.object({ code: z.string() }) });

interface Answer {
  status: number;
  body: unknown;
}

export const CANARY_USER_AGENT = "eventflow-canary";

export class HttpCanaryApi implements CanaryApi {
  private readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly fetchFn: typeof fetch = fetch,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  async send(apiKey: string, event: IncomingEvent, timeoutMs: number): Promise<SendAnswer> {
    const answer = await this.call("POST", "/v1/events", apiKey, event.id, timeoutMs, event);
    if ("problem" in answer) return { kind: "refused", ...answer.problem };
    if (answer.status !== 202) return { kind: "refused", ...problemOf(answer) };
    const receipt = receiptSchema.safeParse(answer.body);
    if (!receipt.success) return { kind: "refused", ...unexpected(answer.status) };
    return { kind: "accepted", id: receipt.data.id };
  }

  async read(apiKey: string, id: string, timeoutMs: number): Promise<ReadAnswer> {
    const path = `/v1/events/${encodeURIComponent(id)}`;
    const answer = await this.call("GET", path, apiKey, id, timeoutMs);
    if ("problem" in answer) return { kind: "refused", ...answer.problem };
    if (answer.status === 200) {
      const stored = storedSchema.safeParse(answer.body);
      if (!stored.success) return { kind: "refused", ...unexpected(200) };
      const { status, latencyMs, failure } = stored.data;
      return {
        kind: "stored",
        status,
        ...(latencyMs === undefined ? {} : { latencyMs }),
        ...(failure ? { reason: failure.reason } : {}),
      };
    }
    const problem = problemOf(answer);
    // Not stored yet; a 404 of another kind (route_not_found) is a wrong URL, final.
    if (answer.status === 404 && problem.code === "not_found") return { kind: "not_found" };
    return { kind: "refused", ...problem };
  }

  private async call(
    method: "GET" | "POST",
    path: string,
    apiKey: string,
    correlationId: string | undefined,
    timeoutMs: number,
    body?: unknown,
  ): Promise<Answer | { problem: ApiProblem }> {
    try {
      const response = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          accept: "application/json",
          "user-agent": CANARY_USER_AGENT,
          ...(correlationId ? { [CORRELATION_HEADER]: correlationId } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs))),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, body: parsed };
    } catch (error) {
      // Timeouts (TimeoutError), refused connections, DNS: no answer, worth another try.
      const code = error instanceof Error ? error.name : "network_error";
      return { problem: { status: 0, code, retryable: true } };
    }
  }
}

function problemOf(answer: Answer): ApiProblem {
  const envelope = errorSchema.safeParse(answer.body);
  return {
    status: answer.status,
    code: envelope.success ? envelope.data.error.code : "unexpected_answer",
    retryable: answer.status === 429 || answer.status >= 500,
  };
}

const unexpected = (status: number): ApiProblem => ({
  status,
  code: "unexpected_body",
  retryable: false,
});

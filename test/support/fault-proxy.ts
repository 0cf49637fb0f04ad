/**
 * A fault-injecting HTTP proxy in front of the local runtime, for clients (the SDK) that
 * must survive a flaky network. Each POST /v1/events is handled by the action the plan
 * picks for it (other requests pass):
 *
 * - `pass`: forwarded, the answer relayed;
 * - `reset`: the connection is destroyed before anything is forwarded (nothing stored);
 * - `reset-after`: forwarded (the events are queued), then the connection is destroyed
 *   instead of answering: the client cannot know, and must resend the same ids;
 * - `503` / `429`: answered at once (429 with `Retry-After: 1`), nothing forwarded;
 * - `503-after`: forwarded, then answered 503 as if it had failed.
 *
 * While the upstream is down (a restart), requests get their connection reset, as a client
 * would see a load balancer's. `upstream` can be changed at any time (a restarted runtime
 * listens on a new port).
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type ProxyAction = "pass" | "reset" | "reset-after" | "503" | "503-after" | "429";

export interface FaultProxy {
  url: string;
  upstream: string;
  /** Actions taken, plus `upstream-<status>` for what the runtime answered and `upstream-down`. */
  readonly counts: Record<string, number>;
  close(): Promise<void>;
}

export async function startFaultProxy(
  upstream: string,
  plan: (n: number) => ProxyAction,
): Promise<FaultProxy> {
  const counts: Record<string, number> = {};
  const count = (key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  let n = 0;
  const proxy: FaultProxy = {
    url: "",
    upstream,
    counts,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const faulty = req.method === "POST" && (req.url ?? "").startsWith("/v1/events");
    const action: ProxyAction = faulty ? plan(++n) : "pass";
    if (faulty) count(action);
    if (action === "reset") return void req.socket.destroy();
    if (action === "503") return answer(res, 503, "queue_unavailable", {});
    if (action === "429") return answer(res, 429, "throttled", { "retry-after": "1" });
    let status: number;
    let headers: Headers;
    let text: ArrayBuffer;
    try {
      const upstreamAnswer = await fetch(`${proxy.upstream}${req.url ?? "/"}`, {
        method: req.method ?? "GET",
        headers: pick(req.headers, ["authorization", "content-type", "accept"]),
        ...(body.length > 0 ? { body } : {}),
      });
      status = upstreamAnswer.status;
      headers = upstreamAnswer.headers;
      text = await upstreamAnswer.arrayBuffer();
    } catch {
      count("upstream-down");
      return void req.socket.destroy();
    }
    if (faulty) count(`upstream-${status}`);
    if (action === "reset-after") return void req.socket.destroy();
    if (action === "503-after") return answer(res, 503, "queue_unavailable", {});
    const relayed: Record<string, string> = {};
    for (const name of ["content-type", "retry-after", "x-correlation-id"]) {
      const value = headers.get(name);
      if (value) relayed[name] = value;
    }
    res.writeHead(status, relayed);
    res.end(Buffer.from(text));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/** The API's error envelope, as the gateway answers it. */
function answer(
  res: ServerResponse,
  status: number,
  code: string,
  headers: Record<string, string>,
) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(
    JSON.stringify({ error: { code, message: `injected ${status}`, requestId: randomUUID() } }),
  );
}

function pick(headers: IncomingMessage["headers"], names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (typeof value === "string") out[name] = value;
  }
  return out;
}

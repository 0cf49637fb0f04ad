/** A small JSON client for the query API, with keep-alive connections and bounded concurrency. */
import http from "node:http";
import https from "node:https";
import { apiPath } from "./sender.js";

export interface ApiResponse {
  status: number;
  body: unknown;
}

export class ApiClient {
  readonly #agent: http.Agent;
  readonly #headers: Record<string, string>;
  requests = 0;

  constructor(
    readonly base: URL,
    apiKey: string | undefined,
    readonly concurrency: number,
    readonly timeoutMs = 30_000,
  ) {
    const Agent = base.protocol === "https:" ? https.Agent : http.Agent;
    this.#agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    this.#headers = { accept: "application/json" };
    if (apiKey) this.#headers.authorization = `Bearer ${apiKey}`;
  }

  /** GET `path` (below the base URL) with query parameters; the body parsed as JSON when it is. */
  get(path: string, query: Record<string, string | undefined> = {}): Promise<ApiResponse> {
    const url = new URL(this.base);
    url.pathname = apiPath(this.base, path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    const request = url.protocol === "https:" ? https.request : http.request;
    this.requests++;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { method: "GET", agent: this.#agent, headers: this.#headers, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // Not JSON: keep the text for the error message.
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`GET ${url.pathname} timed out`)));
      req.on("error", reject);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the items' order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

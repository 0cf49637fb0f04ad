/**
 * Test support: a webhook receiver on loopback that verifies every request with the
 * official Standard Webhooks library (`standardwebhooks`) and records what it got. Its
 * answer is scripted per request; it can go down (stop listening) and come back on the
 * same port.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: unknown;
  headers: IncomingMessage["headers"];
  /** The signature verified with the secret given (false when none was set yet). */
  verified: boolean;
  /** Answer status this request got. */
  status: number;
  at: number;
  path: string;
}

export type Script = (req: {
  id: string;
  body: unknown;
  attempt: number;
  path: string;
}) =>
  | number
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Verifying secrets (any one verifying counts). */
  secrets: string[] = [];
  script: Script = () => 200;
  private server: Server;
  port = 0;
  private readonly attempts = new Map<string, number>();

  constructor() {
    this.server = this.make();
  }

  private make(): Server {
    return createServer((req, res) => void this.handle(req, res));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    this.server.listen(port, "127.0.0.1");
    await once(this.server, "listening");
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening (connections are refused) until `up()`. */
  async down(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  async up(): Promise<void> {
    this.server = this.make();
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    await this.down().catch(() => undefined);
  }

  /** First request per webhook-id that was answered 2xx: what the receiver "processed". */
  delivered(): Received[] {
    const seen = new Set<string>();
    return this.received.filter((r) => {
      if (r.status < 200 || r.status >= 300 || seen.has(r.id)) return false;
      seen.add(r.id);
      return true;
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const header = (name: string) => String(req.headers[name] ?? "");
    const headers = {
      "webhook-id": header("webhook-id"),
      "webhook-timestamp": header("webhook-timestamp"),
      "webhook-signature": header("webhook-signature"),
    };
    let verified = false;
    for (const secret of this.secrets) {
      try {
        new Webhook(secret).verify(text, headers);
        verified = true;
        break;
      } catch {
        // another secret may verify
      }
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    const id = headers["webhook-id"];
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, attempt);
    const scripted = this.script({ id, body, attempt, path: req.url ?? "/" });
    const answer = typeof scripted === "number" ? { status: scripted } : scripted;
    if ("delayMs" in answer && answer.delayMs)
      await new Promise((r) => setTimeout(r, answer.delayMs));
    this.received.push({
      id,
      timestamp: headers["webhook-timestamp"],
      signature: headers["webhook-signature"],
      body,
      headers: req.headers,
      verified,
      status: answer.status,
      at: Date.now(),
      path: req.url ?? "/",
    });
    res.writeHead(answer.status, {
      "content-type": "text/plain",
      ...("headers" in answer ? answer.headers : {}),
    });
    res.end(("body" in answer ? answer.body : undefined) ?? `answer ${answer.status}`);
  }
}

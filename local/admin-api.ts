/**
 * `/_local/*`: what only the local runtime has (on AWS these paths are unknown
 * resources). Faults can be flipped while the platform runs, metrics read and reset,
 * the status read, and the console on this machine is offered the development key.
 *
 * Every route is guarded (local/README.md, "Local-only endpoints"):
 * - cross-site requests are refused: `Sec-Fetch-Site` other than same-origin/none, or an
 *   Origin that is not this runtime's own (http://<Host>);
 * - a Host that is not a name of this runtime (a loopback name, an IP literal, the
 *   `--host` or this machine's name) is refused: a DNS-rebinding page sends its own;
 * - routes that change state take only JSON (a cross-site "simple" text/plain POST never
 *   reaches them) and only from a loopback peer, decided by the socket's remote address;
 * - the development key goes only to a loopback peer that addressed a loopback name.
 */

import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { type Faults, faultInputSchema } from "./faults.js";
import type { GatewayAnswer } from "./gateway/answers.js";
import { readBody } from "./gateway/body.js";
import { isLoopbackAddress, isWildcardAddress } from "./listen.js";
import type { MetricsAggregator } from "./metrics.js";
import type { LocalOutbox } from "./outbox.js";

export const ADMIN_PREFIX = "/_local/";
const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;

export interface AdminDeps {
  faults: Faults;
  metrics: MetricsAggregator;
  /** What email and EventBridge destinations sent (GET /_local/outbox). */
  outbox?: LocalOutbox;
  /** Offered to the console (GET /_local/dev-key). */
  devKey?: string;
  status: () => Promise<unknown>;
  /** The address the runtime listens on (--host). */
  host: string;
}

const json = (
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): GatewayAnswer => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** Host names a browser on this machine uses for the runtime. */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The host part of a Host header, lower case, port removed (`[::1]:3000` -> `[::1]`). */
export function hostName(host: string | undefined): string {
  const h = (host ?? "").trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  return h.replace(/:\d*$/, "");
}

export class LocalAdmin {
  private readonly knownHosts: Set<string>;

  constructor(private readonly deps: AdminDeps) {
    const own = deps.host.toLowerCase();
    this.knownHosts = new Set([
      ...LOOPBACK_HOSTS,
      hostname().toLowerCase(),
      ...(isWildcardAddress(own) ? [] : [own.includes(":") ? `[${own}]` : own]),
    ]);
  }

  /** Why a request may not reach an admin route, or undefined when it may. */
  refusal(req: IncomingMessage, method: string, path: string): GatewayAnswer | undefined {
    const site = req.headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin" && site !== "none") {
      return json({ message: "cross-site requests to /_local/ are refused" }, 403);
    }
    const host = hostName(req.headers.host);
    const ipLiteral = isIP(host.replace(/^\[|\]$/g, "")) !== 0;
    if (!this.knownHosts.has(host) && !ipLiteral) {
      return json({ message: `/_local/ does not answer for host ${host || "(none)"}` }, 403);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) {
      return json({ message: "cross-origin requests to /_local/ are refused" }, 403);
    }
    const loopbackPeer = isLoopbackAddress(req.socket.remoteAddress);
    if (path === "/_local/dev-key" && !(loopbackPeer && LOOPBACK_HOSTS.has(host))) {
      return json(
        { message: "the dev key is only given to pages served by this runtime on localhost" },
        403,
        { "cache-control": "no-store" },
      );
    }
    // The outbox holds events' contents (emails): this machine only, like the dev key.
    if (path === "/_local/outbox" && !loopbackPeer) {
      return json({ message: "the outbox is only shown to this machine" }, 403);
    }
    if (!SAFE_METHODS.has(method)) {
      if (!loopbackPeer) {
        return json({ message: "/_local/ changes are only taken from this machine" }, 403);
      }
      const hasBody =
        Number(req.headers["content-length"] ?? "0") > 0 ||
        req.headers["transfer-encoding"] !== undefined;
      const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
      if ((hasBody || method === "POST" || method === "PUT") && type !== "application/json") {
        return json({ message: "send the body as application/json" }, 415);
      }
    }
    return undefined;
  }

  async handle(req: IncomingMessage, path: string): Promise<GatewayAnswer> {
    const method = (req.method ?? "GET").toUpperCase();
    const refused = this.refusal(req, method, path);
    if (refused) {
      req.resume();
      return refused;
    }
    switch (`${method} ${path}`) {
      case "GET /_local/faults":
        return json(this.deps.faults.snapshot());
      case "POST /_local/faults":
      case "PUT /_local/faults": {
        let input: unknown;
        try {
          const raw = (await readBody(req, ADMIN_BODY_LIMIT_BYTES)).toString("utf8");
          input = raw ? JSON.parse(raw) : {};
        } catch {
          return json({ message: "body must be JSON" }, 400);
        }
        const parsed = faultInputSchema.safeParse(input);
        if (!parsed.success) {
          return json(
            {
              message: parsed.error.issues
                .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
                .join("; "),
            },
            400,
          );
        }
        const state = this.deps.faults.update(parsed.data);
        await this.deps.faults.settled();
        return json(state);
      }
      case "DELETE /_local/faults": {
        const state = this.deps.faults.clear();
        await this.deps.faults.settled();
        return json(state);
      }
      case "GET /_local/metrics":
        return json(this.deps.metrics.snapshot());
      case "GET /_local/metrics/series": {
        // Per-second series for the console: ?seconds=120&names=EventsReceived,...
        const query = new URL(req.url ?? "/", "http://local").searchParams;
        const names = query.get("names")?.split(",").filter(Boolean);
        return json(
          this.deps.metrics.timeSeries({
            seconds: Number(query.get("seconds") ?? 120) || 120,
            ...(names ? { names } : {}),
          }),
        );
      }
      case "GET /_local/dev-key":
        // A cross-origin page cannot read it anyway: the answer has no CORS headers.
        if (!this.deps.devKey) {
          return json({ message: "this runtime has no dev key" }, 404, {
            "cache-control": "no-store",
          });
        }
        return json({ key: this.deps.devKey, tenantId: "local" }, 200, {
          "cache-control": "no-store",
        });
      case "DELETE /_local/metrics":
        this.deps.metrics.reset();
        return json(this.deps.metrics.snapshot());
      case "GET /_local/outbox":
        return json({ items: this.deps.outbox?.list() ?? [] }, 200, {
          "cache-control": "no-store",
        });
      case "GET /_local/status":
        return json(await this.deps.status());
      default:
        return json({ message: `no local endpoint ${method} ${path}` }, 404);
    }
  }
}

/**
 * The one way deliveries call a URL (webhooks, Slack): POST with a body, no redirects
 * followed, a connect timeout and a whole-answer timeout, the answer read up to 1 KiB and
 * then dropped. Every connection resolves the host itself (a custom `lookup`) and refuses
 * unless every address the name resolves to is allowed (domain/ssrf.ts), then connects to
 * an address it checked: a name that changes its answer between the check and the connect
 * (DNS rebinding) gains nothing. Literal IP hosts (which skip `lookup`) are checked first.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { firstBytes, RESPONSE_LOG_BYTES } from "../domain/delivery-attempt.js";
import { type AddressPolicy, forbiddenAddress, invalidWebhookUrl } from "../domain/ssrf.js";
import type { UrlGuard } from "../ports/delivery-senders.js";

export interface HttpDeliveryOptions {
  policy: AddressPolicy;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  /** Test seam: name resolution (default node:dns lookup). */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingMessage["headers"];
  /** The first KiB of the body. */
  body: string;
}

/** Why a call got no answer: the message goes to the delivery log. */
export class DeliveryNetworkError extends Error {
  constructor(
    message: string,
    readonly kind: "refused" | "timeout" | "connection",
  ) {
    super(message);
  }
}

const defaultResolve = (hostname: string): Promise<LookupAddress[]> =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

export class HttpDeliveryClient implements UrlGuard {
  private readonly resolve: (hostname: string) => Promise<LookupAddress[]>;

  constructor(private readonly options: HttpDeliveryOptions) {
    this.resolve = options.resolve ?? defaultResolve;
  }

  /** At creation: the URL's shape, then every address its name resolves to. */
  async check(url: string): Promise<string | undefined> {
    const shape = invalidWebhookUrl(url, this.options.policy);
    if (shape) return shape;
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    if (isIP(host)) return undefined;
    try {
      const addresses = await this.resolve(host);
      if (addresses.length === 0) return `${host} does not resolve`;
      for (const a of addresses) {
        const problem = forbiddenAddress(a.address, this.options.policy);
        if (problem) return `${host} resolves to ${problem}`;
      }
      return undefined;
    } catch {
      return `${host} does not resolve`;
    }
  }

  private guardedLookup(): LookupFunction {
    return (hostname, options, callback) => {
      this.resolve(hostname).then(
        (addresses) => {
          const problem = addresses
            .map((a) => forbiddenAddress(a.address, this.options.policy))
            .find((p) => p !== undefined);
          if (problem || addresses.length === 0) {
            const error = new DeliveryNetworkError(
              problem
                ? `refused: ${hostname} resolves to ${problem}`
                : `${hostname} does not resolve`,
              problem ? "refused" : "connection",
            );
            callback(error as NodeJS.ErrnoException, "", 0);
            return;
          }
          const family = typeof options === "object" ? options.family : undefined;
          const usable = addresses.filter((a) => !family || a.family === family);
          if (typeof options === "object" && options.all) {
            (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
          } else {
            const first = usable[0] ?? addresses[0];
            callback(null, first?.address ?? "", first?.family ?? 4);
          }
        },
        (error: Error) => callback(error as NodeJS.ErrnoException, "", 0),
      );
    };
  }

  /** POSTs `body`; resolves with the answer, rejects with a DeliveryNetworkError. */
  post(url: string, headers: Record<string, string>, body: string): Promise<HttpAnswer> {
    const problem = invalidWebhookUrl(url, this.options.policy);
    if (problem) return Promise.reject(new DeliveryNetworkError(`refused: ${problem}`, "refused"));
    const target = new URL(url);
    const request = target.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      const fail = (error: DeliveryNetworkError) => {
        if (settled) return;
        settled = true;
        clearTimeout(total);
        clearTimeout(connect);
        req.destroy();
        reject(error);
      };
      const req = request(target, {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        lookup: this.guardedLookup(),
        agent: false,
      });
      const total = setTimeout(
        () =>
          fail(
            new DeliveryNetworkError(
              `no answer within ${this.options.responseTimeoutMs} ms`,
              "timeout",
            ),
          ),
        this.options.responseTimeoutMs,
      );
      const connect = setTimeout(
        () =>
          fail(
            new DeliveryNetworkError(
              `no connection within ${this.options.connectTimeoutMs} ms`,
              "timeout",
            ),
          ),
        this.options.connectTimeoutMs,
      );
      req.on("socket", (socket) => {
        const connected = () => clearTimeout(connect);
        if (!socket.connecting) connected();
        socket.once(target.protocol === "https:" ? "secureConnect" : "connect", connected);
      });
      req.on("error", (error: Error) =>
        fail(
          error instanceof DeliveryNetworkError
            ? error
            : new DeliveryNetworkError(
                `${(error as NodeJS.ErrnoException).code ?? "error"}: ${error.message}`,
                "connection",
              ),
        ),
      );
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          if (settled) return;
          settled = true;
          clearTimeout(total);
          clearTimeout(connect);
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: firstBytes(text, RESPONSE_LOG_BYTES),
          });
          res.destroy();
        };
        res.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          // Enough for the log: the rest is never read.
          if (size >= RESPONSE_LOG_BYTES) done();
        });
        res.on("end", done);
        res.on("error", done);
        res.on("aborted", done);
      });
      // The literal address (which skips lookup) was checked by invalidWebhookUrl above.
      req.end(body);
    });
  }
}

/**
 * The part of autocannon's programmatic API the load generator uses. autocannon ships
 * no type declarations; @types/autocannon would be another dependency for a handful
 * of fields, so they are declared here from autocannon 9's lib/ sources.
 */
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  export interface RequestParams {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }

  /** Per-connection state, reset (cloned from initialContext) before each request. */
  export type Context = Record<string, unknown>;

  export interface Request extends RequestParams {
    /** Called right before each request is written; must return the request to send. */
    setupRequest?: (request: RequestParams, context: Context) => RequestParams;
    /** Called with each response's status and full body (a string). */
    onResponse?: (
      status: number,
      body: string,
      context: Context,
      headers: Record<string, string | string[]>,
    ) => void;
  }

  /** One connection. Only the fields read or written by the generator. */
  export interface Client extends EventEmitter {
    /** Requests this connection has written. */
    reqsMade: number;
    /** The connection stops (gracefully, after its in-flight request) once reqsMade reaches it. */
    responseMax: number;
    /** Internals of the rate limit (lib/httpClient.js), used by paceEvenly in sender.ts. */
    reqsMadeThisSecond: number;
    rateInterval: NodeJS.Timeout | undefined;
    paused: boolean;
    destroyed: boolean;
    _doRequest(): void;
  }

  export interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds; ignored when `amount` is set. */
    duration?: number;
    /** Total requests. */
    amount?: number;
    /** Requests per second over all connections. */
    overallRate?: number;
    /** Request timeout in seconds. */
    timeout?: number;
    bailout?: number;
    requests?: Request[];
    setupClient?: (client: Client) => void;
  }

  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
  }

  export interface Result {
    latency: Histogram;
    requests: Histogram & { total: number; sent: number };
    throughput: Histogram & { total: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    duration: number;
    start: Date;
    finish: Date;
    statusCodeStats: Record<string, { count: number }>;
  }

  export interface Instance extends EventEmitter {
    stop(): void;
  }

  export default function autocannon(
    options: Options,
    callback: (error: Error | null, result: Result) => void,
  ): Instance;
}

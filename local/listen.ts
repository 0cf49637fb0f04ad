/**
 * Where the runtime's listeners bind, and who is calling: every server the runtime
 * starts (the API, the embedded SQS and DynamoDB) binds the loopback address or the
 * `--host` the user chose, and is checked after it starts; callers are told apart by
 * their socket's address, never by the Host header.
 */
import { lookup } from "node:dns/promises";
import type { Server } from "node:http";
import { isIP } from "node:net";
import { RuntimeStartError } from "./errors.js";

/** What the embedded emulators bind: they have no authentication, so never anything else. */
export const EMULATOR_HOST = "127.0.0.1";

/** 127.0.0.0/8, ::1, and IPv4 loopback as an IPv4-mapped IPv6 address. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^\[|\]$/g, "");
  if (a === "::1" || a === "0:0:0:0:0:0:0:1") return true;
  const v4 = a.startsWith("::ffff:") ? a.slice(7) : a;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

/** A wildcard address: every interface. */
export function isWildcardAddress(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "0:0:0:0:0:0:0:0";
}

/**
 * Whether a listener bound to `bound` is where `asked` said: the same address for an IP
 * literal, one of the name's addresses for a host name (`localhost`: a loopback one).
 */
export async function boundAsAsked(bound: string, asked: string): Promise<boolean> {
  const want = asked.replace(/^\[|\]$/g, "");
  if (isIP(want)) {
    if (isWildcardAddress(want)) return isWildcardAddress(bound);
    return normalize(bound) === normalize(want);
  }
  if (want.toLowerCase() === "localhost") return isLoopbackAddress(bound);
  try {
    const addresses = await lookup(want, { all: true });
    return addresses.some((a) => normalize(a.address) === normalize(bound));
  } catch {
    return false;
  }
}

const normalize = (address: string) => {
  const a = address.toLowerCase();
  return a.startsWith("::ffff:") && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
};

/** Refuses to start when a listener is not bound where it was asked to be. */
export async function assertBound(name: string, bound: string, asked: string): Promise<void> {
  if (!(await boundAsAsked(bound, asked))) {
    throw new RuntimeStartError(
      `${name} is listening on ${bound}, not on ${asked} as asked; refusing to start`,
    );
  }
}

/** The bound address of a listening server. */
export function boundAddress(server: Server): { address: string; port: number } {
  const info = server.address();
  if (!info || typeof info === "string") throw new Error("server is not listening on TCP");
  return { address: info.address, port: info.port };
}

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (error.code === "EADDRINUSE") {
        reject(
          new RuntimeStartError(
            `port ${port} on ${host} is in use; pass --port <n> (or PORT=<n>), or stop what uses it`,
          ),
        );
      } else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
        reject(
          new RuntimeStartError(`cannot listen on host ${host} (${error.code}); check --host`),
        );
      } else if (error.code === "EACCES") {
        reject(
          new RuntimeStartError(`no permission to listen on port ${port}; pick another --port`),
        );
      } else {
        reject(error);
      }
    };
    const onListening = () => {
      server.off("error", onError);
      resolvePromise();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolvePromise) => {
    server.close(() => resolvePromise());
    server.closeAllConnections();
  });
}

/** How the runtime's URL names its host. */
export function displayHost(host: string): string {
  return host === "127.0.0.1" || host === "0.0.0.0" || host === "::"
    ? "localhost"
    : host.includes(":")
      ? `[${host}]`
      : host;
}

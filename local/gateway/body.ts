/** Reading a request's body: the one reader the gateway and the admin API use. */
import type { IncomingMessage } from "node:http";

export class BodyTooLarge extends Error {}

/**
 * How much of an oversized body is read and thrown away so that the client, still
 * writing, gets its 413 instead of a reset connection (EPIPE). Past this the connection
 * is cut: nobody is owed an answer for a 64 MB upload to a 10 MB API.
 */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * The whole body, or BodyTooLarge once it passes `limit`. An oversized body is read to
 * its end (up to DISCARD_LIMIT_BYTES) and discarded, never buffered: breaking out of the
 * stream would destroy the socket before the answer is written.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > limit;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        if (size > DISCARD_LIMIT_BYTES) {
          req.destroy();
          reject(new BodyTooLarge());
        }
        return;
      }
      chunks.push(chunk);
    });
    req.once("end", () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.once("error", reject);
    req.once("close", () => {
      if (!req.readableEnded) reject(tooLarge ? new BodyTooLarge() : new Error("request aborted"));
    });
  });
}

/** Reads and throws away the body of a request answered without it. */
export async function discardBody(req: IncomingMessage): Promise<void> {
  req.resume();
  if (req.readableEnded) return;
  await new Promise<void>((resolve) => {
    req.once("end", resolve);
    req.once("error", () => resolve());
    req.once("close", () => resolve());
  });
}

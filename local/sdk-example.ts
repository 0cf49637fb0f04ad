/**
 * The producer SDK's browser example (sdk/examples/browser/), served beside the console at
 * `/examples/sdk/`: the page, its script, and `eventflow-sdk.js`, the SDK (sdk/src) bundled
 * as one ES module by esbuild when asked for (esbuild comes with tsx, which runs
 * `npm start`). Same origin as the API, so the page needs no CORS. Not in the stack.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join, resolve } from "node:path";
import type { GatewayAnswer } from "./gateway/answers.js";

const SDK_DIR = resolve(import.meta.dirname, "../sdk");
export const SDK_EXAMPLE_PATH = "/examples/sdk/";

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const isSdkExamplePath = (path: string): boolean =>
  path === "/examples/sdk" || path.startsWith(SDK_EXAMPLE_PATH);

export async function sdkExampleAnswer(req: IncomingMessage, path: string): Promise<GatewayAnswer> {
  req.resume();
  const method = (req.method ?? "GET").toUpperCase();
  if (method !== "GET" && method !== "HEAD") {
    return { status: 405, headers: { allow: "GET, HEAD", "content-type": "text/plain" }, body: "" };
  }
  const name = path === "/examples/sdk" ? "" : path.slice(SDK_EXAMPLE_PATH.length);
  const headers = { "cache-control": "no-cache", "x-content-type-options": "nosniff" };
  if (name === "" || name === "index.html") {
    return {
      status: 200,
      headers: {
        ...headers,
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": CSP,
      },
      body: await readFile(join(SDK_DIR, "examples/browser/index.html")),
    };
  }
  if (name === "app.js") {
    return {
      status: 200,
      headers: { ...headers, "content-type": "text/javascript; charset=utf-8" },
      body: await readFile(join(SDK_DIR, "examples/browser/app.js")),
    };
  }
  if (name === "eventflow-sdk.js") {
    return {
      status: 200,
      headers: { ...headers, "content-type": "text/javascript; charset=utf-8" },
      body: await bundleSdk(),
    };
  }
  return {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
    body: "Not Found",
  };
}

/** sdk/src/index.ts as one ES module for browsers (built per request: a dev page). */
async function bundleSdk(): Promise<string> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [join(SDK_DIR, "src/index.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

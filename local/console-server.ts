/**
 * The pages the local runtime serves beside the API: `/` is the console (static files
 * in local/console/, no build step), `/console/<file>` its assets, `/docs` the OpenAPI
 * document as HTML (local/console/docs-html.ts). None of this is in the stack: on AWS
 * these paths are unknown resources. The development key it offers the page:
 * local/admin-api.ts (GET /_local/dev-key).
 *
 * Files are read from disk on every request and answered with `Cache-Control: no-cache`
 * and an ETag, so a browser revalidates (304) and an edited file shows on reload.
 */
import { readFile, stat } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { extname, join } from "node:path";
import type { GatewayAnswer } from "./gateway/answers.js";

export const CONSOLE_DIR = join(import.meta.dirname, "console");

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** Same-origin only: the console works offline and fetches nothing from elsewhere. */
const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** The docs page is one file with inline CSS and no script. */
const DOCS_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

/** A bare file name: no folder, no dot-file, a known extension. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isConsolePath(path: string): boolean {
  return path === "/" || path === "/docs" || path === "/console" || path.startsWith("/console/");
}

let docsPage: string | undefined;

export async function consoleAnswer(req: IncomingMessage, path: string): Promise<GatewayAnswer> {
  const method = (req.method ?? "GET").toUpperCase();
  req.resume();
  if (method !== "GET" && method !== "HEAD") {
    return text(405, "Method Not Allowed", { allow: "GET, HEAD" });
  }
  const head = method === "HEAD";
  if (path === "/docs") {
    if (!docsPage) {
      const [{ renderDocsHtml }, { openApiDocument }] = await Promise.all([
        import("./console/docs-html.js"),
        import("../lambdas/http/openapi-document.js"),
      ]);
      docsPage = renderDocsHtml(openApiDocument());
    }
    return {
      status: 200,
      headers: {
        "content-type": CONTENT_TYPES[".html"] ?? "text/html",
        "cache-control": "no-cache",
        "content-security-policy": DOCS_CSP,
        "x-content-type-options": "nosniff",
      },
      ...(head ? {} : { body: docsPage }),
    };
  }
  const name =
    path === "/" || path === "/console" || path === "/console/"
      ? "index.html"
      : path.slice("/console/".length);
  const type = CONTENT_TYPES[extname(name)];
  if (!FILE_NAME.test(name) || !type) return text(404, "Not Found");
  const file = join(CONSOLE_DIR, name);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
  } catch {
    return text(404, "Not Found");
  }
  if (!info.isFile()) return text(404, "Not Found");
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers: Record<string, string> = {
    "content-type": type,
    "cache-control": "no-cache",
    etag,
    "x-content-type-options": "nosniff",
    ...(name.endsWith(".html") ? { "content-security-policy": CONSOLE_CSP } : {}),
  };
  if (req.headers["if-none-match"] === etag) return { status: 304, headers };
  return { status: 200, headers, ...(head ? {} : { body: await readFile(file) }) };
}

function text(status: number, body: string, headers: Record<string, string> = {}): GatewayAnswer {
  return {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
    body,
  };
}

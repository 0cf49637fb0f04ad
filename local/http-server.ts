/**
 * The runtime's one HTTP server: `/_local/*` to the admin API (local/admin-api.ts), the
 * console's pages (local/console-server.ts), the SDK's browser example
 * (local/sdk-example.ts), everything else to the gateway
 * (local/gateway/). While draining, every request is answered 503.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { ADMIN_PREFIX, type LocalAdmin } from "./admin-api.js";
import { consoleAnswer, isConsolePath } from "./console-server.js";
import { gatewayAnswers, writeAnswer } from "./gateway/answers.js";
import type { ApiGateway } from "./gateway/api-gateway.js";
import type { State } from "./lifecycle.js";
import type { RuntimeLogger } from "./log.js";
import { isSdkExamplePath, sdkExampleAnswer } from "./sdk-example.js";

export interface RuntimeServerOptions {
  admin: LocalAdmin;
  gateway: ApiGateway;
  state: () => State;
  /** The port the server listens on, once it does (proxy events carry it). */
  port: () => number;
  logger: RuntimeLogger;
}

export interface RuntimeServer {
  server: Server;
  activeRequests(): number;
}

export function createRuntimeServer(options: RuntimeServerOptions): RuntimeServer {
  const { admin, gateway, logger: log } = options;
  let activeRequests = 0;
  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const answer = path.startsWith(ADMIN_PREFIX)
      ? await admin.handle(req, path)
      : isConsolePath(path)
        ? await consoleAnswer(req, path)
        : isSdkExamplePath(path)
          ? await sdkExampleAnswer(req, path)
          : await gateway.handle(req, options.port());
    writeAnswer(res, answer);
  };
  const server = createServer((req, res) => {
    activeRequests++;
    res.on("close", () => activeRequests--);
    if (options.state() !== "running") {
      writeAnswer(res, gateway.ownAnswer(req, gatewayAnswers.shuttingDown(randomUUID())));
      return;
    }
    void route(req, res).catch((error: unknown) => {
      log.error("request failed", { error: String(error) });
      if (!res.headersSent) {
        writeAnswer(res, gateway.ownAnswer(req, gatewayAnswers.internalError(randomUUID())));
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  return { server, activeRequests: () => activeRequests };
}

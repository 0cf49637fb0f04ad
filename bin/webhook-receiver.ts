#!/usr/bin/env node
/**
 * A local webhook receiver for trying destinations: listens on 127.0.0.1, verifies each
 * request's Standard Webhooks signature with the official `standardwebhooks` library (the
 * secret from --secret or WEBHOOK_SECRET), prints it, and answers 200 (or --fail-rate of
 * the requests 500, to watch retries).
 *
 *   WEBHOOK_SECRET=whsec_... npm run receiver -- --port 4000 [--fail-rate 0.2]
 */
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";

export function startReceiver(options: {
  port: number;
  secret?: string;
  failRate: number;
  out: (line: string) => void;
}) {
  const webhook = options.secret ? new Webhook(options.secret) : undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = {
        "webhook-id": String(req.headers["webhook-id"] ?? ""),
        "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
        "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
      };
      let verdict = "signature not checked (no secret)";
      if (webhook) {
        try {
          webhook.verify(body, headers);
          verdict = "signature ok";
        } catch (error) {
          verdict = `SIGNATURE INVALID: ${(error as Error).message}`;
        }
      }
      const status = Math.random() < options.failRate ? 500 : 200;
      options.out(
        `${new Date().toISOString()} ${req.method} ${req.url} ${headers["webhook-id"]} ${verdict} -> ${status}`,
      );
      options.out(`  ${body.slice(0, 500)}`);
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status === 200 ? "ok" : "failing on purpose");
    });
  });
  server.listen(options.port, "127.0.0.1");
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "4000" },
      secret: { type: "string" },
      "fail-rate": { type: "string", default: "0" },
    },
  });
  const secret = values.secret ?? process.env.WEBHOOK_SECRET;
  const port = Number(values.port);
  startReceiver({
    port,
    ...(secret ? { secret } : {}),
    failRate: Number(values["fail-rate"]),
    out: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(
    `webhook receiver on http://127.0.0.1:${port}/ (${secret ? "verifying signatures" : "no secret: not verifying"})\n`,
  );
}

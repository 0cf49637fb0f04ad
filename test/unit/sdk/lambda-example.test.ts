/**
 * The README's Lambda example (sdk/examples/lambda/handler.ts) as Lambda runs it: the
 * module initialised once with EVENTFLOW_URL / EVENTFLOW_API_KEY, the handler invoked
 * twice; each invocation's event has reached the API when the handler returns.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it, vi } from "vitest";

const received: { authorization?: string; events: Record<string, unknown>[] }[] = [];
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => {
    body += c;
  });
  req.on("end", () => {
    const { events } = JSON.parse(body) as { events: { id: string }[] };
    received.push({ authorization: req.headers.authorization, events });
    res.writeHead(202, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        results: events.map((e, index) => ({ index, id: e.id, status: "queued" })),
      }),
    );
  });
});

afterAll(() => {
  server.close();
  vi.unstubAllEnvs();
});

describe("the Lambda example", () => {
  it("tracks during the invocation and has flushed when it returns", async () => {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    vi.stubEnv("EVENTFLOW_URL", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    vi.stubEnv("EVENTFLOW_API_KEY", "efk_example");
    const { handler } = await import("../../../sdk/examples/lambda/handler.js");
    await handler({ orderId: "1001", userId: "user-42", amount: 12 });
    expect(received).toHaveLength(1);
    await handler({ orderId: "1002", userId: "user-43", amount: 30 });
    expect(received).toHaveLength(2);
    expect(received[0]?.authorization).toBe("Bearer efk_example");
    expect(received.flatMap((r) => r.events)).toEqual([
      {
        id: "order-1001",
        type: "purchase",
        subject: "user-42",
        data: { amount: 12, currency: "EUR" },
        source: "order-service",
      },
      {
        id: "order-1002",
        type: "purchase",
        subject: "user-43",
        data: { amount: 30, currency: "EUR" },
        source: "order-service",
      },
    ]);
  });
});

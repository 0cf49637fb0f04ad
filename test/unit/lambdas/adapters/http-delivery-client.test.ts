/**
 * The delivery HTTP client: the address check at creation (every address a name resolves
 * to) and at connection time (a name that resolved to a public address at creation and to
 * a private one now is refused: DNS rebinding), timeouts, the answer read up to 1 KiB.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DeliveryNetworkError,
  HttpDeliveryClient,
} from "../../../../lambdas/adapters/http-delivery-client.js";

let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/slow") return void setTimeout(() => res.end("late"), 2000);
    if (req.url === "/big") return void res.end("x".repeat(1_000_000));
    res.writeHead(201, { "retry-after": "7" });
    res.end("created");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const client = (answers: string[][], allowLoopback = true) => {
  let call = 0;
  return new HttpDeliveryClient({
    policy: { allowLoopback },
    connectTimeoutMs: 1000,
    responseTimeoutMs: 500,
    resolve: async () =>
      (answers[Math.min(call++, answers.length - 1)] ?? []).map((address) => ({
        address,
        family: address.includes(":") ? 6 : 4,
      })),
  });
};

describe("HttpDeliveryClient", () => {
  it("refuses at creation a name that resolves to a private address (any of its addresses)", async () => {
    const c = client([["93.184.216.34", "10.0.0.5"]], false);
    expect(await c.check("https://hooks.example.com/x")).toMatch(/10\.0\.0\.5/);
    expect(
      await client([["93.184.216.34"]], false).check("https://hooks.example.com/x"),
    ).toBeUndefined();
    expect(await client([[]], false).check("https://nowhere.example.com/x")).toMatch(
      /does not resolve/,
    );
  });

  it("checks again at connection time: a rebinding name is refused, nothing is sent", async () => {
    // Public when created, metadata address when called.
    const c = client([["93.184.216.34"], ["169.254.169.254"]], false);
    expect(await c.check("https://rebind.example.com/x")).toBeUndefined();
    const error = await c
      .post(`https://rebind.example.com:${port}/x`, {}, "{}")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryNetworkError);
    expect((error as DeliveryNetworkError).kind).toBe("refused");
  });

  it("connects to the address it checked, and reads the answer", async () => {
    const c = client([["127.0.0.1"]]);
    const answer = await c.post(
      `http://localhost:${port}/ok`,
      { "content-type": "application/json" },
      "{}",
    );
    expect(answer).toMatchObject({ status: 201, body: "created" });
    expect(answer.headers["retry-after"]).toBe("7");
  });

  it("reads at most 1 KiB of a large answer", async () => {
    const answer = await client([["127.0.0.1"]]).post(`http://127.0.0.1:${port}/big`, {}, "{}");
    expect(answer.body.length).toBeLessThanOrEqual(1024);
  });

  it("times out a slow answer", async () => {
    const error = await client([["127.0.0.1"]])
      .post(`http://127.0.0.1:${port}/slow`, {}, "{}")
      .catch((e: unknown) => e);
    expect((error as DeliveryNetworkError).kind).toBe("timeout");
  });

  it("reports a refused connection as a connection error (retried)", async () => {
    const error = await client([["127.0.0.1"]])
      .post("http://127.0.0.1:9/x", {}, "{}")
      .catch((e: unknown) => e);
    expect((error as DeliveryNetworkError).kind).toBe("connection");
  });
});

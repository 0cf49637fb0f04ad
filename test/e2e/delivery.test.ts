/**
 * Destinations and delivery end to end, over HTTP against the local runtime, with a
 * receiver that verifies every signature with the official `standardwebhooks` library.
 * Deliveries are driven by replay-to-destination (stored events of a time range, filtered
 * by an event pattern), which enqueues through the same DeliveryQueue a rule's `route` uses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";
import { Api, sleep, uniqueType, waitFor } from "./client.js";

let platform: Platform;
let api: Api;
let receiver: WebhookReceiver;

const DISABLE_AFTER_SECONDS = 8;

interface Created {
  id: string;
  secret?: string;
  ordered: boolean;
}

interface Delivery {
  id: string;
  status: "pending" | "delivered" | "failed";
  eventId: string;
  attemptCount: number;
  attempts: {
    number: number;
    status?: number;
    outcome: string;
    error?: string;
    response?: string;
  }[];
  failure?: { reason: string };
}

async function createWebhook(path: string, extra: Record<string, unknown> = {}): Promise<Created> {
  const answer = await api.request<Created>("POST", "/v1/destinations", {
    kind: "webhook",
    name: path,
    url: `${receiver.url}/${path}`,
    ...extra,
  });
  expect(answer.status, answer.text).toBe(201);
  if (answer.body.secret) receiver.secrets.push(answer.body.secret);
  return answer.body;
}

/** Stores `count` events of a new type (subjects s0..s{subjects-1}) and waits until processed. */
async function storeEvents(name: string, count: number, subjects = 1) {
  const type = uniqueType(name);
  const from = new Date(Date.now() - 1000).toISOString();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(await api.send({ type, subject: `s${i % subjects}`, data: { n: i } }));
  }
  await api.settledAll(ids);
  return { type, ids, from, to: new Date(Date.now() + 1000).toISOString() };
}

async function replay(destination: string, range: { type: string; from: string; to: string }) {
  const answer = await api.request<{ queued: number }>(
    "POST",
    `/v1/destinations/${destination}/replay`,
    {
      from: range.from,
      to: range.to,
      pattern: { type: [range.type] },
    },
  );
  expect(answer.status, answer.text).toBe(202);
  return answer.body;
}

async function deliveries(query: string): Promise<Delivery[]> {
  const answer = await api.request<{ items: Delivery[] }>("GET", `/v1/deliveries?${query}`);
  expect(answer.status, answer.text).toBe(200);
  return answer.body.items;
}

async function settledDeliveries(destination: string, count: number, timeoutMs = 60_000) {
  return waitFor(
    async () => {
      const items = await deliveries(`destination=${destination}&limit=100`);
      return items.length >= count && items.every((d) => d.status !== "pending")
        ? items
        : undefined;
    },
    timeoutMs,
    `${count} deliveries of ${destination} to end`,
  );
}

beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  platform = await startPlatform({
    settings: {
      deliveryRetrySchedule: "1s,1s,1s",
      deliveryDisableAfterSeconds: DISABLE_AFTER_SECONDS,
      deliveryResponseTimeoutMs: 2000,
      // A rule change applies to the next event.
      rulesCacheSeconds: 0,
    },
  });
  api = new Api(platform.url);
});

afterAll(async () => {
  await platform?.stop();
  await receiver?.stop();
});

describe.runIf(localOnly)("webhook destinations", () => {
  it("signs every delivery per Standard Webhooks; the id is stable; the secret is shown once", async () => {
    const dest = await createWebhook("signed", { headers: { "X-Tenant-Token": "t0k3n" } });
    expect(dest.secret).toMatch(/^whsec_/);
    const read = await api.request<Record<string, unknown>>("GET", `/v1/destinations/${dest.id}`);
    expect(read.body.secret).toBeUndefined();
    expect(read.body.headers).toEqual({ "X-Tenant-Token": "***" });

    const range = await storeEvents("signed", 3);
    expect((await replay(dest.id, range)).queued).toBe(3);
    const items = await settledDeliveries(dest.id, 3);
    expect(items.every((d) => d.status === "delivered" && d.attemptCount === 1)).toBe(true);
    const got = receiver.received.filter((r) => r.path === "/signed");
    expect(got).toHaveLength(3);
    expect(got.every((r) => r.verified)).toBe(true);
    expect(got.map((r) => r.headers["x-tenant-token"])).toEqual(["t0k3n", "t0k3n", "t0k3n"]);
    expect(new Set(got.map((r) => r.id))).toEqual(new Set(items.map((d) => d.id)));
    expect(got[0]?.body).toMatchObject({ type: range.type, data: { type: range.type } });

    // A second replay of the same range: same delivery ids, already delivered, nothing sent.
    await replay(dest.id, range);
    await sleep(1500);
    expect(receiver.received.filter((r) => r.path === "/signed")).toHaveLength(3);
  });

  it("retries a failing receiver until it recovers, with the same webhook-id", async () => {
    const dest = await createWebhook("flaky");
    receiver.script = ({ path, attempt }) =>
      path === "/flaky" ? (attempt <= 2 ? (attempt === 1 ? 503 : 429) : 200) : 200;
    const range = await storeEvents("flaky", 2);
    await replay(dest.id, range);
    const items = await settledDeliveries(dest.id, 2);
    for (const d of items) {
      expect(d.status).toBe("delivered");
      expect(d.attempts.map((a) => a.status)).toEqual([503, 429, 200]);
    }
    const got = receiver.received.filter((r) => r.path === "/flaky");
    expect(got).toHaveLength(6);
    expect(got.every((r) => r.verified)).toBe(true);
    expect(receiver.delivered().filter((r) => r.path === "/flaky")).toHaveLength(2);
    receiver.script = () => 200;
  });

  it("a 4xx is final, exhausted retries fail: both recorded and sent to the delivery DLQ", async () => {
    const dlqBefore = await dlqDepth();
    const gone = await createWebhook("gone");
    const down = await createWebhook("always-503");
    receiver.script = ({ path }) => (path === "/gone" ? 410 : path === "/always-503" ? 503 : 200);
    const range = await storeEvents("final", 1);
    await replay(gone.id, range);
    await replay(down.id, range);
    const [final] = await settledDeliveries(gone.id, 1);
    expect(final).toMatchObject({ status: "failed", attemptCount: 1 });
    expect(final?.failure?.reason).toContain("410");
    const [exhausted] = await settledDeliveries(down.id, 1);
    expect(exhausted).toMatchObject({ status: "failed", attemptCount: 4 });
    expect(exhausted?.failure?.reason).toContain("retries exhausted");
    expect(exhausted?.attempts[0]?.response).toBe("answer 503");
    await waitFor(
      async () => ((await dlqDepth()) >= dlqBefore + 2 ? true : undefined),
      10_000,
      "DLQ",
    );
    const failed = await deliveries("status=failed&limit=100");
    expect(failed.map((d) => d.id)).toEqual(expect.arrayContaining([final?.id, exhausted?.id]));

    // A manual retry, the receiver fixed: same id, delivered.
    receiver.script = () => 200;
    const retry = await api.request("POST", `/v1/deliveries/${final?.id}/retry`);
    expect(retry.status, retry.text).toBe(202);
    await waitFor(
      async () =>
        (await api.request<Delivery>("GET", `/v1/deliveries/${final?.id}`)).body.status ===
        "delivered"
          ? true
          : undefined,
      20_000,
      "the retried delivery",
    );
  });

  it("disables a destination failing for longer than deliveryDisableAfterSeconds, and says so as an event", async () => {
    const dest = await createWebhook("dead");
    receiver.script = ({ path }) => (path === "/dead" ? 500 : 200);
    // A fresh event every second keeps the failure streak going past the threshold (one
    // event's retries alone end sooner: 3 retries 1 s apart).
    const state = await waitFor(
      async () => {
        const d = await api.request<{ enabled: boolean; disabledReason?: string }>(
          "GET",
          `/v1/destinations/${dest.id}`,
        );
        if (d.body.enabled === false) return d.body;
        // The destination may be disabled between the read above and this replay: a 409 then.
        const range = await storeEvents("dead", 1);
        const answer = await api.request("POST", `/v1/destinations/${dest.id}/replay`, {
          from: range.from,
          to: range.to,
          pattern: { type: [range.type] },
        });
        expect([202, 409], answer.text).toContain(answer.status);
        return undefined;
      },
      90_000,
      "the destination to be disabled",
      1000,
    );
    expect(state.disabledReason).toContain("failing continuously");
    const notice = await waitFor(
      async () => {
        const page = await api.request<{
          items: { subject?: string; data: Record<string, unknown> }[];
        }>("GET", "/v1/events?type=eventflow.destination.disabled&limit=100");
        return page.body.items.find((e) => e.subject === dest.id);
      },
      30_000,
      "the eventflow.destination.disabled event",
    );
    expect(notice.data).toMatchObject({ destinationId: dest.id, kind: "webhook" });
    // Enabling again starts over.
    receiver.script = () => 200;
    const enabled = await api.request<{ enabled: boolean }>(
      "PATCH",
      `/v1/destinations/${dest.id}`,
      { enabled: true },
    );
    expect(enabled.body.enabled).toBe(true);
  });

  it("keeps each subject's order across retries on an ordered destination", async () => {
    const dest = await createWebhook("ordered", { ordered: true });
    expect(dest.ordered).toBe(true);
    // Every event's first attempt fails, and some second ones too: order must hold anyway.
    receiver.script = ({ path, attempt, body }) => {
      if (path !== "/ordered") return 200;
      const n = (body as { data?: { data?: { n?: number } } }).data?.data?.n ?? 0;
      return attempt === 1 || (attempt === 2 && n % 3 === 0) ? 503 : 200;
    };
    const range = await storeEvents("ordered", 12, 3);
    await replay(dest.id, range);
    await settledDeliveries(dest.id, 12, 90_000);
    const got = receiver.delivered().filter((r) => r.path === "/ordered");
    expect(got).toHaveLength(12);
    const bySubject = new Map<string, number[]>();
    for (const r of got) {
      const event = (r.body as { data: { subject: string; data: { n: number } } }).data;
      bySubject.set(event.subject, [...(bySubject.get(event.subject) ?? []), event.data.n]);
    }
    for (const [, ns] of bySubject) expect(ns).toEqual([...ns].sort((a, b) => a - b));
    // No request of a subject while an earlier one of it was still unanswered-for-good.
    receiver.script = () => 200;
  });

  it("replays a time range, filtered by a pattern, to a new destination", async () => {
    const older = await storeEvents("history", 3);
    const wanted = await storeEvents("history", 4);
    const dest = await createWebhook("history");
    const dry = await api.request<{ matched: number }>(
      "POST",
      `/v1/destinations/${dest.id}/replay`,
      {
        from: wanted.from,
        to: wanted.to,
        pattern: { type: [wanted.type] },
        dryRun: true,
      },
    );
    expect(dry.status).toBe(200);
    expect(dry.body.matched).toBe(4);
    await replay(dest.id, wanted);
    await settledDeliveries(dest.id, 4);
    const got = receiver.delivered().filter((r) => r.path === "/history");
    const eventIds = got.map((r) => (r.body as { data: { id: string } }).data.id);
    expect(new Set(eventIds)).toEqual(new Set(wanted.ids));
    expect(eventIds.some((id) => older.ids.includes(id))).toBe(false);
    const bad = await api.request("POST", `/v1/destinations/${dest.id}/replay`, {
      from: wanted.from,
      to: wanted.to,
      pattern: { type: "not-a-list" },
    });
    expect(bad.status).toBe(400);
  });

  it("rotates a secret: both signatures during the overlap", async () => {
    const dest = await createWebhook("rotate");
    const rotated = await api.request<{ secret: string }>(
      "POST",
      `/v1/destinations/${dest.id}/rotate-secret`,
      {
        overlapHours: 1,
      },
    );
    expect(rotated.status, rotated.text).toBe(200);
    const range = await storeEvents("rotate", 1);
    await replay(dest.id, range);
    await settledDeliveries(dest.id, 1);
    const [got] = receiver.received.filter((r) => r.path === "/rotate");
    expect(got?.signature.split(" ")).toHaveLength(2);
    // Each secret alone verifies it.
    const { Webhook } = await import("standardwebhooks");
    const headers = {
      "webhook-id": got?.id ?? "",
      "webhook-timestamp": got?.timestamp ?? "",
      "webhook-signature": got?.signature ?? "",
    };
    const text = JSON.stringify(got?.body);
    expect(() => new Webhook(rotated.body.secret).verify(text, headers)).not.toThrow();
    expect(() => new Webhook(dest.secret ?? "").verify(text, headers)).not.toThrow();
  });

  it("refuses URLs that reach private, link-local or metadata addresses", async () => {
    for (const url of [
      "https://169.254.169.254/latest/meta-data",
      "https://10.0.0.8/hook",
      "https://192.168.1.1/hook",
      "https://[fd00:ec2::254]/hook",
      "https://[::ffff:169.254.169.254]/hook",
      "http://example.com/hook",
      "ftp://example.com/hook",
    ]) {
      const answer = await api.request<{ error: { details: { path: string }[] } }>(
        "POST",
        "/v1/destinations",
        {
          kind: "webhook",
          name: "ssrf",
          url,
        },
      );
      expect(answer.status, url).toBe(400);
      expect(answer.body.error.details[0]?.path).toBe("url");
    }
  });
});

async function dlqDepth(): Promise<number> {
  const status = await api.request<{ queues: { deliveryDlq: { visible: number } } }>(
    "GET",
    "/_local/status",
  );
  return status.body.queues.deliveryDlq.visible;
}

describe.runIf(localOnly)("a rule's route action", () => {
  it("routes a matching event to a webhook, once, even when the event is sent twice", async () => {
    const dest = await createWebhook("routed");
    const type = uniqueType("routed");
    const put = await api.request("PUT", "/v1/rules", {
      rules: [
        {
          name: "to-webhook",
          match: { type: [type] },
          actions: [
            {
              type: "route",
              destinations: [dest.id],
              transform: '{"order": id, "total": data.amount}',
            },
          ],
        },
      ],
    });
    expect(put.status, put.text).toBe(200);
    const id = await api.send({
      id: `routed-${Date.now()}`,
      type,
      subject: "u1",
      data: { amount: 42 },
    });
    await api.send({ id, type, subject: "u1", data: { amount: 42 } });
    await api.send({ type: uniqueType("not-routed"), data: {} });
    const [delivery] = await settledDeliveries(dest.id, 1);
    expect(delivery).toMatchObject({ status: "delivered", eventId: id });
    await sleep(1500);
    const got = receiver.received.filter((r) => r.path === "/routed");
    expect(got).toHaveLength(1);
    expect(got[0]?.verified).toBe(true);
    expect(got[0]?.id).toBe(delivery?.id);
    expect(got[0]?.body).toEqual({ order: id, total: 42 });
    await api.request("DELETE", "/v1/rules");
  });
});

describe.runIf(localOnly)("every destination kind against the embedded emulators", () => {
  it("delivers to an SQS queue, an SNS topic, Slack, email (outbox) and EventBridge (outbox)", async () => {
    const { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } =
      await import("@aws-sdk/client-sqs");
    const { SNSClient, CreateTopicCommand, SubscribeCommand } = await import("@aws-sdk/client-sns");
    const endpoint = platform.local?.sqsEndpoint ?? "";
    const config = {
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "l", secretAccessKey: "l" },
    };
    const sqs = new SQSClient({ ...config, useQueueUrlAsEndpoint: false });
    const sns = new SNSClient(config);
    try {
      const queueUrl =
        (await sqs.send(new CreateQueueCommand({ QueueName: "eventflow-dest-e2e" }))).QueueUrl ??
        "";
      const topicArn =
        (await sns.send(new CreateTopicCommand({ Name: "eventflow-dest-e2e" }))).TopicArn ?? "";
      const subUrl =
        (await sqs.send(new CreateQueueCommand({ QueueName: "eventflow-dest-e2e-sub" })))
          .QueueUrl ?? "";
      const subArn = (
        await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: subUrl, AttributeNames: ["QueueArn"] }),
        )
      ).Attributes?.QueueArn;
      await sns.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: subArn }),
      );

      const create = async (body: Record<string, unknown>) => {
        const answer = await api.request<{ id: string }>("POST", "/v1/destinations", {
          name: String(body.kind),
          ...body,
        });
        expect(answer.status, answer.text).toBe(201);
        return answer.body.id;
      };
      const ids = [
        await create({ kind: "sqs", queueUrl }),
        await create({ kind: "sns", topicArn }),
        await create({
          kind: "slack",
          url: `${receiver.url}/slack`,
          template: "{{type}} for {{subject}}",
        }),
        await create({ kind: "email", to: ["ops@example.com"], subject: "{{type}}" }),
        await create({
          kind: "eventbridge",
          eventBusArn: "arn:aws:events:us-east-1:000000000000:event-bus/eventflow-dest-bus",
        }),
      ];
      // A queue not named with the prefix is refused: the deliver role could not send there.
      const refused = await api.request("POST", "/v1/destinations", {
        kind: "sqs",
        name: "x",
        queueUrl: `${endpoint}/000000000000/eventflow-events`,
      });
      expect(refused.status).toBe(400);

      const range = await storeEvents("kinds", 1);
      for (const id of ids) await replay(id, range);
      for (const id of ids) {
        const [d] = await settledDeliveries(id, 1);
        expect(d?.status, id).toBe("delivered");
      }
      const receive = async (url: string) =>
        (
          await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: url,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 1,
            }),
          )
        ).Messages ?? [];
      expect((await receive(queueUrl))[0]?.Body).toContain(range.type);
      expect((await receive(subUrl))[0]?.Body).toContain(range.type);
      const slack = receiver.received.find((r) => r.path === "/slack");
      expect(slack?.body).toEqual({ text: `${range.type} for s0` });
      const outbox = await api.request<{
        items: { service: string; input: Record<string, unknown> }[];
      }>("GET", "/_local/outbox");
      const email = outbox.body.items.find((i) => i.service === "ses");
      expect(email?.input).toMatchObject({
        Destination: { ToAddresses: ["ops@example.com"] },
        Content: { Simple: { Subject: { Data: range.type } } },
      });
      const bus = outbox.body.items.find((i) => i.service === "eventbridge");
      expect(JSON.stringify(bus?.input)).toContain(range.type);
    } finally {
      sqs.destroy();
      sns.destroy();
    }
  });
});

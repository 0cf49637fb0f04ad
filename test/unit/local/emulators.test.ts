/**
 * The embedded emulators on disk: queued messages survive a restart, and a message
 * made visible again with ChangeMessageVisibility(0) is not lost (fauxqs 2.4.1 lost it
 * with a dataDir; local/emulators.ts patches that).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterEach, expect, it } from "vitest";
import { type Emulators, startEmulators } from "../../../local/emulators.js";

process.env.AWS_REGION ??= "us-east-1";
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";

const open: { emulators: Emulators; sqs: SQSClient }[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const { emulators, sqs } of open.splice(0)) {
    sqs.destroy();
    await emulators.stop();
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string) {
  const emulators = await startEmulators({ dataDir, dynamodb: false });
  const sqs = new SQSClient({ endpoint: emulators.sqsEndpoint, useQueueUrlAsEndpoint: false });
  const entry = { emulators, sqs };
  open.push(entry);
  return entry;
}

it("keeps queued messages, and one made visible again, across a restart", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "eventflow-emulators-"));
  dirs.push(dataDir);
  const first = await start(dataDir);
  const { QueueUrl } = await first.sqs.send(
    new CreateQueueCommand({ QueueName: "q", Attributes: { VisibilityTimeout: "30" } }),
  );
  for (const body of ["a", "b"]) {
    await first.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
  }
  const received = await first.sqs.send(
    new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }),
  );
  await first.sqs.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl,
      ReceiptHandle: received.Messages?.[0]?.ReceiptHandle,
      VisibilityTimeout: 0,
    }),
  );
  expect(await first.emulators.inspectQueue?.("q")).toEqual({ ready: 2, returnsAt: [] });
  await first.emulators.stop();
  first.sqs.destroy();
  open.splice(0);

  const second = await start(dataDir);
  const again = await second.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ["ApproximateReceiveCount"],
    }),
  );
  const seen = (again.Messages ?? []).map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount]);
  expect(seen.sort()).toEqual([
    ["a", "2"],
    ["b", "1"],
  ]);
});

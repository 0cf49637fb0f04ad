/**
 * A no-I/O stand-in for AWS: an SDK request handler (the transport at the end of the
 * middleware stack) that answers each AWS JSON-protocol call with a canned, valid
 * response. Serialization, signing, retries, the SQS MD5 check and deserialization all
 * still run; only the network and the service are gone.
 */
import { createHash } from "node:crypto";
import type { SQSClient } from "@aws-sdk/client-sqs";

type RequestHandler = SQSClient["config"]["requestHandler"];
type HandleArgs = Parameters<RequestHandler["handle"]>;
type HandleResult = Awaited<ReturnType<RequestHandler["handle"]>>;

export interface CannedResponse {
  statusCode: number;
  body: unknown;
}

let messageSeq = 0;
const messageId = () => `00000000-0000-4000-8000-${(++messageSeq).toString(16).padStart(12, "0")}`;
const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");

interface SqsEntries {
  Entries?: { Id?: string; MessageBody?: string; ReceiptHandle?: string }[];
}

/**
 * The answer AWS would give a successful call, by X-Amz-Target. SQS answers carry the
 * body MD5 because the SDK checks it (and would fail the call otherwise).
 */
export function cannedResponse(target: string, body: string): CannedResponse {
  const ok = (b: unknown): CannedResponse => ({ statusCode: 200, body: b });
  switch (target) {
    case "AmazonSQS.SendMessageBatch": {
      const { Entries = [] } = JSON.parse(body) as SqsEntries;
      return ok({
        Successful: Entries.map((e) => ({
          Id: e.Id,
          MessageId: messageId(),
          MD5OfMessageBody: md5(e.MessageBody ?? ""),
        })),
        Failed: [],
      });
    }
    case "AmazonSQS.SendMessage": {
      const { MessageBody = "" } = JSON.parse(body) as { MessageBody?: string };
      return ok({ MessageId: messageId(), MD5OfMessageBody: md5(MessageBody) });
    }
    case "AmazonSQS.DeleteMessageBatch":
    case "AmazonSQS.ChangeMessageVisibilityBatch": {
      const { Entries = [] } = JSON.parse(body) as SqsEntries;
      return ok({ Successful: Entries.map((e) => ({ Id: e.Id })), Failed: [] });
    }
    case "AmazonSQS.ReceiveMessage":
      return ok({ Messages: [] });
    case "AmazonSQS.GetQueueAttributes":
      return ok({ Attributes: { ApproximateNumberOfMessages: "0" } });
    case "AmazonSQS.ChangeMessageVisibility":
    case "AmazonSQS.DeleteMessage":
    case "DynamoDB_20120810.PutItem":
    case "DynamoDB_20120810.UpdateItem":
    case "DynamoDB_20120810.GetItem":
      return ok({});
    case "DynamoDB_20120810.Query":
      return ok({ Items: [], Count: 0, ScannedCount: 0 });
    case "DynamoDB_20120810.DescribeTable":
      return ok({ Table: { TableStatus: "ACTIVE" } });
    default:
      return {
        statusCode: 400,
        body: { __type: "UnknownOperationException", message: `stub: no answer for ${target}` },
      };
  }
}

export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers))
    if (key.toLowerCase() === wanted) return value;
  return undefined;
}

export function bodyString(body: unknown): string {
  if (body === undefined || body === null) return "";
  if (typeof body === "string") return body;
  // A view, not Buffer.from(body): the SDK's JSON bodies are Uint8Arrays whose valueOf()
  // (called by Buffer.from) logs a deprecation warning.
  if (body instanceof Uint8Array) {
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  }
  throw new TypeError("stub: request body is a stream; only AWS JSON-protocol calls are stubbed");
}

export class StubRequestHandler {
  /** CPU the stub itself spent (parsing, MD5, JSON): subtracted from the handlers' cost. */
  cpuMicros = 0;
  requests = 0;
  readonly metadata = { handlerProtocol: "http/1.1" };

  async handle(request: HandleArgs[0]): Promise<HandleResult> {
    const started = process.cpuUsage();
    this.requests++;
    const target = headerValue(request.headers, "x-amz-target") ?? "";
    const canned = cannedResponse(target, bodyString(request.body));
    const payload = Buffer.from(JSON.stringify(canned.body));
    const response = {
      statusCode: canned.statusCode,
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "content-length": String(payload.length),
        "x-amzn-requestid": "stub",
      },
      body: payload,
    };
    const used = process.cpuUsage(started);
    this.cpuMicros += used.user + used.system;
    return { response } as HandleResult;
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

interface HasRequestHandler {
  config: { requestHandler: unknown };
}

/**
 * Points the clients at the stub; returns the function that puts their own transports
 * back. The clients read `config.requestHandler` at every send, and the DynamoDB
 * document client shares its config with the DynamoDB client.
 */
export function installStub(clients: HasRequestHandler[], stub: StubRequestHandler): () => void {
  const saved = clients.map((c) => c.config.requestHandler);
  for (const c of clients) c.config.requestHandler = stub;
  return () => {
    clients.forEach((c, i) => {
      c.config.requestHandler = saved[i];
    });
  };
}

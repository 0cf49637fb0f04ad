/**
 * Hostile and malformed input over HTTP, against the running platform: every refusal is
 * a 4xx with a message that names the problem (and the field), no stack trace, nothing
 * enqueued (the ingest function's EventsQueued metric does not move) and nothing stored
 * (GET by id is 404). Inputs at a limit are accepted and stored exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { type Answer, Api, type RequestOptions, uniqueId, uniqueType, waitFor } from "./client.js";
import { progress } from "./reliability.js";

let platform: Platform;
let api: Api;

beforeAll(async () => {
  platform = await startPlatform();
  api = new Api(platform.url);
});

afterAll(async () => {
  await platform?.stop();
});

interface ErrorBody {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
}

const KB64 = 64 * 1024;
const MB1 = 1024 * 1024;
const bytes = (s: string) => Buffer.byteLength(s);

/** Text a stack trace or an internal path would leave in an answer. */
const LEAK = /\n\s+at |\.ts:\d+|\.js:\d+|node_modules|\/work\/|stack/i;

interface Refusal {
  status: number;
  code?: string;
  message: RegExp;
  /** A detail must name this path (and, if given, match this message). */
  path?: string;
  detail?: RegExp;
}

/** POSTs to /v1/events and checks the refusal, that nothing was queued, and (id) stored. */
async function refused(
  body: unknown,
  want: Refusal,
  options: RequestOptions & { id?: string; path?: string } = {},
): Promise<Answer<ErrorBody>> {
  const before = local ? await progress(api) : undefined;
  const raw = typeof body === "string" || body instanceof Uint8Array ? body : undefined;
  const answer = await api.request<ErrorBody>(
    "POST",
    options.path ?? "/v1/events",
    raw === undefined ? body : undefined,
    {
      ...options,
      ...(raw === undefined ? {} : { raw }),
      headers: { "content-type": "application/json", ...options.headers },
    },
  );
  expectRefusal(answer, want);
  if (before) {
    const after = await progress(api);
    expect(after.metric("EventsQueued") - before.metric("EventsQueued")).toBe(0);
  }
  if (options.id) expect((await api.request("GET", `/v1/events/${options.id}`)).status).toBe(404);
  return answer;
}

function expectRefusal(answer: Answer<ErrorBody>, want: Refusal): void {
  const context = `${answer.status} ${answer.text.slice(0, 400)}`;
  expect(answer.status, context).toBe(want.status);
  expect(answer.text, context).not.toMatch(LEAK);
  expect(answer.body.error?.message, context).toMatch(want.message);
  if (want.code) expect(answer.body.error.code, context).toBe(want.code);
  if (want.path) {
    const details = answer.body.error.details ?? [];
    const found = details.find((d) => d.path === want.path);
    expect(found, `no detail at ${want.path}: ${context}`).toBeDefined();
    if (want.detail) expect(found?.message, context).toMatch(want.detail);
  }
}

/** POSTs a valid request; answers the queued ids. */
async function accepted(body: unknown, options: RequestOptions = {}): Promise<string[]> {
  const raw = typeof body === "string" ? body : undefined;
  const answer = await api.request<{ id?: string; results?: { id?: string; status: string }[] }>(
    "POST",
    "/v1/events",
    raw === undefined ? body : undefined,
    {
      ...options,
      ...(raw === undefined ? {} : { raw }),
      headers: { "content-type": "application/json", ...options.headers },
    },
  );
  expect(answer.status, answer.text.slice(0, 400)).toBe(202);
  if (answer.body.results) {
    expect(answer.body.results.every((r) => r.status === "queued")).toBe(true);
    return answer.body.results.flatMap((r) => (r.id ? [r.id] : []));
  }
  return answer.body.id ? [answer.body.id] : [];
}

const local = localOnly;

/** An event whose JSON serialization is exactly `size` bytes (padding in data.pad). */
function eventOfSize(size: number, id: string, unit = "a"): Record<string, unknown> {
  const event = { id, type: "bad-input.size", data: { pad: "" } };
  const base = bytes(JSON.stringify(event));
  const unitBytes = bytes(unit);
  const count = Math.floor((size - base) / unitBytes);
  const rest = size - base - count * unitBytes;
  event.data.pad = unit.repeat(count) + "a".repeat(rest);
  expect(bytes(JSON.stringify(event))).toBe(size);
  return event;
}

describe("size limits: at, just under, just over", () => {
  it("an event of 64 KB and 64 KB - 1 is accepted and stored; 64 KB + 1 is 413", async () => {
    const atId = uniqueId("at-64k");
    const underId = uniqueId("under-64k");
    const overId = uniqueId("over-64k");
    await accepted(eventOfSize(KB64, atId));
    await accepted(eventOfSize(KB64 - 1, underId));
    await refused(
      eventOfSize(KB64 + 1, overId),
      {
        status: 413,
        code: "payload_too_large",
        message: new RegExp(`${KB64 + 1} bytes serialized; the limit is ${KB64}`),
      },
      { id: overId },
    );
    // Multi-byte characters count as their UTF-8 bytes, not as characters.
    const wideId = uniqueId("wide-64k");
    await refused(
      eventOfSize(KB64 + 1, wideId, "é"),
      { status: 413, message: /the limit is 65536/ },
      { id: wideId },
    );
    // In a batch each event stands alone; a batch of nothing but oversized events is a 413.
    const loneId = uniqueId("batch-over-64k");
    await refused(
      { events: [eventOfSize(KB64 + 1, loneId), eventOfSize(KB64 + 1, `${loneId}-b`)] },
      { status: 413, code: "payload_too_large", message: /too large/, path: "events[0]" },
      { id: loneId },
    );
    const mixed = await api.request<{ results: { status: string }[] }>("POST", "/v1/events", {
      events: [
        eventOfSize(KB64 + 1, uniqueId("mixed-over")),
        eventOfSize(KB64, uniqueId("mixed-at")),
      ],
    });
    expect(mixed.status).toBe(202);
    expect(mixed.body.results.map((r) => r.status)).toEqual(["rejected", "queued"]);
    const [at, under] = await api.settledAll([atId, underId]);
    expect(at?.status).toBe("processed");
    expect(at?.data.pad).toHaveLength((eventOfSize(KB64, atId).data as { pad: string }).pad.length);
    expect(under?.status).toBe("processed");
  });

  it("a batch of 500 and 499 events is accepted; 501 is 413", async () => {
    const type = uniqueType("batch-limit");
    const batch = (n: number) => Array.from({ length: n }, (_, i) => ({ type, data: { i } }));
    expect(await accepted({ events: batch(500) })).toHaveLength(500);
    expect(await accepted({ events: batch(499) })).toHaveLength(499);
    await refused(
      { events: batch(501) },
      { status: 413, code: "payload_too_large", message: /at most 500 events; this one has 501/ },
    );
  });

  it("a body of 1 MB and 1 MB - 1 is accepted; 1 MB + 1 is 413", async () => {
    // 17 events of about 61.6 KB: each under the event limit, together exactly the size.
    const body = (size: number, prefix: string) => {
      const events = Array.from({ length: 17 }, (_, i) => ({
        id: `${prefix}-${i}`,
        type: "bad-input.body",
        data: { pad: "" },
      }));
      const padding = size - bytes(JSON.stringify({ events }));
      events.forEach((e, i) => {
        e.data.pad = "x".repeat(Math.floor(padding / 17) + (i < padding % 17 ? 1 : 0));
      });
      const text = JSON.stringify({ events });
      expect(bytes(text)).toBe(size);
      return text;
    };
    const at = uniqueId("at-1mb");
    expect(await accepted(body(MB1, at))).toHaveLength(17);
    expect(await accepted(body(MB1 - 1, uniqueId("under-1mb")))).toHaveLength(17);
    const over = uniqueId("over-1mb");
    await refused(
      body(MB1 + 1, over),
      {
        status: 413,
        code: "payload_too_large",
        message: new RegExp(`Request body is ${MB1 + 1} bytes; the limit is ${MB1}`),
      },
      { id: `${over}-0` },
    );
    const stored = await api.settled(`${at}-16`);
    expect(stored.status).toBe("processed");
  });
});

describe("malformed bodies and content types", () => {
  const type = "bad-input.shape";
  it.each([
    ['{"type": "a"', /not valid JSON: it ends unexpectedly/],
    ['{"type": "a",', /not valid JSON: it ends unexpectedly/],
    ['{"type": "a" "data": {}}', /not valid JSON: unexpected character at line 1, column 14/],
    ['{"type": "a", "data": {},}', /not valid JSON: unexpected character at line 1, column 26/],
    ["{'type': 'a'}", /not valid JSON/],
    ['{"type":"a","data":{"n":NaN}}', /not valid JSON/],
    ['{"type":"a","data":{"n":Infinity}}', /not valid JSON/],
    ['{"type":"a","data":{"n":-Infinity}}', /not valid JSON/],
    ['{"type":"a","data":{"n":01}}', /not valid JSON/],
    ['{"type":"a","data":{"n":.5}}', /not valid JSON/],
    ['\ufeff{"type":"a","data":{}}', /not valid JSON/],
    ['{"type":"a","data":{}} {"type":"b"}', /not valid JSON/],
  ])("malformed JSON %s -> 400 invalid_json", async (body, message) => {
    await refused(body, { status: 400, code: "invalid_json", message });
  });

  it.each(["", "   ", "\n\t"])("empty body %j -> 400 empty_body", async (body) => {
    await refused(body, { status: 400, code: "empty_body", message: /Request body is empty/ });
  });

  it.each(["42", '"an event"', "null", "true", "[]", `[{"type":"${type}","data":{}}]`])(
    "a JSON %s where an object is expected -> 400",
    async (body) => {
      await refused(body, {
        status: 400,
        code: "validation_failed",
        message: /Body must be a JSON object/,
      });
    },
  );

  it.each([
    ['{"events": {}}', "events", /must be an array of 1 to 500 events/],
    ['{"events": []}', "events", /must be an array of 1 to 500 events/],
    ['{"events": "x"}', "events", /must be an array/],
    [`{"events": [{"type":"${type}","data":{}}], "extra": 1}`, "extra", /is not allowed/],
    [`{"type":"${type}","data":[]}`, "data", /must be a JSON object/],
    [`{"type":"${type}","data":"x"}`, "data", /must be a JSON object/],
    [`{"type":"${type}"}`, "data", /is required/],
    ['{"data":{}}', "type", /is required/],
    [`{"type":"${type}","data":{},"colour":"red"}`, "colour", /is not a known field/],
    ['{"events": [1, "x", null]}', "events[0]", /must be a JSON object/],
  ])("wrong shape %s -> 400 naming %s", async (body, path, detail) => {
    await refused(body, { status: 400, code: "validation_failed", message: /./, path, detail });
  });

  const event = JSON.stringify({ type, data: {} });
  it.each([
    ["text/plain", event],
    ["application/xml", "<event/>"],
    ["application/x-www-form-urlencoded", "type=a"],
    ["application/json; charset=latin1", event],
    ["application/jsonp", event],
    ["application/cloudevents+avro", event],
    ["multipart/form-data; boundary=x", event],
  ])("Content-Type %s -> 415", async (contentType, body) => {
    await refused(
      body,
      { status: 415, code: "unsupported_media_type", message: /Content-Type must be/ },
      { headers: { "content-type": contentType } },
    );
  });

  it("no Content-Type -> 415", async () => {
    const before = await progress(api);
    // Bytes: fetch adds no Content-Type for them (a string would get text/plain).
    const answer = await api.request<ErrorBody>("POST", "/v1/events", undefined, {
      raw: new TextEncoder().encode(event),
    });
    expect(answer.headers.get("content-type")).toMatch(/json/);
    expectRefusal(answer, { status: 415, code: "unsupported_media_type", message: /Content-Type/ });
    expect((await progress(api)).metric("EventsQueued")).toBe(before.metric("EventsQueued"));
  });
});

describe("reserved keys: no prototype pollution", () => {
  it.each([
    ['{"__proto__":{"type":"x","data":{}},"type":"a","data":{}}', "__proto__"],
    ['{"constructor":{"prototype":{"polluted":1}},"type":"a","data":{}}', "constructor"],
    ['{"type":"a","data":{"__proto__":{"polluted":1}}}', "data.__proto__"],
    ['{"type":"a","data":{"a":{"b":[{"c":{"constructor":{}}}]}}}', "data.a.b[0].c.constructor"],
    ['{"type":"a","data":{"prototype":1}}', "data.prototype"],
    [
      '{"events":[{"type":"a","data":{"x":{"__proto__":{"polluted":1}}}}]}',
      "events[0].data.x.__proto__",
    ],
    ['{"events":[{"type":"a","data":{}}],"__proto__":{"polluted":1}}', "__proto__"],
  ])("%s -> 400 naming %s", async (body, path) => {
    await refused(body, {
      status: 400,
      code: "validation_failed",
      message: /./,
      path,
      detail: /reserved key name/,
    });
  });

  it.skipIf(!localOnly)(
    "after all that, no built-in prototype of the runtime gained a property",
    async () => {
      // Would-be pollution shows up as inherited fields: these must still be missing.
      await refused('{"data":{}}', { status: 400, message: /./, path: "type" });
      await refused('{"type":"a"}', { status: 400, message: /./, path: "data" });
      const status = await api.request<{ prototypeAdditions: string[] }>("GET", "/_local/status");
      expect(status.body.prototypeAdditions).toEqual([]);
      expect(Object.keys(Object.prototype)).toEqual([]);
    },
  );
});

describe("depth, width and length", () => {
  const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;

  it("data nested 30 levels is stored; 31 and 200 levels are refused; 100,000 do not crash", async () => {
    const id = uniqueId("depth-30");
    await accepted(`{"id":"${id}","type":"bad-input.depth","data":${nested(30)}}`);
    const deep = uniqueId("depth-31");
    await refused(
      `{"id":"${deep}","type":"bad-input.depth","data":${nested(31)}}`,
      {
        status: 400,
        message: /invalid/,
        path: "data",
        detail: /nested deeper than 30 levels/,
      },
      { id: deep },
    );
    await refused(`{"type":"a","data":${nested(200)}}`, {
      status: 400,
      message: /nested deeper than 128 levels/,
    });
    await refused(`{"type":"a","data":{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`, {
      status: 400,
      message: /nested deeper than 128 levels/,
    });
    const stored = await api.settled(id);
    let depth = 0;
    for (let v: unknown = stored.data; v && typeof v === "object"; depth++) {
      v = (v as { a?: unknown }).a;
    }
    expect(depth).toBe(30);
  });

  it("huge arrays and very long strings: 413 over 64 KB, stored exactly below", async () => {
    const arrayId = uniqueId("array-20k");
    const zeros = Array.from({ length: 20_000 }, () => 0);
    await accepted({ id: arrayId, type: "bad-input.wide", data: { zeros } });
    await refused(
      { type: "bad-input.wide", data: { zeros: Array.from({ length: 100_000 }, () => 0) } },
      { status: 413, message: /the limit is 65536/ },
    );
    const longId = uniqueId("string-60k");
    const text = "長".repeat(20_000); // 60,000 UTF-8 bytes
    await accepted({ id: longId, type: "bad-input.long", data: { text } });
    await refused(
      { type: "bad-input.long", data: { text: "x".repeat(70_000) } },
      { status: 413, message: /the limit is 65536/ },
    );
    const [array, long] = await api.settledAll([arrayId, longId]);
    expect(array?.data.zeros).toEqual(zeros);
    expect(long?.data.text).toBe(text);
  });

  it.each([
    ["type", { type: "t".repeat(129), data: {} }, /1-128 characters/],
    ["type", { type: "has space", data: {} }, /1-128 characters/],
    ["type", { type: "a#b", data: {} }, /1-128 characters/],
    ["source", { type: "a", source: "s".repeat(1025), data: {} }, /1024/],
    ["subject", { type: "a", subject: "", data: {} }, /1/],
    ["time", { type: "a", time: "yesterday", data: {} }, /RFC 3339/],
    ["time", { type: "a", time: "2026-02-30T00:00:00Z", data: {} }, /RFC 3339/],
  ])("field %s out of bounds -> 400 naming it", async (path, body, detail) => {
    await refused(body, { status: 400, code: "validation_failed", message: /./, path, detail });
  });
});

describe("numbers: refused or kept exactly, never rounded", () => {
  it.each([
    ["9007199254740993", /cannot be stored exactly \(it would become 9007199254740992\)/],
    ["12345678901234567890123456789012345678", /cannot be stored exactly/],
    ["123456789012345678901234567890123456789012", /cannot be stored exactly/],
    ["0.12345678901234567890123456789", /cannot be stored exactly/],
    ["1e400", /cannot be stored exactly/],
    ["-1e400", /cannot be stored exactly/],
    ["1e126", /outside the storable range/],
    ["1e-131", /outside the storable range/],
    ["1.7976931348623157e308", /outside the storable range/],
    ["5e-324", /outside the storable range/],
  ])("%s -> 400 naming data.n", async (token, detail) => {
    const id = uniqueId("number");
    await refused(
      `{"id":"${id}","type":"bad-input.number","data":{"n":${token}}}`,
      { status: 400, code: "validation_failed", message: /./, path: "data.n", detail },
      { id },
    );
  });

  it("numbers a double holds exactly are stored exactly, beyond 2^53 too", async () => {
    const tokens = [
      "9007199254740991",
      "9007199254740992",
      "-9007199254740992",
      "12345678901234567000",
      "1e21",
      "-1e20",
      "9.99e125",
      "1e-130",
      "0.1",
      "1.50",
      "-0",
      "123456789.123456",
    ];
    const id = uniqueId("exact");
    const fields = tokens.map((t, i) => `"n${i}":${t}`).join(",");
    await accepted(`{"id":"${id}","type":"bad-input.number","data":{${fields}}}`);
    const stored = await api.settled(id);
    expect(stored.status).toBe("processed");
    tokens.forEach((t, i) => {
      expect(stored.data[`n${i}`], t).toBe(Number(t) === 0 ? 0 : Number(t));
    });
  });
});

describe("ids and text that cannot be keys or stored as sent", () => {
  it.each([
    ["control character", "a\u0001b"],
    ["NUL", "a\u0000"],
    ["newline", "a\nb"],
    ["slash", "a/b"],
    ["dot-dot-slash", "../../etc/passwd"],
    ["backslash", "a\\b"],
    ["Cyrillic look-alike", "p\u0430yment-1"],
    ["fullwidth letters", "\uff49\uff44"],
    ["zero-width space", "a\u200bb"],
    ["129 characters", "i".repeat(129)],
    ["empty", ""],
    ["CloudEvents prefix", "ce:abc"],
    ["lone surrogate", "a\ud800"],
  ])("an id with a %s -> 400 naming id, and GET answers 400", async (_, id) => {
    await refused(
      { id, type: "bad-input.id", data: {} },
      { status: 400, code: "validation_failed", message: /./, path: "id" },
    );
    // "" has no URL of its own; "ce:abc" is a valid stored id (a CloudEvent's).
    if (id === "" || id.startsWith("ce:")) return;
    // A lone surrogate has no UTF-8 form: sent as the bytes a careless client would send.
    const path = id.includes("\ud800") ? "a%ED%A0%80" : encodeURIComponent(id);
    const get = await api.request<ErrorBody>("GET", `/v1/events/${path}`);
    expectRefusal(get, { status: 400, message: /event id is invalid/, path: "id" });
  });

  it.each([
    ["a lone high surrogate in data", '{"s":"x\\ud800"}', "data.s"],
    ["a lone low surrogate in data", '{"s":"\\udc00x"}', "data.s"],
    ["a reversed pair", '{"s":"\\udc00\\ud800"}', "data.s"],
    ["a lone surrogate in a key", '{"k":{"\\ud800":1}}', 'data.k["\\ud800"]'],
  ])("%s -> 400", async (_, data, path) => {
    const id = uniqueId("surrogate");
    await refused(
      `{"id":"${id}","type":"bad-input.text","data":${data}}`,
      { status: 400, message: /./, path, detail: /not well-formed Unicode/ },
      { id },
    );
  });

  it("a lone surrogate in source -> 400", async () => {
    await refused('{"type":"a","source":"s\\ud800","data":{}}', {
      status: 400,
      message: /./,
      path: "source",
      detail: /not well-formed Unicode/,
    });
  });

  it.each([
    ["0xFF", [0xff]],
    ["a truncated 3-byte sequence", [0xe2, 0x82]],
    ["an overlong slash", [0xc0, 0xaf]],
    ["an encoded surrogate", [0xed, 0xa0, 0x80]],
  ])("invalid UTF-8 (%s) in a JSON body -> 400", async (_, bad) => {
    const id = uniqueId("utf8");
    const head = new TextEncoder().encode(`{"id":"${id}","type":"a","data":{"s":"`);
    const tail = new TextEncoder().encode('"}}');
    const body = new Uint8Array([...head, ...bad, ...tail]);
    await refused(
      body,
      { status: 400, code: "invalid_json", message: /not valid UTF-8/ },
      { id, headers: { "content-type": "application/json; charset=utf-8" } },
    );
  });

  it("a pair, an emoji and U+FFFD sent as an escape are kept exactly", async () => {
    const id = uniqueId("unicode-ok");
    await accepted(`{"id":"${id}","type":"a","data":{"s":"\\ud83d\\ude00 😀 \\ufffd \\uffff"}}`);
    expect((await api.settled(id)).data.s).toBe("\ud83d\ude00 😀 \ufffd \uffff");
  });
});

describe("query parameters", () => {
  it.each([
    ["/v1/events?limit=0", "limit", /integer from 1 to 100/],
    ["/v1/events?limit=101", "limit", /integer from 1 to 100/],
    ["/v1/events?limit=-1", "limit", /integer from 1 to 100/],
    ["/v1/events?limit=1.5", "limit", /integer from 1 to 100/],
    ["/v1/events?limit=abc", "limit", /integer from 1 to 100/],
    ["/v1/events?limit=99999999999999999999", "limit", /integer from 1 to 100/],
    ["/v1/events?limit=5&limit=6", "limit", /given once/],
    ["/v1/events?from=yesterday", "from", /RFC 3339/],
    ["/v1/events?from=2026-01-01", "from", /RFC 3339/],
    ["/v1/events?from=2026-02-30T00:00:00Z", "from", /RFC 3339/],
    ["/v1/events?to=2026-12-31T23:59:60Z", "to", /RFC 3339/],
    ["/v1/events?from=9999-12-31T23:30:00-05:00", "from", /0000-9999/],
    ["/v1/events?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from", /not be after to/],
    ["/v1/events?status=lost", "status", /processed or failed/],
    ["/v1/events?type=a%23b", "type", /valid event type/],
    ["/v1/events?stauts=failed", "stauts", /not a known parameter/],
    ["/v1/stats?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from", /not be after to/],
    ["/v1/stats?to=never", "to", /RFC 3339/],
    ["/v1/failed?limit=0", "limit", /integer from 1 to 100/],
    ["/v1/failed?from=9999-12-31T23:30:00-05:00&to=2026-01-01T00:00:00Z", "from", /RFC 3339/],
    ["/v1/failed?from=2026-01-01T00:00:00Z&to=9999-12-31T23:30:00-05:00", "to", /RFC 3339/],
  ])("GET %s -> 400 naming %s", async (path, param, detail) => {
    const answer = await api.request<ErrorBody>("GET", path);
    expectRefusal(answer, {
      status: 400,
      code: "validation_failed",
      message: /./,
      path: param,
      detail,
    });
  });

  it("a corrupted, forged, foreign or garbage cursor -> 400 invalid_cursor", async () => {
    const type = uniqueType("cursor");
    const ids = await api.sendBatch(Array.from({ length: 3 }, (_, i) => ({ type, data: { i } })));
    await api.settledAll(ids);
    const page = await api.request<{ nextCursor?: string }>(
      "GET",
      `/v1/events?type=${type}&limit=1`,
    );
    const cursor = page.body.nextCursor ?? "";
    expect(cursor).toContain(".");
    const [payload = "", tag = ""] = cursor.split(".");
    // Change the payload (move the position), keep the tag.
    const decoded = JSON.parse(Buffer.from(payload, "base64url").toString()) as { p: unknown[] };
    decoded.p = decoded.p.map(() => "9999-12-31T23:59:59.999Z#zzz");
    const edited = `${Buffer.from(JSON.stringify(decoded)).toString("base64url")}.${tag}`;
    const flipped = `${payload}.${tag.slice(0, -1)}${tag.endsWith("A") ? "B" : "A"}`;
    const cases: [string, RegExp][] = [
      [edited, /corrupted/],
      [flipped, /corrupted/],
      ["garbage", /malformed/],
      ["a.b.c", /malformed/],
      ["%00", /malformed|corrupted/],
      ["x".repeat(5000), /./],
    ];
    for (const [bad, message] of cases) {
      const answer = await api.request<ErrorBody>(
        "GET",
        `/v1/events?type=${type}&limit=1&cursor=${encodeURIComponent(bad)}`,
      );
      expect(answer.status, bad.slice(0, 40)).toBe(400);
      expect(answer.text).not.toMatch(LEAK);
      expect(answer.body.error.message).toMatch(message);
    }
    // An intact cursor, used for another query (other type, other limit filter set).
    const foreign = await api.request<ErrorBody>(
      "GET",
      `/v1/events?type=${uniqueType("other")}&limit=1&cursor=${encodeURIComponent(cursor)}`,
    );
    expectRefusal(foreign, { status: 400, code: "invalid_cursor", message: /different query/ });
  });
});

describe.skipIf(!localOnly)("afterwards", () => {
  it("every refused request was received and rejected, nothing stuck in the queues", async () => {
    await api.queuesEmpty(60_000);
    const metrics = await waitFor(
      async () => (await progress(api)).metric("EventsRejected") || undefined,
      5_000,
      "rejections to be counted",
    );
    expect(metrics).toBeGreaterThan(50);
  });
});

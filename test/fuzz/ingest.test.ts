/**
 * Property-based fuzzing of the ingest API, over HTTP against a running local runtime
 * (or EVENTFLOW_URL; the accounting needs /_local/metrics, so it is local only).
 *
 * Cases come from generators built on the zod schemas' own constraints (the id and type
 * patterns, the field limits of incomingEventSchema and cloudEventSchema) and from
 * arbitrary JSON, text and bytes:
 *
 *   valid        events the schema accepts (checked with the schema itself)
 *   mutated      a valid event with exactly one known defect (bad field, reserved key,
 *                unsafe number, lone surrogate, nesting, size...): the defect's path
 *   batch        1-8 events, valid and mutated mixed
 *   cloudevent   structured-mode CloudEvents the CloudEvents schema accepts
 *   arbitrary    any JSON value, alone, as `data`, or as batch entries
 *   raw          any text or bytes, any Content-Type, sometimes ce-* headers
 *   numbers      pathological number literals (issue 15): 60,000-digit mantissas, long
 *                runs of trailing, embedded and leading zeros, huge exponents; in single
 *                events, batches and binary-mode CloudEvents; storable ones are stored
 *                exactly, the others refused naming their field (mutated events and
 *                batches get the refused ones too)
 *
 * Properties, per case: never a 5xx and never a stack trace; a refusal carries a code, a
 * message and, for invalid events, each error's path; exactly the events answered
 * "queued" were enqueued (the ingest function's EventsQueued metric moves by that count,
 * so nothing is enqueued for a rejected event); a valid event is queued; a mutated one
 * is rejected naming its defect. After the run: every queued event is stored exactly
 * once (one first write per id) with the data it was sent with.
 *
 * FUZZ_RUNS cases in all (300 by default, 10,000 with npm run test:fuzz), split over the
 * categories. FUZZ_SEED (and FUZZ_PATH) replay a run; the seed is printed at the start
 * and fast-check prints seed and path with any counterexample.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EVENT_ID_PATTERN,
  EVENT_TYPE_PATTERN,
  incomingEventSchema,
} from "../../lambdas/domain/event.js";
import { joinPath, MAX_NUMBER_LITERAL_CHARS } from "../../lambdas/domain/json.js";
import { applyRules } from "../../lambdas/domain/rules.js";
import { defaultCompiledRuleset, ruleInputOf } from "../../lambdas/use-cases/tenant-rules.js";
import { Api, waitFor } from "../e2e/client.js";
import { progress } from "../e2e/reliability.js";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";

const RUNS = Math.max(6, Number(process.env.FUZZ_RUNS ?? 300));
const SEED = process.env.FUZZ_SEED
  ? Number(process.env.FUZZ_SEED)
  : Math.floor(Math.random() * 2 ** 31);
const PATH = process.env.FUZZ_PATH;

/** Share of RUNS per category. */
const SHARE = {
  valid: 0.22,
  mutated: 0.22,
  batch: 0.14,
  cloudevent: 0.09,
  arbitrary: 0.14,
  raw: 0.09,
  numbers: 0.1,
};
const runsOf = (category: keyof typeof SHARE) => Math.max(1, Math.round(RUNS * SHARE[category]));

const LEAK = /\n\s+at |\.ts:\d+|\.js:\d+|node_modules|\/work\//;
const RESERVED = ["__proto__", "constructor", "prototype"];
const KB64 = 64 * 1024;

let platform: Platform;
let api: Api;
let before: Awaited<ReturnType<typeof progress>>;
/** Running total of EventsQueued, to check each case moved it by its own count. */
let queuedTotal = 0;
const counts: Record<string, number> = {};
/** Every event answered "queued": stored id -> the data sent (several if the id repeats). */
const queuedEvents = new Map<string, { data: unknown; type: string; subject?: unknown }[]>();
let queuedCount = 0;

type Segment = string | number;

interface Answer {
  status: number;
  text: string;
  body: {
    id?: string;
    status?: string;
    error?: {
      code?: unknown;
      message?: unknown;
      details?: { path?: unknown; message?: unknown }[];
    };
    results?: { index: number; id?: string; status: string; errors?: { path: string }[] }[];
  };
}

/** Posts a body as is (JSON text, or bytes), then checks what holds for every answer. */
async function post(
  category: string,
  body: string | Uint8Array,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<Answer> {
  counts[category] = (counts[category] ?? 0) + 1;
  const answer = await api.request<Answer["body"]>("POST", "/v1/events", undefined, {
    raw: body,
    headers,
  });
  const context = `${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, context).toBeLessThan(500);
  expect(answer.text, context).not.toMatch(LEAK);
  const b = (answer.body ?? {}) as Answer["body"];
  if (answer.status >= 400) {
    expect(typeof b.error?.code, context).toBe("string");
    expect(typeof b.error?.message, context).toBe("string");
    for (const d of b.error?.details ?? []) {
      expect(typeof d.path, context).toBe("string");
      expect(typeof d.message, context).toBe("string");
    }
  }
  // Exactly what the answer says was queued reached the queue.
  const queued =
    answer.status === 202
      ? b.results
        ? b.results.filter((r) => r.status === "queued").length
        : b.status === "queued"
          ? 1
          : 0
      : 0;
  const now = (await progress(api)).metric("EventsQueued") - before.metric("EventsQueued");
  expect(now - queuedTotal, `EventsQueued moved by ${now - queuedTotal}, answer: ${context}`).toBe(
    queued,
  );
  queuedTotal = now;
  return { status: answer.status, text: answer.text, body: b };
}

/** Remembers what an answer queued: `sent(i)` is the event at index i (or the single one). */
function rememberAnswer(
  answer: Answer,
  sent: (index: number) => { data?: unknown; type?: unknown },
) {
  if (answer.status !== 202) return;
  if (answer.body.results) {
    for (const r of answer.body.results) if (r.status === "queued") remember(r.id, sent(r.index));
  } else {
    remember(answer.body.id, sent(0));
  }
}

/** Remembers a queued event for the storage check at the end. */
function remember(
  id: string | undefined,
  event: { data?: unknown; type?: unknown; subject?: unknown },
) {
  if (!id) throw new Error("a queued event without an id in the answer");
  queuedCount++;
  const list = queuedEvents.get(id) ?? [];
  list.push({ data: event.data, type: String(event.type), subject: event.subject });
  queuedEvents.set(id, list);
}

/** JSON text a careful client sends: U+FFFD escaped (raw, it marks undecodable bytes). */
const jsonText = (value: unknown) => JSON.stringify(value).replace(/\ufffd/g, "\\ufffd");

// Generators -----------------------------------------------------------------------------

let idCounter = 0;
const freshId = () => `fz-${SEED}-${++idCounter}`;

/** Numbers DynamoDB and a double both hold exactly. */
const storableNumber = fc.oneof(
  fc.integer(),
  fc
    .double({ noNaN: true, noDefaultInfinity: true, min: -1e125, max: 1e125 })
    .filter((n) => n === 0 || Math.abs(n) >= 1e-130),
  fc.constantFrom(2 ** 53, -(2 ** 53), 2 ** 60, 1e21, 12345678901234567000, 9.99e125),
);

/**
 * Number literals that once cost O(n²) to check (issue 15, item 1), each with whether the
 * API stores it (exactly its value) or refuses it, naming its field.
 */
interface Literal {
  text: string;
  accepted: boolean;
}
const CAP = MAX_NUMBER_LITERAL_CHARS;
const LONG = 60_000;
/** A run of zeros or digits: about half within the cap (stored), half up to 60,000. */
const run = (min: number) =>
  fc.oneof(fc.integer({ min, max: CAP }), fc.integer({ min, max: LONG }));
/** n pseudo-random digits, the first and last not 0 (n >= 2). */
function digitsOf(n: number, seed: number): string {
  let x = seed % 2147483647 || 1;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 48271) % 2147483647;
    out.push(String(x % 10));
  }
  if (out[0] === "0") out[0] = "7";
  if (out[n - 1] === "0") out[n - 1] = "3";
  return out.join("");
}
const pathologicalLiteral: fc.Arbitrary<Literal> = fc.oneof(
  // Trailing zeros: the value of the head, stored while the literal is within the cap.
  fc.tuple(fc.constantFrom("1.5", "-2.25", "0.1", "7.", "-0."), run(1)).map(([head, zeros]) => {
    const text = `${head}${"0".repeat(zeros)}`;
    return { text, accepted: text.length <= CAP };
  }),
  // Embedded zeros, 1.000…0001 (the old worst case): more than 17 significant digits.
  fc
    .tuple(run(16), fc.constantFrom("1.", "1", "-1.", "9"))
    .map(([zeros, head]) => ({ text: `${head}${"0".repeat(zeros)}1`, accepted: false })),
  // Huge exponents: Infinity, or 0 for a mantissa that is not 0 (refused); 0 stays 0.
  fc
    .tuple(
      fc.constantFrom("1", "-4.5", "0", "-0.000"),
      fc.constantFrom("e", "E", "e+", "e-", "E-"),
      run(4),
    )
    .map(([mantissa, e, n]) => {
      const text = `${mantissa}${e}${"9".repeat(n)}`;
      return { text, accepted: Number(mantissa) === 0 && text.length <= CAP };
    }),
  // Leading zeros in the exponent: the value of the short form.
  fc
    .tuple(
      fc.constantFrom("1", "-3.25", "9.99"),
      fc.constantFrom("e", "e+", "e-"),
      run(1),
      fc.integer({ min: 0, max: 99 }),
    )
    .map(([mantissa, e, zeros, exp]) => {
      const text = `${mantissa}${e}${"0".repeat(zeros)}${exp}`;
      return { text, accepted: text.length <= CAP };
    }),
  // Leading zeros in the fraction, 0.000…0001: below 1e-130 DynamoDB cannot store it.
  fc.tuple(run(0), fc.constantFrom("1", "25", "5")).map(([zeros, tail]) => {
    const text = `0.${"0".repeat(zeros)}${tail}`;
    return { text, accepted: zeros <= 129 && text.length <= CAP };
  }),
  // Long runs of digits, up to 60,000 (never fewer than 40 significant ones).
  fc
    .tuple(
      run(40),
      fc.integer({ min: 1, max: 2 ** 30 }),
      fc.constantFrom("", "-"),
      fc.constantFrom("int", "frac", "exp"),
    )
    .map(([n, seed, sign, shape]) => {
      const d = digitsOf(n, seed);
      const text =
        shape === "int"
          ? `${sign}${d}`
          : shape === "frac"
            ? `${sign}${d.slice(0, 1)}.${d.slice(1)}`
            : `${sign}${d.slice(0, 2)}.${d.slice(2)}e-7`;
      return { text, accepted: false };
    }),
);

const key = fc
  .string({ unit: "grapheme", maxLength: 12 })
  .filter((k) => !RESERVED.includes(k) && k !== "");

/** JSON data that is valid everywhere: well-formed text, storable numbers, shallow. */
const jsonData: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 5 },
    fc.string({ unit: "grapheme", maxLength: 40 }),
    storableNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(key, tie("value"), { maxKeys: 5 }),
  ),
})).value;

const dataObject = fc.dictionary(key, jsonData, { maxKeys: 6 }) as fc.Arbitrary<
  Record<string, unknown>
>;

const typeArb = fc.oneof(
  fc.stringMatching(EVENT_TYPE_PATTERN),
  fc.constantFrom("purchase", "user_signup", "page_view"),
);

const timeArb = fc
  .tuple(
    fc.date({
      min: new Date("1970-01-01T00:00:00Z"),
      max: new Date("9999-01-01T00:00:00Z"),
      noInvalidDate: true,
    }),
    fc.constantFrom("Z", "+00:00", "-05:30", "+14:00"),
  )
  .map(([d, zone]) => d.toISOString().replace("Z", zone));

/** An event incomingEventSchema accepts, with a fresh id (or none: the API assigns one). */
const validEvent = fc
  .record(
    {
      withId: fc.boolean(),
      type: typeArb,
      source: fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }),
      subject: fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }),
      time: timeArb,
      data: dataObject,
    },
    { requiredKeys: ["withId", "type", "data"] },
  )
  .map(({ withId, ...event }) => ({ ...(withId ? { id: freshId() } : {}), ...event }));

/** A defect planted in a valid event: the body text, and where the API must say it is. */
interface Mutation {
  event: Record<string, unknown>;
  /** Placeholder string -> JSON text that replaces it (with its quotes) in the body. */
  replace?: [string, string];
  /** Segments of the path the error names (from the event's root). */
  path: Segment[];
  tooLarge?: boolean;
}

function mutationText(m: Mutation): string {
  const text = jsonText(m.event);
  return m.replace ? text.split(m.replace[0]).join(m.replace[1]) : text;
}

/** Well within one event's 64 KB, however the server measures it (it re-serializes). */
const fitsOneEvent = (text: string) => Buffer.byteLength(text) <= KB64 - 1024;

/** A spine of keys and indexes into data, and the value at its end. */
const spine = fc.array(
  fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_ -]{0,8}$/), fc.nat({ max: 3 })),
  { maxLength: 4 },
);

/**
 * Puts `value` into a copy of `data` at the spine, then `last`; answers the data and the
 * path as the API names it (a number under an object is a key: "0", not [0]).
 */
function plant(
  data: Record<string, unknown>,
  segments: Segment[],
  last: string,
  value: unknown,
): { data: Record<string, unknown>; path: Segment[] } {
  const root: Record<string, unknown> = { ...data };
  const path: Segment[] = ["data"];
  let container: Record<string, unknown> | unknown[] = root;
  const all: Segment[] = [...segments, last];
  all.forEach((segment, i) => {
    const next = all[i + 1];
    const child = i === all.length - 1 ? value : typeof next === "number" ? [] : {};
    if (Array.isArray(container)) {
      // Filled up to the index, so the path is exactly the one planted.
      const index = segment as number;
      while (container.length < index) container.push(0);
      container[index] = child;
      path.push(index);
    } else {
      container[String(segment)] = child;
      path.push(String(segment));
    }
    container = child as Record<string, unknown> | unknown[];
  });
  return { data: root, path };
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // type: missing, empty, forbidden characters, too long.
  fc
    .tuple(validEvent, fc.constantFrom(undefined, "", "a b", "a#b", "é", "x".repeat(129), 7, null))
    .map(([e, type]) => {
      const event: Record<string, unknown> = { ...e };
      if (type === undefined) delete event.type;
      else event.type = type;
      return { event, path: ["type"] };
    }),
  // data: missing or not an object.
  fc.tuple(validEvent, fc.constantFrom(undefined, [], [1], "x", 3, null, true)).map(([e, data]) => {
    const event: Record<string, unknown> = { ...e };
    if (data === undefined) delete event.data;
    else event.data = data;
    return { event, path: ["data"] };
  }),
  // id: characters outside the pattern, look-alikes, too long, empty, the CloudEvents prefix.
  fc
    .tuple(
      validEvent,
      fc.constantFrom(
        " ",
        "/",
        "\\",
        "#",
        "\u0000",
        "\n",
        "é",
        "\u0430",
        "\u200b",
        "\uff49",
        "?",
        "%",
      ),
      fc.stringMatching(/^[a-z0-9]{0,10}$/),
    )
    .chain(([e, bad, base]) =>
      fc
        .constantFrom(`${base}${bad}x`, "i".repeat(129), "", `ce:${base}`)
        .map((id) => ({ event: { ...e, id }, path: ["id"] as Segment[] })),
    ),
  // a field the schema does not know.
  fc
    .tuple(validEvent, fc.stringMatching(/^[a-z]{1,10}$/))
    .filter(([, k]) => !["id", "type", "source", "subject", "time", "data", "events"].includes(k))
    .map(([e, k]) => ({ event: { ...e, [k]: 1 }, path: [k] })),
  // a reserved key anywhere in data.
  fc.tuple(validEvent, spine, fc.constantFrom(...RESERVED)).map(([e, s, reserved]) => {
    const { data, path } = plant(e.data, s, "__reserved__", { polluted: true });
    return {
      event: { ...e, data },
      replace: ['"__reserved__"', JSON.stringify(reserved)] as [string, string],
      path: [...path.slice(0, -1), reserved],
    };
  }),
  // a number that would be rounded or is outside DynamoDB's range.
  fc
    .tuple(
      validEvent,
      spine,
      fc.oneof(
        fc
          .bigInt({ min: 2n ** 53n + 1n, max: 2n ** 80n })
          .filter((n) => n % 2n === 1n)
          .map(String),
        fc.constantFrom(
          "12345678901234567891",
          "123456789012345678901234567890123456789",
          "0.12345678901234567890123",
          "1e400",
          "-1e400",
          "1e126",
          "-1e200",
          "1e-131",
          "5e-324",
        ),
        pathologicalLiteral.filter((l) => !l.accepted).map((l) => l.text),
      ),
    )
    .map(([e, s, token]) => {
      const { data, path } = plant(e.data, s, "n", "__number__");
      return {
        event: { ...e, data },
        replace: ['"__number__"', token] as [string, string],
        path,
      };
    })
    // A 60,000-digit literal in a large event: keep clear of the 64 KB answer (413).
    .filter((m) => fitsOneEvent(mutationText(m))),
  // a lone surrogate in a string value or a key.
  fc
    .tuple(
      validEvent,
      spine,
      fc.constantFrom("\\ud800", "\\udfff", "a\\ud83d", "\\ude00b"),
      fc.boolean(),
    )
    .map(([e, s, lone, inKey]) => {
      const { data, path } = inKey
        ? plant(e.data, s, "__lone__", 1)
        : plant(e.data, s, "s", "__lone__");
      return {
        event: { ...e, data },
        replace: ['"__lone__"', `"${lone}"`] as [string, string],
        path: inKey ? [...path.slice(0, -1), JSON.parse(`"${lone}"`) as string] : path,
      };
    }),
  // data nested deeper than DynamoDB accepts.
  fc.tuple(validEvent, fc.integer({ min: 31, max: 100 })).map(([e, depth]) => {
    let data: Record<string, unknown> = {};
    for (let i = 1; i < depth; i++) data = { a: data };
    return { event: { ...e, data }, path: ["data"] };
  }),
  // time, source, subject out of bounds.
  fc
    .tuple(
      validEvent,
      fc.constantFrom("yesterday", "2026-02-30T00:00:00Z", "2026-01-01", "", "2026-01-01T00:00:00"),
    )
    .map(([e, time]) => ({ event: { ...e, time }, path: ["time"] })),
  fc.tuple(validEvent, fc.constantFrom("", "s".repeat(1025))).map(([e, source]) => ({
    event: { ...e, source },
    path: ["source"],
  })),
  // over 64 KB.
  fc.tuple(validEvent, fc.integer({ min: 1, max: 5_000 })).map(([e, over]) => {
    const event = { ...e, data: { ...e.data, pad: "" } };
    const pad = KB64 + over - Buffer.byteLength(JSON.stringify(event));
    event.data.pad = "x".repeat(Math.max(0, pad));
    return { event, path: [], tooLarge: true };
  }),
);

const pathOf = (prefix: string, segments: Segment[]) => segments.reduce<string>(joinPath, prefix);

// The run ------------------------------------------------------------------------------

const assertOptions = (offset: number, numRuns: number) => ({
  numRuns,
  seed: SEED + offset,
  ...(PATH ? { path: PATH } : {}),
  endOnFailure: true,
});

describe.skipIf(!localOnly)("fuzzing POST /v1/events", () => {
  beforeAll(async () => {
    console.log(JSON.stringify({ fuzz: { runs: RUNS, seed: SEED } }));
    platform = await startPlatform();
    api = new Api(platform.url);
    before = await progress(api);
  });

  afterAll(async () => {
    console.log(JSON.stringify({ fuzz: { seed: SEED, cases: counts, queued: queuedCount } }));
    await platform?.stop();
  });

  it("valid events are queued", async () => {
    await fc.assert(
      fc.asyncProperty(validEvent, async (event) => {
        expect(incomingEventSchema.safeParse(event).success).toBe(true);
        const answer = await post("valid", jsonText(event));
        expect(answer.status, answer.text).toBe(202);
        remember(answer.body.id, event);
      }),
      assertOptions(1, runsOf("valid")),
    );
  });

  it("an event with one defect is refused, naming it, and nothing is queued", async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const answer = await post("mutated", mutationText(m));
        if (m.tooLarge) {
          expect(answer.status, answer.text).toBe(413);
          expect(String(answer.body.error?.message)).toMatch(/the limit is 65536/);
          return;
        }
        expect(answer.status, answer.text).toBe(400);
        const paths = (answer.body.error?.details ?? []).map((d) => d.path);
        expect(paths, answer.text).toContain(pathOf("", m.path));
      }),
      assertOptions(2, runsOf("mutated")),
    );
  });

  it("in a batch, each event stands alone", async () => {
    const item = fc.oneof(
      validEvent.map((event) => ({ event, text: jsonText(event), mutation: undefined })),
      mutation.map((m) => ({ event: m.event, text: mutationText(m), mutation: m })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 8 }), async (items) => {
        const answer = await post("batch", `{"events":[${items.map((i) => i.text).join(",")}]}`);
        const bad = items.filter((i) => i.mutation).length;
        if (bad === items.length) {
          const allLarge = items.every((i) => i.mutation?.tooLarge);
          expect(answer.status, answer.text).toBe(allLarge ? 413 : 400);
          return;
        }
        expect(answer.status, answer.text).toBe(202);
        const results = answer.body.results ?? [];
        expect(results).toHaveLength(items.length);
        items.forEach((i, index) => {
          const r = results[index];
          if (!i.mutation) {
            expect(r?.status, answer.text).toBe("queued");
            remember(r?.id, i.event);
            return;
          }
          expect(r?.status, answer.text).toBe("rejected");
          const want = i.mutation.tooLarge
            ? `events[${index}]`
            : pathOf(`events[${index}]`, i.mutation.path);
          expect(
            (r?.errors ?? []).map((e) => e.path),
            answer.text,
          ).toContain(want);
        });
      }),
      assertOptions(3, runsOf("batch")),
    );
  });

  it("structured CloudEvents are queued under their derived id", async () => {
    const cloudEvent = fc.record(
      {
        specversion: fc.constant("1.0"),
        id: fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
        source: fc.stringMatching(/^(https:\/\/example\.com\/|urn:fuzz:|\/)[a-z0-9]{1,12}$/),
        type: fc.stringMatching(EVENT_TYPE_PATTERN),
        subject: fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
        time: timeArb,
        data: dataObject,
      },
      { requiredKeys: ["specversion", "id", "source", "type", "data"] },
    );
    await fc.assert(
      fc.asyncProperty(cloudEvent, async (ce) => {
        const answer = await post("cloudevent", jsonText(ce), {
          "content-type": "application/cloudevents+json",
        });
        expect(answer.status, answer.text).toBe(202);
        remember(answer.body.id, ce);
      }),
      assertOptions(4, runsOf("cloudevent")),
    );
  });

  it("pathological number literals: stored exactly when storable, else refused naming the field", async () => {
    /** A valid event whose data holds `literal` somewhere; `event` has its value instead. */
    const withLiteral = fc
      .tuple(validEvent, spine, pathologicalLiteral)
      .map(([e, s, literal]) => {
        const planted = plant(e.data, s, "n", "__number__");
        const valued = plant(e.data, s, "n", Number(literal.text));
        const put = (text: string) => text.split('"__number__"').join(literal.text);
        return {
          event: { ...e, data: valued.data },
          text: put(jsonText({ ...e, data: planted.data })),
          dataText: put(jsonText(planted.data)),
          literal,
          path: planted.path,
        };
      })
      .filter((c) => fitsOneEvent(c.text));
    type Case = typeof withLiteral extends fc.Arbitrary<infer T> ? T : never;
    const expectRefused = (answer: Answer, c: Case, paths: string[] | undefined) => {
      expect(paths ?? [], `${c.literal.text.slice(0, 60)}: ${answer.text.slice(0, 300)}`).toContain(
        pathOf("", c.path),
      );
    };
    const mode = fc.constantFrom("single", "batch", "binary");
    await fc.assert(
      fc.asyncProperty(
        mode,
        fc.array(withLiteral, { minLength: 1, maxLength: 6 }),
        validEvent,
        async (m, cases, plain) => {
          const [c] = cases as [Case, ...Case[]];
          const context = (a: Answer) => `${c.literal.text.slice(0, 60)}: ${a.text.slice(0, 300)}`;
          if (m === "single") {
            const answer = await post("numbers", c.text);
            if (!c.literal.accepted) {
              expect(answer.status, context(answer)).toBe(400);
              expectRefused(
                answer,
                c,
                answer.body.error?.details?.map((d) => String(d.path)),
              );
              return;
            }
            expect(answer.status, context(answer)).toBe(202);
            remember(answer.body.id, c.event);
            return;
          }
          if (m === "binary") {
            const answer = await post("numbers", c.dataText, {
              "content-type": "application/json",
              "ce-specversion": "1.0",
              "ce-id": freshId(),
              "ce-source": "/fuzz/numbers",
              "ce-type": c.event.type,
            });
            if (!c.literal.accepted) {
              expect(answer.status, context(answer)).toBe(400);
              expectRefused(
                answer,
                c,
                answer.body.error?.details?.map((d) => String(d.path)),
              );
              return;
            }
            expect(answer.status, context(answer)).toBe(202);
            remember(answer.body.id, { data: c.event.data, type: c.event.type });
            return;
          }
          // A batch: one plain event first, then the literals; each stands alone.
          const body = `{"events":[${[jsonText(plain), ...cases.map((x) => x.text)].join(",")}]}`;
          const answer = await post("numbers", body);
          expect(answer.status, context(answer)).toBe(202);
          const results = answer.body.results ?? [];
          expect(results).toHaveLength(cases.length + 1);
          expect(results[0]?.status).toBe("queued");
          remember(results[0]?.id, plain);
          cases.forEach((x, i) => {
            const r = results[i + 1];
            if (x.literal.accepted) {
              expect(r?.status, context(answer)).toBe("queued");
              remember(r?.id, x.event);
              return;
            }
            expect(r?.status, context(answer)).toBe("rejected");
            expect(
              (r?.errors ?? []).map((e) => e.path),
              context(answer),
            ).toContain(pathOf(`events[${i + 1}]`, x.path));
          });
        },
      ),
      assertOptions(7, runsOf("numbers")),
    );
  });

  it("arbitrary JSON never breaks the API", async () => {
    const anyJson = fc.jsonValue({ maxDepth: 6, stringUnit: "binary" });
    const shaped = fc.oneof(
      anyJson,
      fc.record({ type: typeArb, data: anyJson }),
      fc.record({ id: fc.string({ maxLength: 20 }), type: fc.string(), data: anyJson }),
      fc.record({ events: fc.array(anyJson, { maxLength: 4 }) }),
      fc.record({
        events: fc.array(fc.record({ type: typeArb, data: anyJson }), { maxLength: 4 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(shaped, async (value) => {
        const answer = await post("arbitrary", jsonText(value));
        const v = value as { events?: { data?: unknown; type?: unknown }[] };
        rememberAnswer(answer, (i) => (v.events ? (v.events[i] ?? {}) : (value as object)));
      }),
      assertOptions(5, runsOf("arbitrary")),
    );
  });

  it("any text or bytes, with any Content-Type, never break the API", async () => {
    const printable = fc
      .string({ unit: "grapheme-ascii", maxLength: 30 })
      .map((s) => s.replace(/[^\x20-\x7e]/g, ""));
    const contentType = fc.oneof(
      fc.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "application/cloudevents+json",
        "application/cloudevents-batch+json",
        "text/plain",
        "application/octet-stream",
        "application/x-www-form-urlencoded",
      ),
      printable,
    );
    const body = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc
        .json({ maxDepth: 4 })
        .chain((j) => fc.nat({ max: Math.max(0, j.length) }).map((cut) => j.slice(0, cut))),
      fc.uint8Array({ maxLength: 200 }),
    );
    const ceHeaders = fc.option(
      fc.record({
        "ce-specversion": fc.constantFrom("1.0", "0.3", ""),
        "ce-id": printable,
        "ce-source": printable,
        "ce-type": printable,
      }),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(body, contentType, ceHeaders, async (raw, type, ce) => {
        const headers = { ...(type ? { "content-type": type } : {}), ...(ce ?? {}) };
        const answer = await post("raw", raw, headers);
        // The data of what raw bytes made is not predicted here; that it is stored is.
        rememberAnswer(answer, () => ({ data: undefined }));
      }),
      assertOptions(6, runsOf("raw")),
    );
  });

  it("afterwards, every queued event is stored exactly once, with the data it was sent with", async () => {
    // Every queued message handled: written, recorded failed, or found a duplicate. One
    // that keeps failing (retried, then stuck in the DLQ) times this out.
    const handled = (p: Awaited<ReturnType<typeof progress>>) =>
      ["EventsProcessed", "EventsFailed", "EventsDuplicate"].reduce(
        (n, m) => n + p.metric(m) - before.metric(m),
        0,
      );
    await waitFor(
      async () => handled(await progress(api)) >= queuedCount || undefined,
      180_000,
      `all ${queuedCount} queued events to be handled`,
      500,
    );
    await api.queuesEmpty(60_000);
    const now = await progress(api);
    const delta = (name: string) => now.metric(name) - before.metric(name);
    expect(delta("EventsQueued")).toBe(queuedCount);
    // One first write per distinct id; every other copy a duplicate.
    expect(delta("EventsProcessed") + delta("EventsFailed")).toBe(queuedEvents.size);
    expect(delta("EventsDuplicate")).toBe(queuedCount - queuedEvents.size);
    const ids = [...queuedEvents.keys()];
    let next = 0;
    const check = async () => {
      for (let id = ids[next++]; id; id = ids[next++]) {
        const answer = await api.request<{ data: unknown; status: string }>(
          "GET",
          `/v1/events/${encodeURIComponent(id)}`,
        );
        expect(answer.status, `GET ${id}: ${answer.text.slice(0, 200)}`).toBe(200);
        const sent = queuedEvents.get(id) ?? [];
        // The stored data is one of the copies sent, exactly (numbers included).
        const normal = (v: unknown) => JSON.stringify(canonical(v === undefined ? null : v));
        const stored = normal(answer.body.data);
        const candidates = sent.filter((s) => s.data !== undefined && isObject(s.data));
        if (candidates.length > 0) {
          expect(
            candidates.map((s) => normal(JSON.parse(jsonText(s.data)))),
            id,
          ).toContain(stored);
          const first = candidates[0];
          if (candidates.length === 1 && first && EVENT_ID_PATTERN.test(id)) {
            // The oracle: the built-in default rules on the event as sent.
            const verdict = await applyRules(
              defaultCompiledRuleset(),
              ruleInputOf({
                id,
                type: first.type,
                data: JSON.parse(jsonText(first.data)) as Record<string, unknown>,
                receivedAt: new Date().toISOString(),
                ...(typeof first.subject === "string" ? { subject: first.subject } : {}),
              }),
            );
            expect(answer.body.status, id).toBe(verdict.rejected ? "failed" : "processed");
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, check));
    const status = await api.request<{ prototypeAdditions: string[] }>("GET", "/_local/status");
    expect(status.body.prototypeAdditions).toEqual([]);
  });
});

const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);

/** Keys sorted at every level: a stored map need not keep the order it was sent in. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isObject(v)) return v;
  return Object.fromEntries(
    Object.keys(v as object)
      .sort()
      .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
  );
}

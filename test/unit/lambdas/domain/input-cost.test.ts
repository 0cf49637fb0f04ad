/**
 * What a request costs must grow linearly with its size (issue 15, item 1), and so must
 * what the answer says about it.
 *
 * - Number literals: the old normalization (`digits.replace(/0+$/, "")`) backtracked O(n²)
 *   on `1.000…0001`: 60,000 digits took ~2.4 s, 200,000 ~38 s. normalizeDecimal now counts
 *   its steps; a long literal is refused, naming its field, before it is normalized at all.
 * - Error answers: a 57 KB event of lone surrogates under one 30 KB key answered 90 MB.
 * - Route matching: /(.)\/+$/ backtracked O(n²) on a path of slashes.
 *
 * No test here asserts a tight time: steps are counted, and the wall-clock bounds are
 * hundreds of times what the linear code takes (and a fraction of what the old took).
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  inspect,
  limitErrors,
  MAX_FIELD_ERRORS,
  MAX_NUMBER_LITERAL_CHARS,
  MAX_PATH_CHARS,
  normalizeDecimal,
  parseJson,
} from "../../../../lambdas/domain/json.js";
import { checkBinaryCloudEvent } from "../../../../lambdas/http/cloudevents-binding.js";
import { decodeIngestRequest } from "../../../../lambdas/http/ingest-request.js";
import type { EventQueue } from "../../../../lambdas/ports/event-store.js";
import { matchRoute, withoutTrailingSlashes } from "../../../../lambdas/shared/http.js";
import { ingestEvents } from "../../../../lambdas/use-cases/ingest-events.js";
import { apiEvent } from "../../../support/apigw.js";

/** The normalization as it was (quadratic), kept as the oracle of what the answers are. */
function referenceNormalize(literal: string): string | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!m) return undefined;
  const [, sign = "", int = "", frac = "", exp = "0"] = m;
  const digits = `${int}${frac}`.replace(/^0+/, "");
  if (digits === "") return "0";
  const significant = digits.replace(/0+$/, "");
  const exponent = BigInt(exp) - BigInt(frac.length) + BigInt(digits.length - significant.length);
  return `${sign}${significant}e${exponent}`;
}

const acceptAll: EventQueue = {
  enqueue: async (messages) => ({ queued: messages.map((_, i) => i), failed: [] }),
  ping: async () => {},
};

const ingest = (body: string) =>
  ingestEvents(
    {
      input: decodeIngestRequest({ contentType: "application/json", body }),
      tenantId: "t",
      correlationId: "c",
      receivedAt: "2026-12-06T00:00:00.000Z",
    },
    { queue: acceptAll },
  );

const elapsed = async <T>(f: () => T | Promise<T>) => {
  const started = performance.now();
  const value = await f();
  return { value, ms: performance.now() - started };
};

/** The shapes that made the old code slow, at n digits. */
const worstLiterals = (n: number) => [
  `1.${"0".repeat(n)}1`,
  `1${"0".repeat(n)}1`,
  `-0.${"0".repeat(n)}1`,
  `1${"0".repeat(n)}`,
  `0.${"0".repeat(n)}`,
  `1e${"0".repeat(n)}5`,
  `9${"9".repeat(n)}e-${"1".repeat(12)}`,
];

describe("normalizeDecimal", () => {
  it("gives the answers the regular-expression version gave", () => {
    const digits = fc.stringMatching(/^[0-9]{0,8}$/);
    const literal = fc
      .tuple(
        fc.constantFrom("", "-", "+"),
        digits,
        fc.option(digits),
        fc.option(fc.tuple(fc.constantFrom("e", "E", "x"), fc.constantFrom("", "+", "-"), digits)),
        fc.constantFrom("", "", " ", "a"),
      )
      .map(
        ([sign, int, frac, exp, tail]) =>
          `${sign}${int}${frac === null ? "" : `.${frac}`}${exp ? exp.join("") : ""}${tail}`,
      );
    fc.assert(
      fc.property(fc.oneof(literal, fc.string({ maxLength: 12 })), (l) => {
        expect(normalizeDecimal(l)).toBe(referenceNormalize(l));
      }),
      { numRuns: 5_000 },
    );
    for (const n of [0, -0, 0.1, 5e-324, 1.7976931348623157e308, 2 ** 53, 1e21, 123456.789]) {
      expect(normalizeDecimal(String(n))).toBe(referenceNormalize(String(n)));
    }
  });

  it("takes steps in proportion to the literal's length, whatever its digits", () => {
    for (const literal of worstLiterals(200_000)) {
      const steps = { count: 0 };
      normalizeDecimal(literal, steps);
      // Each character is looked at a bounded number of times (at most twice, plus slack).
      expect(steps.count, literal.slice(0, 12)).toBeLessThanOrEqual(3 * literal.length);
    }
    const small = { count: 0 };
    const large = { count: 0 };
    normalizeDecimal(`1.${"0".repeat(20_000)}1`, small);
    normalizeDecimal(`1.${"0".repeat(200_000)}1`, large);
    // Ten times the digits, ten times the steps (quadratic would be a hundred).
    expect(large.count / small.count).toBeLessThan(11);
  });

  it("an exponent of more than 15 digits equals no double's text", () => {
    expect(normalizeDecimal(`1e${"9".repeat(16)}`)).toBeUndefined();
    expect(normalizeDecimal(`1e-${"0".repeat(40)}5`)).toBe("1e-5");
    expect(normalizeDecimal(`0e${"9".repeat(400)}`)).toBe("0");
  });
});

describe("long number literals", () => {
  it(`a literal of more than ${MAX_NUMBER_LITERAL_CHARS} characters is refused as it is met, naming the field`, async () => {
    const digits = 200_000;
    const body = `{"type":"t","data":{"list":[1,{"n":1.${"0".repeat(digits - 2)}1}]}}`;
    // 200,000 digits took ~38 s before; the string body of the same size takes ~1 ms.
    const { value: answer, ms } = await elapsed(() => ingest(body));
    expect(ms).toBeLessThan(2_000);
    // Over 64 KB: the size answer comes first, as before.
    expect(answer).toMatchObject({ kind: "refused", reason: "payload_too_large" });

    const fits = `{"type":"t","data":{"list":[1,{"n":1.${"0".repeat(60_000 - 2)}1}]}}`;
    expect(await ingest(fits)).toEqual({
      kind: "refused",
      reason: "validation_failed",
      message: "The event is invalid",
      details: [
        {
          path: "data.list[1].n",
          message: `number 1.${"0".repeat(35)}... is 60001 characters long; the limit is ${MAX_NUMBER_LITERAL_CHARS} (DynamoDB keeps at most 38 significant digits); send it as a string`,
        },
      ],
    });
  });

  it("in a batch, only the event with the literal is rejected", async () => {
    const long = `-${"1".repeat(60_000)}e-5`;
    const body = `{"events":[{"type":"t","data":{}},{"type":"t","data":{"a":[${long}]}}]}`;
    const answer = await ingest(body);
    expect(answer.kind).toBe("batch");
    if (answer.kind !== "batch") return;
    expect(answer.outcomes.map((o) => o.status)).toEqual(["queued", "rejected"]);
    const rejected = answer.outcomes[1];
    expect(rejected?.status === "rejected" && rejected.errors).toEqual([
      { path: "events[1].data.a[0]", message: expect.stringMatching(/is 60004 characters long/) },
    ]);
  });

  it("in a binary-mode CloudEvent, the data's field is named", () => {
    const body = Buffer.from(`{"x":{"n":0.${"0".repeat(100_000)}}}`);
    const checked = checkBinaryCloudEvent({
      ceHeaders: { "ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t" },
      contentType: "application/json",
      body,
    });
    expect(checked).toMatchObject({
      ok: false,
      errors: [{ path: "data.x.n", message: expect.stringMatching(/characters long/) }],
    });
  });

  it("numbers DynamoDB stores pass in plain notation, and so do zeros of any exponent", async () => {
    const accepted = [
      `1${"0".repeat(125)}`,
      `-0.${"0".repeat(129)}1`,
      `999${"0".repeat(123)}.${"0".repeat(38)}`,
      `1.5${"0".repeat(MAX_NUMBER_LITERAL_CHARS - 3)}`,
      `0e${"9".repeat(200)}`,
      `1e${"0".repeat(200)}5`,
    ];
    for (const literal of accepted) {
      expect(literal.length).toBeLessThanOrEqual(MAX_NUMBER_LITERAL_CHARS);
      const answer = await ingest(`{"type":"t","data":{"n":${literal}}}`);
      expect(answer, literal).toMatchObject({ kind: "single", outcome: { status: "queued" } });
    }
    const over = `1.5${"0".repeat(MAX_NUMBER_LITERAL_CHARS - 2)}`;
    expect(await ingest(`{"type":"t","data":{"n":${over}}}`)).toMatchObject({
      kind: "refused",
      details: [{ path: "data.n", message: expect.stringMatching(/characters long/) }],
    });
  });

  it("the answers the old rules gave stay: more than 17 digits, beyond 2^53, out of range", () => {
    const cases: [string, RegExp][] = [
      ["12345678901234567890123456789012345678", /cannot be stored exactly/],
      ["9007199254740993", /cannot be stored exactly \(it would become 9007199254740992\)/],
      [`1e-${"9".repeat(20)}`, /cannot be stored exactly \(it would become 0\)/],
      ["1e400", /cannot be stored exactly; send it as a string/],
      ["1e126", /outside the storable range/],
    ];
    for (const [literal, message] of cases) {
      const parsed = parseJson(`{"n":${literal}}`);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) continue;
      expect(inspect(parsed.value, "data").errors).toEqual([
        { path: "data.n", message: expect.stringMatching(message) },
      ]);
    }
  });
});

describe("error answers stay small", () => {
  it("an event full of errors under a long key answers a few KB, not its errors times its key", async () => {
    const key = "k".repeat(30_000);
    const lone = Array(3_000).fill('"\\ud800"').join(",");
    const body = `{"type":"t","data":{"${key}":[${lone}]}}`;
    const { value: answer, ms } = await elapsed(() => ingest(body));
    expect(ms).toBeLessThan(2_000);
    expect(answer.kind).toBe("refused");
    const details = answer.kind === "refused" ? (answer.details ?? []) : [];
    expect(details).toHaveLength(MAX_FIELD_ERRORS + 1);
    for (const d of details) expect(d.path.length).toBeLessThanOrEqual(MAX_PATH_CHARS);
    expect(details[0]?.path).toMatch(/^data\.kkk.*\.\.\.kkk.*\[0\]$/);
    expect(details.at(-1)).toEqual({
      path: "",
      message: `has more errors, not listed: at most ${MAX_FIELD_ERRORS} are reported`,
    });
    expect(JSON.stringify(answer).length).toBeLessThan(5_000);
  });

  it("a batch of such events answers in proportion to its size", async () => {
    const event = `{"type":"t","data":{"${"k".repeat(20_000)}":[${Array(2_000).fill('"\\ud800"').join(",")}]}}`;
    const body = `{"events":[${Array(20).fill(event).join(",")}]}`;
    const answer = await ingest(body);
    // Was over 512 MB: past V8's longest string, so JSON.stringify threw.
    expect(JSON.stringify(answer).length).toBeLessThan(body.length / 4);
  });

  it("unknown members of a batch envelope are listed up to the limit", async () => {
    const extra = Array.from({ length: 50_000 }, (_, i) => `"k${i}":1`).join(",");
    const answer = await ingest(`{"events":[{"type":"t","data":{}}],${extra}}`);
    expect(answer).toMatchObject({ kind: "refused", reason: "validation_failed" });
    expect(answer.kind === "refused" && answer.details).toHaveLength(MAX_FIELD_ERRORS + 1);
  });

  it("limitErrors keeps short lists as they are", () => {
    const errors = [{ path: "a", message: "m" }];
    expect(limitErrors(errors)).toEqual(errors);
  });
});

describe("route matching", () => {
  it("drops trailing slashes as /(.)\\/+$/ did", () => {
    for (const path of ["", "/", "//", "///", "/v1/events/", "/v1/events//", "/a/b", "x/"]) {
      expect(withoutTrailingSlashes(path), path).toBe(path.replace(/(.)\/+$/, "$1"));
    }
  });

  it("a path of 100,000 slashes is answered at once (the regex took ~8 s)", async () => {
    const event = apiEvent({ path: `${"/".repeat(100_000)}x` });
    event.resource = "";
    const { value, ms } = await elapsed(() =>
      matchRoute(event, [{ method: "GET", path: "/v1/events/{id}" }]),
    );
    expect(value).toEqual({ kind: "not_found" });
    expect(ms).toBeLessThan(1_000);
  });
});

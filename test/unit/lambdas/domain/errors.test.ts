import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { DuplicateCheckRaceError } from "../../../../lambdas/adapters/dynamodb-event-writer.js";
import {
  asError,
  classify,
  describeError,
  MalformedMessageError,
  PermanentError,
  transientCause,
} from "../../../../lambdas/domain/errors.js";

/** An SDK service error as the v3 clients throw it (name + $metadata). */
const serviceError = (name: string, httpStatusCode: number) =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $fault: httpStatusCode >= 500 ? "server" : "client",
    $metadata: { httpStatusCode },
  });

/** A socket error as node throws it (the SDK rethrows it as is). */
const networkError = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

describe("classify", () => {
  it("a failed conditional write is a duplicate", () => {
    const error = new ConditionalCheckFailedException({
      message: "The conditional request failed",
      $metadata: { httpStatusCode: 400 },
    });
    expect(classify(error)).toBe("duplicate");
    expect(classify(serviceError("ConditionalCheckFailedException", 400))).toBe("duplicate");
  });

  it("zod errors are permanent", () => {
    const result = z.object({ a: z.string() }).safeParse({ a: 1 });
    expect(result.success).toBe(false);
    expect(classify(result.error)).toBe("permanent");
    expect(() => z.number().parse("x")).toThrow();
    try {
      z.number().parse("x");
    } catch (error) {
      expect(classify(error)).toBe("permanent");
    }
  });

  it("message errors are permanent", () => {
    expect(classify(new MalformedMessageError("body is not JSON"))).toBe("permanent");
    expect(classify(new PermanentError("never"))).toBe("permanent");
  });

  it.each([
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
  ])("throttling %s is transient", (name) => {
    const error = serviceError(name, 400);
    expect(classify(error)).toBe("transient");
    expect(transientCause(error)).toBe("throttling");
  });

  it.each(["InternalServerError", "ServiceUnavailable"])(
    "service error %s is transient",
    (name) => {
      const error = serviceError(name, 500);
      expect(classify(error)).toBe("transient");
      expect(transientCause(error)).toBe("service");
    },
  );

  it("any 5xx is a transient service error, whatever its name", () => {
    const error = serviceError("SomethingNew", 503);
    expect(classify(error)).toBe("transient");
    expect(transientCause(error)).toBe("service");
  });

  it.each(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT"])("network error %s is transient", (code) => {
    const error = networkError(code);
    expect(classify(error)).toBe("transient");
    expect(transientCause(error)).toBe("network");
  });

  it.each(["TimeoutError", "AbortError"])("%s is a transient network error", (name) => {
    const error = Object.assign(new Error("timed out"), { name });
    expect(classify(error)).toBe("transient");
    expect(transientCause(error)).toBe("network");
  });

  it("finds a network cause wrapped in another error", () => {
    const error = new Error("request failed", { cause: networkError("ECONNRESET") });
    expect(transientCause(error)).toBe("network");
  });

  it("unknown errors are transient (retried, then the DLQ), never dropped", () => {
    expect(classify(new Error("what is this"))).toBe("transient");
    expect(classify(new TypeError("x is undefined"))).toBe("transient");
    expect(classify("a string")).toBe("transient");
    expect(classify(undefined)).toBe("transient");
    expect(classify(serviceError("ResourceNotFoundException", 400))).toBe("transient");
    expect(classify(serviceError("AccessDeniedException", 400))).toBe("transient");
    expect(transientCause(new Error("what is this"))).toBe("unknown");
  });

  it("the local poison-type fault (DynamoDB's 500 InternalServerError) is transient", () => {
    const error = serviceError("InternalServerError", 500);
    expect(classify(error)).toBe("transient");
    expect(transientCause(error)).toBe("service");
  });

  it.each(["RequestTimeout", "RequestTimeoutException"])("timeout %s is transient", (name) => {
    const error = serviceError(name, 408);
    expect(classify(error)).toBe("transient");
    expect(transientCause(error)).toBe("service");
  });

  it("a duplicate check that lost its race (the item vanished) is retried, not taken as a duplicate", () => {
    expect(classify(new DuplicateCheckRaceError("existed, then vanished"))).toBe("transient");
  });

  it("only a failed condition is a duplicate, only message errors are permanent: anything else is retried", () => {
    const named = fc.oneof(
      fc.string(),
      fc.constantFrom("ValidationException", "SerializationException", "Error", "ZodErrorX"),
    );
    const anything = fc.oneof(
      named.map((name) => Object.assign(new Error("x"), { name })),
      named.map((name) => ({ name })),
      fc.anything(),
    );
    fc.assert(
      fc.property(anything, (error) => {
        const name = (error as { name?: unknown } | null)?.name;
        const expected =
          name === "ConditionalCheckFailedException"
            ? "duplicate"
            : name === "ZodError" || name === "$ZodError"
              ? "permanent"
              : "transient";
        expect(classify(error)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe("asError", () => {
  it("keeps errors, wraps anything else so the batch processor can list it", () => {
    const error = new TypeError("x");
    expect(asError(error)).toBe(error);
    for (const value of [undefined, null, "text", 0, {}]) {
      const wrapped = asError(value);
      expect(wrapped).toBeInstanceOf(Error);
      expect(wrapped.cause).toBe(value);
      expect(typeof wrapped.message).toBe("string");
    }
  });
});

describe("describeError", () => {
  it("names the error without a stack and bounds its length", () => {
    const text = describeError(new TypeError("x".repeat(1000)));
    expect(text.startsWith("TypeError: xxx")).toBe(true);
    expect(text).not.toContain("at ");
    expect(text.length).toBeLessThanOrEqual(500);
  });
});

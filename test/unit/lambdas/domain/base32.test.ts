/** The ids' base32 (RFC 4648's alphabet, lower case, no padding) and the ids made with it. */
import { describe, expect, it } from "vitest";
import { base32 } from "../../../../lambdas/domain/base32.js";
import {
  DESTINATION_ID_PATTERN,
  newDestinationId,
} from "../../../../lambdas/domain/destination.js";

describe("base32", () => {
  it("encodes RFC 4648's test vectors (lower case, unpadded)", () => {
    const vectors: [string, string][] = [
      ["", ""],
      ["f", "my"],
      ["fo", "mzxq"],
      ["foo", "mzxw6"],
      ["foob", "mzxw6yq"],
      ["fooba", "mzxw6ytb"],
      ["foobar", "mzxw6ytboi"],
    ];
    for (const [text, encoded] of vectors) expect(base32(Buffer.from(text))).toBe(encoded);
  });

  it("makes destination ids of the documented shape, all different", () => {
    const ids = Array.from({ length: 200 }, () => newDestinationId());
    for (const id of ids) expect(id).toMatch(DESTINATION_ID_PATTERN);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

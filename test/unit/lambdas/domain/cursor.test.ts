/**
 * Cursor encoding: round trip, and each way a cursor is refused.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decodeCursor,
  encodeCursor,
  InvalidCursorError,
  type LanePosition,
} from "../../../../lambdas/domain/cursor.js";

const KEY = "this-deployment-cursor-key-0123456789";
const OTHER_DEPLOYMENT = "another-deployment-cursor-key-987654321";

const lanes: LanePosition[] = [
  { kind: "start" },
  { kind: "after", key: "2026-11-20T10:00:00.000Z#evt-1" },
  { kind: "done" },
];

describe("cursor", () => {
  it("round-trips lane positions for the same query", () => {
    const cursor = encodeCursor("scope-a", lanes, KEY);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(decodeCursor(cursor, "scope-a", 3, KEY)).toEqual(lanes);
  });

  it("refuses another query, another lane count, a bad tag, or a bad payload", () => {
    const cursor = encodeCursor("scope-a", lanes, KEY);
    const refused = (c: string, scope = "scope-a", n = 3, key = KEY) =>
      expect(() => decodeCursor(c, scope, n, key)).toThrow(InvalidCursorError);
    refused(cursor, "scope-b");
    refused(cursor, "scope-a", 4);
    // Made by another deployment (or forged without this one's key).
    refused(cursor, "scope-a", 3, OTHER_DEPLOYMENT);
    refused(`${cursor.split(".")[0]}.${"A".repeat(22)}`);
    refused("");
    refused("a.b.c");
    refused("x".repeat(5000));
    // Correctly tagged, but not a cursor payload.
    for (const text of [
      "not json",
      JSON.stringify({ v: 2, q: "x", p: [] }),
      JSON.stringify({ v: 1, q: "x", p: [7] }),
    ]) {
      const payload = Buffer.from(text).toString("base64url");
      const tag = createHmac("sha256", KEY).update(payload).digest("base64url").slice(0, 22);
      refused(`${payload}.${tag}`, "scope-a", 1);
    }
  });

  it("is signed with the deployment's key: the key published in earlier versions forges nothing", () => {
    // Before this change every deployment signed with the constant "eventflow-cursor-v1".
    const forged = encodeCursor("scope-a", lanes, "eventflow-cursor-v1".padEnd(32, "x"));
    expect(() => decodeCursor(forged, "scope-a", 3, KEY)).toThrow(InvalidCursorError);
    expect(() => encodeCursor("scope-a", lanes, "short")).toThrow(/at least 32 characters/);
  });
});

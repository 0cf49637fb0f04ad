/**
 * The event pattern matcher against EventBridge's documented examples. Sources:
 * [CF]  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 * [OPS] https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 * [EP]  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * [ER]  https://github.com/aws/event-ruler README (the engine behind EventBridge): arrays,
 *       exists on leaves only, wildcard escapes, $or.
 */
import { describe, expect, it } from "vitest";
import {
  compileEventPattern,
  EventPatternError,
  matchesEventPattern,
  PATTERN_LIMITS,
} from "../../../../lambdas/domain/event-pattern.js";

type Case = [name: string, pattern: object, event: object, matches: boolean];

const ec2Event = {
  source: "aws.ec2",
  "detail-type": "EC2 Instance State-change Notification",
  resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", state: "terminated" },
};

const CASES: Case[] = [
  // [EP] "Matching values": a leaf array is OR; fields are AND.
  ["[EP] exact source", { source: ["aws.ec2"] }, ec2Event, true],
  ["[EP] one of several values", { detail: { state: ["stopped", "terminated"] } }, ec2Event, true],
  ["[EP] no value matches", { detail: { state: ["pending"] } }, ec2Event, false],
  [
    "[EP] all fields must match",
    { source: ["aws.ec2"], detail: { state: ["pending"] } },
    ec2Event,
    false,
  ],
  // [EP] arrays: the event's array matches if it intersects the pattern's.
  [
    "[EP] array intersection",
    { resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0", "x"] },
    ec2Event,
    true,
  ],
  ["[EP] array without intersection", { resources: ["x"] }, ec2Event, false],
  ["[EP] a missing field never matches a value", { detail: { missing: ["x"] } }, ec2Event, false],
  // [CF] "Null values and empty strings".
  ["[CF] null matches null", { responseElements: [null] }, { responseElements: null }, true],
  ["[CF] null does not match missing", { responseElements: [null] }, {}, false],
  ["[CF] empty string", { eventVersion: [""] }, { eventVersion: "" }, true],
  ["[CF] empty string is not null", { eventVersion: [""] }, { eventVersion: null }, false],
  // Numbers are numbers: 300 = 3.0e2, never "300".
  ["numbers compare by value", { n: [300] }, { n: 3.0e2 }, true],
  ["a number is not a string", { n: [300] }, { n: "300" }, false],
  ["booleans", { b: [true] }, { b: true }, true],
  ["booleans are not strings", { b: ["true"] }, { b: true }, false],
  // [CF] "Prefix matching" and its equals-ignore-case form.
  ["[CF] prefix", { time: [{ prefix: "2017-10-02" }] }, { time: "2017-10-02T18:43:48Z" }, true],
  [
    "[CF] prefix miss",
    { time: [{ prefix: "2017-10-02" }] },
    { time: "2017-10-03T00:00:00Z" },
    false,
  ],
  ["prefix only matches strings", { n: [{ prefix: "1" }] }, { n: 123 }, false],
  [
    "[CF] prefix equals-ignore-case",
    { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } },
    { detail: { service: "eventbridge" } },
    true,
  ],
  // [CF] "Suffix matching".
  ["[CF] suffix", { FileName: [{ suffix: ".png" }] }, { FileName: "image.png" }, true],
  [
    "[CF] suffix is case sensitive",
    { FileName: [{ suffix: ".png" }] },
    { FileName: "a.PNG" },
    false,
  ],
  [
    "[CF] suffix equals-ignore-case",
    { detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } },
    { detail: { FileName: "image.PNG" } },
    true,
  ],
  // [CF] "Anything-but matching".
  [
    "[CF] anything-but string",
    { detail: { state: [{ "anything-but": "initializing" }] } },
    { detail: { state: "running" } },
    true,
  ],
  [
    "[CF] anything-but string excluded",
    { detail: { state: [{ "anything-but": "initializing" }] } },
    { detail: { state: "initializing" } },
    false,
  ],
  [
    "[CF] anything-but number",
    { detail: { "x-limit": [{ "anything-but": 123 }] } },
    { detail: { "x-limit": 124 } },
    true,
  ],
  [
    "[CF] anything-but string list",
    { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } },
    { detail: { state: "overloaded" } },
    false,
  ],
  [
    "[CF] anything-but number list",
    { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
    { detail: { "x-limit": 150 } },
    true,
  ],
  [
    "[CF] anything-but prefix",
    { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
    { detail: { state: "initializing" } },
    false,
  ],
  [
    "[CF] anything-but suffix",
    { detail: { FileName: [{ "anything-but": { suffix: ".txt" } }] } },
    { detail: { FileName: "notes.md" } },
    true,
  ],
  [
    "[CF] anything-but equals-ignore-case list",
    {
      detail: { state: [{ "anything-but": { "equals-ignore-case": ["Stopped", "OverLoaded"] } }] },
    },
    { detail: { state: "STOPPED" } },
    false,
  ],
  [
    "[OPS] anything-but wildcard",
    { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] },
    { FilePath: "/usr/lib/x.so" },
    false,
  ],
  [
    "[OPS] anything-but wildcard, other path",
    { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] },
    { FilePath: "/usr/bin/x" },
    true,
  ],
  ["anything-but never matches a missing field", { s: [{ "anything-but": "a" }] }, {}, false],
  // [CF] "Numeric matching".
  [
    "[CF] numeric range",
    { detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } },
    { detail: { "c-count": 5 } },
    true,
  ],
  [
    "[CF] numeric range, outside",
    { detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } },
    { detail: { "c-count": 0 } },
    false,
  ],
  ["[CF] numeric <", { d: [{ numeric: ["<", 10] }] }, { d: 9.5 }, true],
  ["[CF] numeric =", { x: [{ numeric: ["=", 3.018e2] }] }, { x: 301.8 }, true],
  ["numeric only matches numbers", { x: [{ numeric: ["=", 5] }] }, { x: "5" }, false],
  // [CF] "IP address matching".
  [
    "[CF] cidr",
    { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
    { detail: { sourceIPAddress: "10.0.0.255" } },
    true,
  ],
  [
    "[CF] cidr outside",
    { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
    { detail: { sourceIPAddress: "10.0.1.1" } },
    false,
  ],
  ["[ER] cidr IPv6", { ip: [{ cidr: "2001:db8::/32" }] }, { ip: "2001:db8:1::7" }, true],
  ["[ER] cidr IPv6 outside", { ip: [{ cidr: "2001:db8::/32" }] }, { ip: "2001:db9::1" }, false],
  ["cidr: one address is a /32", { ip: [{ cidr: "10.0.0.5" }] }, { ip: "10.0.0.5" }, true],
  ["cidr: one address, another", { ip: [{ cidr: "10.0.0.5" }] }, { ip: "10.0.0.6" }, false],
  ["cidr: /0 holds every IPv4", { ip: [{ cidr: "0.0.0.0/0" }] }, { ip: "203.0.113.9" }, true],
  [
    "cidr: mapped IPv6 is not IPv4",
    { ip: [{ cidr: "10.0.0.0/8" }] },
    { ip: "::ffff:10.0.0.1" },
    false,
  ],
  ["cidr: IPv4 is not in an IPv6 block", { ip: [{ cidr: "::/0" }] }, { ip: "10.0.0.1" }, false],
  ["cidr: not an address", { ip: [{ cidr: "10.0.0.0/8" }] }, { ip: "10.0.0.256" }, false],
  ["cidr: a number is not an address", { ip: [{ cidr: "10.0.0.0/8" }] }, { ip: 10 }, false],
  // [CF] "Exists matching" ([ER]: leaves only).
  ["[CF] exists true", { detail: { state: [{ exists: true }] } }, { detail: { state: "x" } }, true],
  ["[CF] exists true, missing", { detail: { state: [{ exists: true }] } }, { detail: {} }, false],
  ["[CF] exists false, missing", { detail: { state: [{ exists: false }] } }, { detail: {} }, true],
  [
    "[CF] exists false, present",
    { detail: { state: [{ exists: false }] } },
    { detail: { state: "x" } },
    false,
  ],
  [
    "[ER] exists false matches a non-leaf",
    { detail: { "c-count": [{ exists: false }] } },
    { detail: { "c-count": { c1: 100 } } },
    true,
  ],
  ["exists true on null (a leaf)", { v: [{ exists: true }] }, { v: null }, true],
  // [CF] "Equals-ignore-case matching".
  [
    "[CF] equals-ignore-case",
    { "detail-type": [{ "equals-ignore-case": "ec2 instance state-change notification" }] },
    ec2Event,
    true,
  ],
  // [CF] "Wildcard matching".
  [
    "[CF] wildcard",
    { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] },
    { EventBusArn: "arn:aws:events:us-east-1:123456789012:event-bus/default" },
    true,
  ],
  [
    "[CF] wildcard miss",
    { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] },
    { EventBusArn: "arn:aws:events:eu-west-1:123456789012:event-bus/default" },
    false,
  ],
  [
    "[ER] wildcard Simple*Service",
    { s: [{ wildcard: "Simple*Service" }] },
    { s: "SimpleQueueService" },
    true,
  ],
  ["wildcard without star is exact", { s: [{ wildcard: "abc" }] }, { s: "abcd" }, false],
  ["wildcard needs room for each segment", { s: [{ wildcard: "ab*ba" }] }, { s: "aba" }, false],
  ["wildcard middle segments in order", { s: [{ wildcard: "*b*a*" }] }, { s: "xaxb" }, false],
  ["[ER] escaped star is a star", { s: [{ wildcard: "a\\*b" }] }, { s: "a*b" }, true],
  ["[ER] escaped star is not a wildcard", { s: [{ wildcard: "a\\*b" }] }, { s: "axb" }, false],
  ["[ER] escaped backslash", { s: [{ wildcard: "a\\\\*" }] }, { s: "a\\zz" }, true],
  // [CF] "Complex example with multiple matching" and [ER] "$or".
  [
    "[ER] $or: source && (metricName || namespace)",
    {
      source: ["aws.cloudwatch"],
      $or: [
        { metricName: ["CPUUtilization", "ReadLatency"] },
        { namespace: ["AWS/EC2", "AWS/ES"] },
      ],
    },
    { source: "aws.cloudwatch", namespace: "AWS/ES" },
    true,
  ],
  [
    "[ER] $or: no alternative",
    {
      source: ["aws.cloudwatch"],
      $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }],
    },
    { source: "aws.cloudwatch", namespace: "AWS/ES" },
    false,
  ],
  [
    "[ER] nested $or",
    {
      detail: {
        $or: [
          { "c-count": [{ numeric: [">", 0, "<=", 5] }] },
          { "d-count": [{ numeric: ["<", 10] }] },
        ],
      },
    },
    { detail: { "d-count": 3 } },
    true,
  ],
  // [ER] "JSON Array Matching": arrays of objects, consistent within one element.
  [
    "[ER] array of objects",
    { employees: { firstName: ["Anna"] } },
    { employees: [{ firstName: "John" }, { firstName: "Anna" }] },
    true,
  ],
  [
    "[ER] array consistency: fields from different elements do not combine",
    { employees: { firstName: ["John"], lastName: ["Smith"] } },
    {
      employees: [
        { firstName: "John", lastName: "Doe" },
        { firstName: "Anna", lastName: "Smith" },
      ],
    },
    false,
  ],
  [
    "[ER] nested arrays are crushed",
    { employees: { firstName: ["Peter"] } },
    { employees: [[{ firstName: "John" }], [{ firstName: "Peter" }]] },
    true,
  ],
  ["leaf arrays nest", { tags: ["b"] }, { tags: [["a"], ["b"]] }, true],
  ["empty array is not a value", { tags: [{ exists: true }] }, { tags: [] }, false],
  [
    "a whole EventFlow event",
    { type: ["purchase"], data: { amount: [{ numeric: [">", 1000] }] } },
    { type: "purchase", data: { amount: 1250 } },
    true,
  ],
  ["the empty root pattern matches every event", {}, { type: "x" }, true],
];

describe("matchesEventPattern: EventBridge's documented examples", () => {
  it.each(CASES)("%s", (_, pattern, event, expected) => {
    expect(matchesEventPattern(compileEventPattern(pattern), event)).toBe(expected);
  });
});

const errorOf = (pattern: unknown) => {
  try {
    compileEventPattern(pattern);
  } catch (error) {
    if (error instanceof EventPatternError) return { path: error.path, message: error.message };
    throw error;
  }
  return undefined;
};

describe("compileEventPattern: errors name the JSON path of the bad part", () => {
  it.each<[string, unknown, string]>([
    ["not an object", ["x"], ""],
    ["a bare value", { source: "aws.ec2" }, "source"],
    ["an empty list", { detail: { state: [] } }, "detail.state"],
    [
      "an unknown matcher",
      { data: { amount: [1, { between: [1, 2] }] } },
      "data.amount[1].between",
    ],
    ["a matcher with two keys", { s: [{ prefix: "a", suffix: "b" }] }, "s[0]"],
    ["a numeric operator", { n: [{ numeric: [">>", 1] }] }, "n[0].numeric[0]"],
    ["a numeric operand", { n: [{ numeric: [">", "1"] }] }, "n[0].numeric[1]"],
    ["= combined", { n: [{ numeric: ["=", 1, "<", 2] }] }, "n[0].numeric[0]"],
    ["two lower bounds", { n: [{ numeric: [">", 1, ">=", 2] }] }, "n[0].numeric[2]"],
    ["exists not boolean", { n: [{ exists: "yes" }] }, "n[0].exists"],
    ["mixed anything-but list", { n: [{ "anything-but": ["a", 1] }] }, "n[0].anything-but"],
    [
      "anything-but unknown form",
      { n: [{ "anything-but": { numeric: [">", 1] } }] },
      "n[0].anything-but",
    ],
    ["consecutive stars", { s: [{ wildcard: "a**b" }] }, "s[0].wildcard"],
    ["a bad escape", { s: [{ wildcard: "a\\b" }] }, "s[0].wildcard"],
    ["a bad cidr", { ip: [{ cidr: "10.0.0.0/33" }] }, "ip[0].cidr"],
    ["a cidr that is no address", { ip: [{ cidr: "10.0.0/8" }] }, "ip[0].cidr"],
    ["an IPv6 prefix over 128", { ip: [{ cidr: "2001:db8::/129" }] }, "ip[0].cidr"],
    ["a $or of one", { $or: [{ a: ["x"] }] }, "$or"],
    ["a bad $or alternative", { $or: [{ a: ["x"] }, { b: "y" }] }, "$or[1].b"],
    ["an object value", { a: [{}] }, "a[0]"],
    ["a nested empty object", { a: {} }, "a"],
    ["an odd key", { "my key": { x: 1 } }, '["my key"].x'],
  ])("%s", (_, pattern, path) => {
    const error = errorOf(pattern);
    expect(error?.path).toBe(path);
    if (path) expect(error?.message.startsWith(`${path}: `)).toBe(true);
  });

  it("bounds depth, size and the number of values", () => {
    let deep: Record<string, unknown> = { x: ["v"] };
    for (let i = 0; i < PATTERN_LIMITS.maxDepth; i++) deep = { a: deep };
    expect(errorOf(deep)?.message).toMatch(/deeper than/);
    const many = { x: Array.from({ length: PATTERN_LIMITS.maxValues + 1 }, (_, i) => i) };
    expect(errorOf(many)?.message).toMatch(/more than 500 values/);
    const big = { x: ["a".repeat(PATTERN_LIMITS.maxBytes)] };
    expect(errorOf(big)?.message).toMatch(/bytes; the limit is/);
  });
});

describe("matching cost is linear in the event", () => {
  it("a wildcard that would make a backtracking matcher quadratic stays linear", () => {
    const compiled = compileEventPattern({ s: [{ wildcard: "*a*a*a*a*a*a*a*a*a*b" }] });
    const text = "a".repeat(200_000);
    // A backtracking matcher needs ~n^9 steps here and never finishes; this one scans once.
    expect(matchesEventPattern(compiled, { s: text })).toBe(false);
    expect(matchesEventPattern(compiled, { s: `${text}b` })).toBe(true);
  });
});

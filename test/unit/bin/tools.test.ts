/**
 * The tools' shared module (bin/tools) and the contracts it reads: one duration parser
 * for the API and the tools, the outputs file of a deployed stack, and the local runtime's
 * runtime.json, whose shape local/ writes and bin/ reads.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { printTable } from "../../../bin/tools/cli-io.js";
import { durationSecondsOption, relativeToInstant } from "../../../bin/tools/durations.js";
import { readRuntimeInfo } from "../../../bin/tools/local-runtime.js";
import { readStackOutputs, stackRegion } from "../../../bin/tools/stack-outputs.js";
import { UsageError } from "../../../bin/tools/usage-error.js";
import { parseDurationMs } from "../../../lambdas/domain/duration.js";
import { parseInstant } from "../../../lambdas/domain/replay.js";
import { LOCAL_RUNTIME } from "../../../lib/contracts/local-runtime.js";
import { STACK_OUTPUT } from "../../../lib/contracts/stack-outputs.js";
import { writeRuntimeInfo } from "../../../local/keys.js";

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe("durations: one parser for the API and the tools", () => {
  const now = new Date("2026-12-06T12:00:00.000Z");

  it("reads 1-6 digits and one of s m h d w, nothing else", () => {
    expect(["90s", "15m", "1h", "7d", "2w"].map(parseDurationMs)).toEqual([
      90_000, 900_000, 3_600_000, 604_800_000, 1_209_600_000,
    ]);
    for (const bad of ["", "1", "h", "1.5h", "-1h", "1H", "1234567s", " 1h", "1h "]) {
      expect(parseDurationMs(bad), bad).toBeUndefined();
    }
  });

  it("the API's since/until and the tools' --since agree", () => {
    for (const value of ["30m", "1h", "7d"]) {
      expect(relativeToInstant(value, now)).toBe(parseInstant(value, now));
    }
    expect(relativeToInstant("2026-01-01T00:00:00Z", now)).toBeUndefined();
  });

  it("--grace: 0 or a duration, in seconds; anything else a UsageError naming the flag", () => {
    expect(durationSecondsOption("--grace", "0")).toBe(0);
    expect(durationSecondsOption("--grace", "24h")).toBe(86_400);
    expect(() => durationSecondsOption("--grace", "soon")).toThrow(UsageError);
    expect(() => durationSecondsOption("--grace", "soon")).toThrow(/^--grace must be 0 or/);
  });
});

describe("stack outputs", () => {
  const stack = {
    ApiUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
    KeysTableName: "keys",
    UsagePlanId: "up1",
    Odd: 1,
  };
  const read = (doc: unknown, stackName?: string) =>
    readStackOutputs(
      "out.json",
      () => JSON.stringify(doc),
      [STACK_OUTPUT.keysTableName],
      stackName,
    );

  it("picks the only stack with the marker outputs, or the one named", () => {
    const outputs = read({ CDKToolkit: { BucketName: "b" }, EventFlow: stack });
    expect(outputs.stackName).toBe("EventFlow");
    expect(outputs.get(STACK_OUTPUT.usagePlanId)).toBe("up1");
    expect(outputs.find(STACK_OUTPUT.restApiId)).toBeUndefined();
    expect(read({ A: stack, B: stack }, "B").stackName).toBe("B");
    expect(stackRegion(outputs, {})).toBe("eu-west-1");
    expect(stackRegion(outputs, { AWS_REGION: "us-west-2" })).toBe("us-west-2");
  });

  it("says what is wrong with the file, as a UsageError", () => {
    expect(() => read({ A: stack, B: stack })).toThrow(/holds A, B: pick one with --stack/);
    expect(() => read({ Old: { ApiUrl: stack.ApiUrl } })).toThrow(/no stack with a KeysTableName/);
    expect(() => read({ E: { KeysTableName: "t" } }).get(STACK_OUTPUT.usagePlanId)).toThrow(
      /E has no UsagePlanId output/,
    );
    expect(() =>
      readStackOutputs("gone.json", () => {
        throw new Error("ENOENT");
      }, [STACK_OUTPUT.apiUrl]),
    ).toThrow(UsageError);
  });
});

describe("the local runtime's runtime.json: written by local/, read by bin/", () => {
  it("reads what the runtime writes, and nothing malformed", () => {
    const dir = mkdtempSync(join(tmpdir(), "eventflow-tools-"));
    temps.push(dir);
    const fs = (path: string) => readFileSync(path, "utf8");
    expect(readRuntimeInfo(dir, fs)).toBeUndefined();
    const info = {
      pid: 4242,
      url: "http://localhost:3000",
      region: "us-east-1",
      dynamodbEndpoint: "http://127.0.0.1:1234",
      keysTableName: LOCAL_RUNTIME.keysTableName,
      startedAt: "2026-12-06T12:00:00.000Z",
    };
    const remove = writeRuntimeInfo(dir, info);
    expect(readRuntimeInfo(dir, fs)).toEqual(info);
    expect(readFileSync(join(dir, LOCAL_RUNTIME.runtimeInfoFile), "utf8")).toContain('"pid": 4242');
    remove();
    expect(readRuntimeInfo(dir, fs)).toBeUndefined();
    expect(readRuntimeInfo(dir, () => '{"pid":"x"}')).toBeUndefined();
    expect(readRuntimeInfo(dir, () => "not json")).toBeUndefined();
  });
});

describe("printTable", () => {
  it("pads every column but the last to its widest cell, and clips long cells when asked", () => {
    const lines: string[] = [];
    printTable(
      (line) => lines.push(line),
      ["ID", "TYPE", "REASON"],
      [
        ["e1", "purchase", "amount must be positive"],
        ["event-22", "x", ""],
      ],
    );
    expect(lines).toEqual([
      "ID        TYPE      REASON",
      "e1        purchase  amount must be positive",
      "event-22  x",
    ]);
    const clipped: string[] = [];
    printTable((line) => clipped.push(line), ["A", "B"], [["abcdefghij", "0123456789"]], {
      clip: 6,
    });
    expect(clipped).toEqual(["A       B", "abc...  012..."]);
  });
});

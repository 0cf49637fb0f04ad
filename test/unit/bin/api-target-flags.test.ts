/**
 * The four API-calling CLIs take the same target flags (bin/tools/api-target.ts
 * API_TARGET_OPTIONS): a `cdk deploy --outputs-file` holding two stacks is refused without
 * --stack, and --stack picks that stack's ApiUrl, for each of them.
 */
import { describe, expect, it } from "vitest";
import { main as destinations } from "../../../bin/destinations.js";
import { main as history } from "../../../bin/history.js";
import { main as rules } from "../../../bin/rules.js";
import { main as windows } from "../../../bin/windows.js";
import { fakeCliIo } from "../../support/cli-io.js";

const OUTPUTS = JSON.stringify({
  EventFlowA: { ApiUrl: "https://a.example/prod/" },
  EventFlowB: { ApiUrl: "https://b.example/prod/" },
});

const CLIS: [string, (argv: string[], io: never) => Promise<number>, string[]][] = [
  ["rules", rules as never, ["list"]],
  ["windows", windows as never, ["list"]],
  ["destinations", destinations as never, ["list"]],
  ["history", history as never, ["cancel", "job_1"]],
];

describe.each(CLIS)("npm run %s: --stack-outputs and --stack", (_name, main, verb) => {
  const target = () => {
    const t = fakeCliIo([{ status: 200, body: {} }], { "out.json": OUTPUTS });
    return { ...t, io: { ...t.io, sleep: async () => {} } as never };
  };

  it("calls the named stack's ApiUrl", async () => {
    const t = target();
    await main([...verb, "--stack-outputs", "out.json", "--stack", "EventFlowB"], t.io);
    expect(t.calls[0]?.url).toMatch(/^https:\/\/b\.example\/prod\/v1\//);
    expect(t.calls[0]?.auth).toBe("Bearer efk_x_y");
  });

  it("refuses a file with two stacks without --stack, naming them, and calls nothing", async () => {
    const t = target();
    expect(await main([...verb, "--stack-outputs", "out.json"], t.io)).toBe(2);
    expect(t.calls).toEqual([]);
    expect(t.err.join("\n")).toContain("EventFlowA, EventFlowB: pick one with --stack");
  });
});

import { describe, expect, it } from "vitest";
import { groupDelta, parseStat } from "../../../../load-testing/bench/pipeline.js";

// A /proc/<pid>/task/<tid>/stat line: utime is field 14 and stime field 15 (proc(5)).
const line = (tid: number, name: string, utime: number, stime: number) =>
  `${tid} (${name}) S 1 2 3 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 20 0 12 0 500 0 0`;

describe("pipeline bench: CPU per thread from /proc", () => {
  it("reads the name and utime + stime, also when the name holds spaces and parentheses", () => {
    expect(parseStat(line(7, "node", 120, 30))).toEqual({ name: "node", ticks: 150 });
    expect(parseStat(line(8, "V8 Worker (x)", 5, 1))).toEqual({ name: "V8 Worker (x)", ticks: 6 });
  });

  it("refuses a line it cannot read rather than counting nothing", () => {
    expect(() => parseStat("garbage")).toThrow(/unreadable/);
  });

  it("groups the deltas: the main thread, worker threads, and everything else", () => {
    const snapshot = (entries: [number, string, number][]) =>
      new Map(entries.map(([tid, name, ticks]) => [tid, { name, ticks }]));
    const before = snapshot([
      [100, "node", 1000],
      [101, "WorkerThread", 400],
      [102, "V8Worker", 50],
    ]);
    const after = snapshot([
      [100, "node", 1300],
      [101, "WorkerThread", 550],
      [102, "V8Worker", 80],
      // Started during the round: all of its ticks count.
      [103, "libuv-worker", 5],
    ]);
    expect(groupDelta(100, before, after)).toEqual({ main: 300, workers: 150, helpers: 35 });
  });
});

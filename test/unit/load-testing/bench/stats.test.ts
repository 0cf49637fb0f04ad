import { describe, expect, it } from "vitest";
import { mean, median, percentile, summarize } from "../../../../load-testing/bench/stats.js";

describe("bench stats", () => {
  it("interpolates between the closest ranks (R-7)", () => {
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(median([3, 1, 2])).toBe(2);
    expect(percentile([10, 20, 30, 40, 50], 25)).toBe(20);
    expect(percentile([10, 20], 90)).toBeCloseTo(19, 10);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
  });

  it("does not reorder its input", () => {
    const values = [5, 1, 4];
    median(values);
    expect(values).toEqual([5, 1, 4]);
  });

  it("answers NaN for no samples and refuses a percentile outside 0-100", () => {
    expect(median([])).toBeNaN();
    expect(mean([])).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });

  it("summarizes a sample", () => {
    const s = summarize([4, 1, 3, 2, 5]);
    expect(s).toMatchObject({ n: 5, min: 1, p50: 3, max: 5, mean: 3 });
    expect(s.p90).toBeCloseTo(4.6, 10);
    expect(s.p99).toBeCloseTo(4.96, 10);
    expect(summarize([])).toMatchObject({ n: 0, min: Number.NaN, max: Number.NaN });
  });

  it("handles samples too large to spread into Math.min", () => {
    const many = Array.from({ length: 200_000 }, (_, i) => i);
    expect(summarize(many)).toMatchObject({ min: 0, max: 199_999 });
  });
});

/**
 * Synthetic traffic for the scale model: a rate, tenants and types drawn with Zipf skew,
 * batch sizes, and the shares of failed and duplicate events. Deterministic (seeded).
 */

export interface Mix {
  name: string;
  /** Events a second, all tenants together. */
  rate: number;
  tenants: number;
  /** Types per tenant. */
  types: number;
  /** Zipf exponent over tenants and, within a tenant, over its types (0 = uniform). */
  skew: number;
  /** Events per API request (POST /v1/events batch). */
  ingestBatch: number;
  /** Share of events stored `failed` (they also write the failed index). */
  failedShare: number;
  /** Share of deliveries that are duplicates (an id already stored). */
  duplicateShare: number;
  /** Bytes of an event's `data` (the "1 KiB event"). */
  dataBytes: number;
}

/** The two mixes, and the single-tenant one with a tenth of its events failing. */
export const MIXES: Record<string, Mix> = {
  zipf: {
    name: "100,000 events/s, Zipf(1.1) over 1,000 tenants x 50 types",
    rate: 100_000,
    tenants: 1000,
    types: 50,
    skew: 1.1,
    ingestBatch: 25,
    failedShare: 0.01,
    duplicateShare: 0.01,
    dataBytes: 1024,
  },
  single: {
    name: "20,000 events/s, one tenant, one type",
    rate: 20_000,
    tenants: 1,
    types: 1,
    skew: 0,
    ingestBatch: 25,
    failedShare: 0.01,
    duplicateShare: 0.01,
    dataBytes: 1024,
  },
  failing: {
    name: "20,000 events/s, one tenant, one type, 10% failed",
    rate: 20_000,
    tenants: 1,
    types: 1,
    skew: 0,
    ingestBatch: 25,
    failedShare: 0.1,
    duplicateShare: 0.01,
    dataBytes: 1024,
  },
};

/** Mulberry32: small, fast, seeded. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Probabilities of ranks 1..n under Zipf(s): p(k) = k^-s / H(n, s). */
export function zipfWeights(n: number, s: number): number[] {
  const raw = Array.from({ length: n }, (_, i) => (i + 1) ** -s);
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
}

/** Draws an index from weights by binary search over the cumulative sums. */
export function sampler(weights: number[], random: () => number): () => number {
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) {
    sum += w;
    cumulative.push(sum);
  }
  return () => {
    const r = random() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export const tenantName = (i: number) => `tenant-${String(i + 1).padStart(4, "0")}`;
/** Type names about as long as real ones (`order.paid`, `page_view`...). */
export const typeName = (i: number) => `domain${String(i + 1).padStart(2, "0")}.updated`;

/**
 * Approximate distinct counts that merge: exact while small, HyperLogLog after.
 *
 * A sketch holds the 53-bit hashes it has seen until there are more than EXACT_LIMIT of
 * them (so small windows are counted exactly, and tests can compare with a Set), then
 * HyperLogLog registers (2^PRECISION of them, standard error 1.04 / sqrt(4096) = 1.6%).
 * Merging two sketches gives the sketch of the union, whatever their order: windows are
 * merged from shards and contributions in any order and give the same answer.
 */

export const HLL_PRECISION = 12;
const REGISTERS = 1 << HLL_PRECISION;
export const EXACT_LIMIT = 256;

/** A 53-bit hash of a string (cyrb53: two 32-bit multiply-xor lanes), as a safe integer. */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

export class DistinctSketch {
  private exact: Set<number> | undefined = new Set();
  private registers: Uint8Array | undefined;

  add(hash: number): void {
    if (this.exact) {
      this.exact.add(hash);
      if (this.exact.size > EXACT_LIMIT) this.toRegisters();
      return;
    }
    this.addToRegisters(hash);
  }

  merge(other: DistinctSketch): void {
    if (other.exact) {
      for (const h of other.exact) this.add(h);
      return;
    }
    if (this.exact) this.toRegisters();
    const mine = this.registers as Uint8Array;
    const theirs = other.registers as Uint8Array;
    for (let i = 0; i < REGISTERS; i++) {
      if ((theirs[i] ?? 0) > (mine[i] ?? 0)) mine[i] = theirs[i] ?? 0;
    }
  }

  estimate(): number {
    if (this.exact) return this.exact.size;
    const regs = this.registers as Uint8Array;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < REGISTERS; i++) {
      const r = regs[i] ?? 0;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / REGISTERS);
    const raw = (alpha * REGISTERS * REGISTERS) / sum;
    // Linear counting where HyperLogLog is biased (small ranges).
    if (raw <= 2.5 * REGISTERS && zeros > 0) {
      return Math.round(REGISTERS * Math.log(REGISTERS / zeros));
    }
    return Math.round(raw);
  }

  private toRegisters(): void {
    this.registers = new Uint8Array(REGISTERS);
    const seen = this.exact ?? new Set<number>();
    this.exact = undefined;
    for (const h of seen) this.addToRegisters(h);
  }

  private addToRegisters(hash: number): void {
    const regs = this.registers as Uint8Array;
    // Low PRECISION bits pick the register; the remaining 41 bits give the rank.
    const index = hash % REGISTERS;
    let rest = Math.floor(hash / REGISTERS);
    let rank = 1;
    const maxRank = 53 - HLL_PRECISION + 1;
    while ((rest & 1) === 0 && rank < maxRank) {
      rank++;
      rest = Math.floor(rest / 2);
    }
    if (rank > (regs[index] ?? 0)) regs[index] = rank;
  }
}

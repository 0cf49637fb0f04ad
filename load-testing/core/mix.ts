/** The event mix: `purchase=50,page_view=30,user_signup=20` → weighted types. */
import { EVENT_TYPE_PATTERN } from "../../lambdas/domain/event.js";

export interface MixEntry {
  type: string;
  /** Share of events, 0-1; the shares of a mix sum to 1. */
  share: number;
}

export const DEFAULT_MIX = "purchase=50,page_view=30,user_signup=20";

export class MixError extends Error {}

/** Parses `type=weight,...`; weights are relative (50/30/20 and 5/3/2 are the same mix). */
export function parseMix(spec: string): MixEntry[] {
  const parts = spec
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new MixError("--mix is empty: expected type=weight,...");
  const weights = new Map<string, number>();
  for (const part of parts) {
    const eq = part.indexOf("=");
    const type = (eq < 0 ? part : part.slice(0, eq)).trim();
    const raw = eq < 0 ? "1" : part.slice(eq + 1).trim();
    if (!EVENT_TYPE_PATTERN.test(type)) throw new MixError(`--mix: invalid event type "${type}"`);
    if (weights.has(type)) throw new MixError(`--mix: type "${type}" appears twice`);
    const weight = Number(raw);
    if (raw === "" || !Number.isFinite(weight) || weight < 0) {
      throw new MixError(`--mix: weight of "${type}" must be a number >= 0, got "${raw}"`);
    }
    weights.set(type, weight);
  }
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  if (total <= 0) throw new MixError("--mix: at least one weight must be above 0");
  return [...weights].filter(([, w]) => w > 0).map(([type, w]) => ({ type, share: w / total }));
}

/** Picks a type for a uniform random number in [0, 1). */
export function pickType(mix: readonly MixEntry[], random: number): string {
  let acc = 0;
  for (const entry of mix) {
    acc += entry.share;
    if (random < acc) return entry.type;
  }
  // Rounding can leave the shares' sum a hair below 1.
  const last = mix[mix.length - 1];
  if (!last) throw new MixError("empty mix");
  return last.type;
}

export function formatMix(mix: readonly MixEntry[]): string {
  return mix.map((m) => `${m.type}=${Math.round(m.share * 1000) / 10}%`).join(",");
}

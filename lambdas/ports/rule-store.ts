/** Port: where a tenant's rules live, one item per version (adapters/dynamodb-rule-store.ts). */
import type { Ruleset } from "../domain/rules.js";

export interface RuleStore {
  /** The tenant's newest version; undefined when it never saved one (the defaults apply). */
  current(tenantId: string): Promise<Ruleset | undefined>;
  /**
   * Stores `ruleset` as a new version; false (nothing written) when that version number is
   * taken already: another change won the race.
   */
  save(tenantId: string, ruleset: Ruleset): Promise<boolean>;
}

/**
 * Ports of failed-event inspection and replay: reading the failed list, and arming a
 * failed record for its replay. DynamoDB adapters implement them.
 */
import type { ReplayMarker, StoredEvent } from "../domain/event.js";
import type { FailedFilter } from "../domain/replay.js";
import type { ListPage } from "./event-store.js";

export interface FailedQuery extends FailedFilter {
  tenantId: string;
  limit: number;
  cursor?: string;
}

export interface FailedEventReader {
  get(tenantId: string, id: string): Promise<StoredEvent | undefined>;
  /** Failed events, newest failure first. Throws InvalidCursorError for a foreign cursor. */
  listFailed(query: FailedQuery): Promise<ListPage>;
}

/** `not_failed`: the record is gone or no longer failed (processed meanwhile). */
export type ArmOutcome = "armed" | "not_failed";

export interface ReplayRecorder {
  /**
   * If the event is still failed: appends its `replayed` history entry and arms it with
   * the marker's request id (the token its consumer checks).
   */
  armReplay(tenantId: string, id: string, marker: ReplayMarker): Promise<ArmOutcome>;
}

/**
 * Statistics are counted per hour of acceptance (receivedAt): the bucket both the
 * writer's tally (use-cases/batch-tally.ts) and the reader's range use.
 */

/** Truncates an ISO time to its hour bucket: 2026-11-22T02:15:00.000Z -> 2026-11-22T02. */
export const hourOf = (iso: string) => iso.slice(0, 13);

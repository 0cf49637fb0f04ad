/** Delivery contracts read by the settings, the functions and the local runtime. */

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `5s,5m,2h` -> [5, 300, 7200]; throws on an entry that is not a duration. */
export function parseRetrySchedule(value: string): number[] {
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => {
      const match = /^(\d{1,6})([smh])$/.exec(part);
      if (!match) throw new Error(`"${part}" is not a duration like 5s, 5m or 2h`);
      return Number(match[1]) * (DURATION_UNITS[match[2] ?? "s"] ?? 1);
    });
}

/** The local runtime's names of the delivery resources (the stack lets CloudFormation name them). */
export const LOCAL_DELIVERY_RESOURCES = {
  queueName: "eventflow-deliveries",
  fifoQueueName: "eventflow-deliveries-ordered.fifo",
  dlqName: "eventflow-deliveries-dlq",
  tableName: "eventflow-deliveries",
  secretId: "local:destination-key",
} as const;

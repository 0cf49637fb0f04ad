/**
 * How the SDK clients on the event path are configured, without creating any (the local
 * runtime's pollers and the load generator's ceiling apply the same settings to their own
 * clients; lambdas/shared/clients.ts creates the handlers').
 */
import type { TranslateConfig } from "@aws-sdk/lib-dynamodb";

/**
 * Numbers: the SDK refuses to write any number beyond 2^53 (even 1e20, which a double holds
 * exactly) and reads such numbers back as BigInt, which JSON.stringify cannot answer. Every
 * number we store passed domain/json.ts: its double prints back to the client's exact
 * decimal, so writing `String(n)` and reading with Number() loses nothing.
 */
export const DOCUMENT_CLIENT_OPTIONS = {
  marshallOptions: {
    removeUndefinedValues: true,
    convertClassInstanceToMap: false,
    allowImpreciseNumbers: true,
  },
  unmarshallOptions: { wrapNumbers: (value: string) => Number(value) },
} as const satisfies TranslateConfig;

/**
 * The SDK's logger middleware builds a filtered copy of every command's input and output
 * for the client's logger, which is a no-op unless one is configured (none is: Powertools
 * logs what matters, and errors still reach the caller). Measured against a stubbed
 * transport: about a sixth of a PutItem's client-side CPU, plus the garbage.
 */
export function withoutSdkLogging<T extends { middlewareStack: { remove(name: string): boolean } }>(
  client: T,
): T {
  client.middlewareStack.remove("loggerMiddleware");
  return client;
}

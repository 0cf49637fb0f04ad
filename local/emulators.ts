/**
 * The embedded AWS emulators: fauxqs (SQS) and dynalite (DynamoDB), in this process,
 * on loopback ports. Both speak the real wire protocols, so the handlers use the real
 * AWS SDK clients against them.
 */
import { once } from "node:events";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { startFauxqs } from "fauxqs";

const require = createRequire(import.meta.url);
// dynalite ships CommonJS without type declarations.
const dynalite = require("dynalite") as (options: Record<string, unknown>) => Server;

export interface EmulatorOptions {
  /** Folder for on-disk state; undefined keeps everything in memory. */
  dataDir?: string;
  /** Start the SQS emulator (false when an external endpoint is used). */
  sqs?: boolean;
  /** Start the DynamoDB emulator (false when an external endpoint is used). */
  dynamodb?: boolean;
}

export interface Emulators {
  sqsEndpoint?: string;
  dynamodbEndpoint?: string;
  stop(): Promise<void>;
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const { dataDir, sqs = true, dynamodb = true } = options;
  const stops: (() => Promise<void>)[] = [];
  const result: Emulators = {
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
  try {
    if (dynamodb) {
      const server = dynalite({
        ...(dataDir ? { path: `${dataDir}/dynamodb` } : {}),
        createTableMs: 0,
        deleteTableMs: 0,
        updateTableMs: 0,
      });
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      const { port } = server.address() as AddressInfo;
      result.dynamodbEndpoint = `http://127.0.0.1:${port}`;
      stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    }
    if (sqs) {
      const server = await startFauxqs({
        port: 0,
        logger: false,
        ...(dataDir ? { dataDir: `${dataDir}/sqs` } : {}),
      });
      result.sqsEndpoint = `http://127.0.0.1:${server.port}`;
      stops.push(() => server.stop());
    }
  } catch (error) {
    await result.stop();
    throw error;
  }
  return result;
}

/**
 * Test support: API keys for the e2e suite, made through `npm run keys`'s own code
 * (bin/keys.ts main) against the platform under test: the local runtime's DynamoDB
 * endpoint (or data folder), or a deployed stack's outputs file (EVENTFLOW_STACK_OUTPUTS,
 * with AWS credentials in the environment).
 */
import { readFileSync } from "node:fs";
import { type Io, main } from "../../bin/keys.js";
import type { LocalRuntime, Platform } from "./runtime.js";

/** Whether keys can be made for the platform: always locally; deployed, with its outputs. */
export const canManageKeys = !process.env.EVENTFLOW_URL || !!process.env.EVENTFLOW_STACK_OUTPUTS;

type Where = Pick<Platform, "local"> | LocalRuntime | { dataDir: string };

function target(where: Where): string[] {
  if ("dataDir" in where) return ["--data-dir", where.dataDir];
  const local = "pid" in where ? where : where.local;
  if (local) return ["--endpoint", local.dynamodbEndpoint];
  const outputs = process.env.EVENTFLOW_STACK_OUTPUTS;
  if (!outputs) throw new Error("set EVENTFLOW_STACK_OUTPUTS to manage keys of a deployed stack");
  return ["--stack-outputs", outputs];
}

/** Runs `npm run keys -- <args> --json` in this process; its parsed output. */
export async function keysCli<T = unknown>(where: Where, args: string[]): Promise<T> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: process.env,
    now: () => new Date(),
    readFile: (path) => readFileSync(path, "utf8"),
    isAlive: (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    },
  };
  const code = await main([...args, ...target(where), "--json"], io);
  if (code !== 0)
    throw new Error(`npm run keys -- ${args.join(" ")}: exit ${code}\n${err.join("\n")}`);
  return JSON.parse(out.join("\n")) as T;
}

export interface CreatedKey {
  key: string;
  keyId: string;
  prefix: string;
  tenantId: string;
  scopes: string[];
}

export const createKey = (where: Where, tenantId: string, scopes: string) =>
  keysCli<CreatedKey>(where, ["create", "--tenant", tenantId, "--scopes", scopes]);

export const revokeKey = (where: Where, tenantId: string, key: string) =>
  keysCli<{ state: string }>(where, ["revoke", "--tenant", tenantId, "--key", key]);

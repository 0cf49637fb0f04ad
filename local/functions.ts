/**
 * The platform's functions as the local runtime runs them: their limits from the
 * settings, one shared environment, and handler modules imported on first use
 * (a cold start), from FUNCTION_ENTRIES.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { EventFlowSettings } from "../lib/config.js";
import {
  FUNCTION_ENTRIES,
  type FunctionName,
  functionEnvironment,
  functionSizing,
  type ResourceRefs,
} from "../lib/contracts/functions.js";
import type { AnyHandler, FunctionConfig } from "./lambda.js";

export const FUNCTION_NAMES = Object.keys(FUNCTION_ENTRIES) as FunctionName[];

/** Prefix of the local function names (what handlers see as context.functionName). */
export const FUNCTION_PREFIX = "eventflow-";

export function functionConfig(
  name: FunctionName,
  settings: EventFlowSettings,
  region: string,
): FunctionConfig {
  return {
    name,
    functionName: `${FUNCTION_PREFIX}${name}`,
    region,
    ...functionSizing(name, settings),
  };
}

export class EnvironmentConflict extends Error {}

/**
 * All handlers share one process, so they share one environment: the union of
 * what each function gets in AWS. They must agree on every shared variable.
 */
export function sharedEnvironment(
  settings: EventFlowSettings,
  refs: ResourceRefs,
): Record<string, string> {
  const env: Record<string, string> = {};
  const owner: Record<string, FunctionName> = {};
  for (const name of FUNCTION_NAMES) {
    for (const [key, value] of Object.entries(functionEnvironment(name, settings, refs))) {
      if (key in env && env[key] !== value) {
        throw new EnvironmentConflict(
          `functions ${owner[key]} and ${name} need different values of ${key}; one process cannot run both`,
        );
      }
      env[key] = value;
      owner[key] ??= name;
    }
  }
  return env;
}

/** Imports a handler module on first use; an init error is reported like Lambda's. */
export class HandlerLoader {
  private readonly loaded = new Map<FunctionName, Promise<AnyHandler>>();

  constructor(
    private readonly repoRoot: string,
    /** Test seam: handlers used instead of importing the modules. */
    private readonly overrides: Partial<Record<FunctionName, AnyHandler>> = {},
  ) {}

  entryPath(name: FunctionName): string {
    return join(this.repoRoot, FUNCTION_ENTRIES[name]);
  }

  missing(): FunctionName[] {
    return FUNCTION_NAMES.filter(
      (name) => !this.overrides[name] && !existsSync(this.entryPath(name)),
    );
  }

  get(name: FunctionName): Promise<AnyHandler> {
    let pending = this.loaded.get(name);
    if (!pending) {
      pending = this.load(name);
      this.loaded.set(name, pending);
      // A failed import is retried on the next invocation (a new environment in Lambda).
      pending.catch(() => this.loaded.delete(name));
    }
    return pending;
  }

  private async load(name: FunctionName): Promise<AnyHandler> {
    const override = this.overrides[name];
    if (override) return override;
    const path = this.entryPath(name);
    if (!existsSync(path)) {
      throw new Error(`Runtime.ImportModuleError: ${FUNCTION_ENTRIES[name]} does not exist`);
    }
    const mod = (await import(pathToFileURL(path).href)) as { handler?: unknown };
    if (typeof mod.handler !== "function") {
      throw new Error(
        `Runtime.HandlerNotFound: ${FUNCTION_ENTRIES[name]} does not export a function named handler`,
      );
    }
    return mod.handler as AnyHandler;
  }
}

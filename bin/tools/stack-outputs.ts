/**
 * Reading a deployed stack's outputs file (`cdk deploy --outputs-file F`) for the tools:
 * the stack's outputs by the names in lib/contracts/stack-outputs.ts, with one message per
 * way the file can be wrong.
 */
import {
  regionOfApiUrl,
  STACK_OUTPUT,
  type StackOutputName,
  selectStack,
} from "../../lib/contracts/stack-outputs.js";
import { UsageError } from "./usage-error.js";

export interface StackOutputs {
  file: string;
  stackName: string;
  /** An output's value; a required one that is missing is a UsageError. */
  get(name: StackOutputName): string;
  find(name: StackOutputName): string | undefined;
}

/**
 * The stack in `file` that has every output of `marker`: the one named `stack`, or the
 * only one.
 */
export function readStackOutputs(
  file: string,
  readFile: (path: string) => string,
  marker: readonly StackOutputName[],
  stack?: string,
): StackOutputs {
  let doc: unknown;
  try {
    doc = JSON.parse(readFile(file));
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : error}`);
  }
  const selection = selectStack(doc, marker, stack);
  if (selection.kind === "none") {
    throw new UsageError(
      `${file} has no stack with ${marker.length === 1 ? "a" : "the"} ${marker.join(", ")} output${marker.length === 1 ? "" : "s"} (deploy this version of the stack first)`,
    );
  }
  if (selection.kind === "several") {
    throw new UsageError(`${file} holds ${selection.names.join(", ")}: pick one with --stack`);
  }
  const { stackName, outputs } = selection;
  return {
    file,
    stackName,
    find: (name) => outputs[name],
    get: (name) => {
      const value = outputs[name];
      if (value === undefined) throw new UsageError(`${file}: ${stackName} has no ${name} output`);
      return value;
    },
  };
}

/** The AWS region: AWS_REGION, AWS_DEFAULT_REGION, else the one in the stack's ApiUrl. */
export function stackRegion(
  outputs: StackOutputs,
  env: Record<string, string | undefined>,
): string {
  const region =
    env.AWS_REGION || env.AWS_DEFAULT_REGION || regionOfApiUrl(outputs.find(STACK_OUTPUT.apiUrl));
  if (!region) throw new UsageError("set AWS_REGION: the outputs do not say the stack's region");
  return region;
}

/**
 * The stack's CloudFormation outputs, as `cdk deploy --outputs-file F` writes them
 * (`{"<stack name>": {"<output>": "<value>", ...}}`): their names, declared once for the
 * stack (lib/eventflow-stack.ts) and for what reads the file (bin/tools/stack-outputs.ts,
 * local/localstack/outputs.ts).
 */

export const STACK_OUTPUT = {
  /** Base URL with the stage, no trailing slash. */
  apiUrl: "ApiUrl",
  /** The REST API's id and stage: `npm run keys` flushes the stage's authorizer cache. */
  restApiId: "RestApiId",
  apiStageName: "ApiStageName",
  eventsTableName: "EventsTableName",
  keysTableName: "KeysTableName",
  /** The tenant configuration table: `npm run schemas -- --stack-outputs F`. */
  configTableName: "ConfigTableName",
  usagePlanId: "UsagePlanId",
  queueUrl: "QueueUrl",
  dlqUrl: "DlqUrl",
  dashboardName: "DashboardName",
  alarmTopicArn: "AlarmTopicArn",
  canaryFunctionName: "CanaryFunctionName",
  /** History: the archive bucket, and the Glue database and Athena workgroup to query it. */
  archiveBucketName: "ArchiveBucketName",
  historyDatabase: "HistoryDatabase",
  historyWorkGroup: "HistoryWorkGroup",
} as const;

export type StackOutputName = (typeof STACK_OUTPUT)[keyof typeof STACK_OUTPUT];

export type StackSelection =
  | { kind: "found"; stackName: string; outputs: Readonly<Record<string, string>> }
  /** No stack in the file has every output asked for. */
  | { kind: "none" }
  /** Several do, and none was named (or the one named is not among them). */
  | { kind: "several"; names: string[] };

/**
 * The stack of an outputs document that has every output in `marker` (string values):
 * the one named `stack`, or the only one. Outputs whose value is not a string are dropped.
 */
export function selectStack(
  doc: unknown,
  marker: readonly StackOutputName[],
  stack?: string,
): StackSelection {
  const stacks = Object.entries(doc && typeof doc === "object" ? doc : {}).flatMap(
    ([name, outputs]) => {
      if (!outputs || typeof outputs !== "object") return [];
      const strings = Object.fromEntries(
        Object.entries(outputs as Record<string, unknown>).filter(
          (e): e is [string, string] => typeof e[1] === "string",
        ),
      );
      return marker.every((k) => k in strings) ? [{ name, outputs: strings }] : [];
    },
  );
  if (stacks.length === 0) return { kind: "none" };
  const chosen =
    stack === undefined
      ? stacks.length === 1
        ? stacks[0]
        : undefined
      : stacks.find((s) => s.name === stack);
  if (!chosen) return { kind: "several", names: stacks.map((s) => s.name) };
  return { kind: "found", stackName: chosen.name, outputs: chosen.outputs };
}

/** The region in an API Gateway stage URL (`https://<id>.execute-api.<region>.<suffix>/...`). */
export function regionOfApiUrl(apiUrl: string | undefined): string | undefined {
  return apiUrl === undefined
    ? undefined
    : (/\.execute-api\.([a-z0-9-]+)\./.exec(apiUrl)?.[1] ?? undefined);
}

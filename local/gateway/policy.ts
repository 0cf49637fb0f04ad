/** The authorizer's IAM policy, evaluated as API Gateway does for execute-api:Invoke. */

export interface Statement {
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
}

/** IAM evaluation of execute-api:Invoke: an explicit Deny wins, else some Allow must match. */
export function allows(statements: Statement[], methodArn: string): boolean {
  const matching = (effect: Statement["Effect"]) =>
    statements.some(
      (s) =>
        s.Effect === effect &&
        [s.Action]
          .flat()
          .some((a) => a === "execute-api:Invoke" || a === "execute-api:*" || a === "*") &&
        [s.Resource].flat().some((r) => arnMatches(r, methodArn)),
    );
  return !matching("Deny") && matching("Allow");
}

/** IAM wildcards: `*` any run of characters, `?` one character. */
export function arnMatches(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(arn);
}

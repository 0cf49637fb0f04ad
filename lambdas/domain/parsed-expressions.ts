/**
 * JSONata's syntax trees (`jsonata(source).ast()`) of the default rules' expressions
 * (rules.ts DEFAULT_RULES), recorded so that the process function runs the default rules,
 * which every tenant that never saved rules has, without loading the expression engine
 * (issue 20, cold start: expression-engine-loader.ts). All three take the fast path
 * (expression-fast-path.ts); JSONata itself is loaded only if a value makes the fast path
 * decline. test/unit/lambdas/domain/expressions-engine.test.ts checks each tree against
 * JSONata's and that every default expression is listed: a changed default rule fails it
 * until its tree is recorded here again.
 */
export const PARSED_EXPRESSIONS: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  [
    '$not($type(data.amount) = "number")',
    {
      type: "function",
      value: "(",
      position: 5,
      arguments: [
        {
          type: "binary",
          value: "=",
          position: 25,
          lhs: {
            type: "function",
            value: "(",
            position: 11,
            arguments: [
              {
                type: "path",
                steps: [
                  { value: "data", type: "name", position: 15 },
                  { value: "amount", type: "name", position: 22 },
                ],
              },
            ],
            procedure: { value: "type", type: "variable", position: 10 },
          },
          rhs: { value: "number", type: "string", position: 34 },
        },
      ],
      procedure: { value: "not", type: "variable", position: 4 },
    },
  ],
  [
    "data.amount > 1000 ? 'high_value' : 'standard'",
    {
      type: "condition",
      position: 20,
      condition: {
        type: "binary",
        value: ">",
        position: 13,
        lhs: {
          type: "path",
          steps: [
            { value: "data", type: "name", position: 4 },
            { value: "amount", type: "name", position: 11 },
          ],
        },
        rhs: { value: 1000, type: "number", position: 18 },
      },
      // biome-ignore lint/suspicious/noThenProperty: JSONata's condition node names its branch so
      then: { value: "high_value", type: "string", position: 33 },
      else: { value: "standard", type: "string", position: 46 },
    },
  ],
  [
    '$not($type(data.url) = "string")',
    {
      type: "function",
      value: "(",
      position: 5,
      arguments: [
        {
          type: "binary",
          value: "=",
          position: 22,
          lhs: {
            type: "function",
            value: "(",
            position: 11,
            arguments: [
              {
                type: "path",
                steps: [
                  { value: "data", type: "name", position: 15 },
                  { value: "url", type: "name", position: 19 },
                ],
              },
            ],
            procedure: { value: "type", type: "variable", position: 10 },
          },
          rhs: { value: "string", type: "string", position: 31 },
        },
      ],
      procedure: { value: "not", type: "variable", position: 4 },
    },
  ],
]);

/**
 * Prints what the OpenAPI contract checker saw in the last test run, from
 * reports/contract-checks.jsonl: `npx tsx test/support/contract-summary.ts`.
 * .ci/run prints it after `npm test`.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { buildOpenApiDocument } from "../../lambdas/http/openapi-document.js";

const file = resolve(import.meta.dirname, "../../reports/contract-checks.jsonl");
if (!existsSync(file)) {
  console.log("contract: no answers were checked (reports/contract-checks.jsonl is missing)");
  process.exit(0);
}
let responses = 0;
let requests = 0;
const operations = new Set<string>();
const statuses = new Set<string>();
for (const line of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
  const entry = JSON.parse(line) as {
    responses: number;
    requests: number;
    operations: string[];
    statuses: string[];
  };
  responses += entry.responses;
  requests += entry.requests;
  for (const o of entry.operations) operations.add(o);
  for (const s of entry.statuses) statuses.add(s);
}
const documented = Object.values(buildOpenApiDocument().paths).flatMap((item) =>
  Object.values(item).map((op) => op.operationId),
);
const unseen = documented.filter((id) => !operations.has(id));
console.log(
  `contract: ${responses} answers checked against the OpenAPI document (${requests} accepted requests validated), ` +
    `${operations.size - (operations.has("(no operation)") ? 1 : 0)} of ${documented.length} operations, ` +
    `${statuses.size} operation/status pairs` +
    (unseen.length ? `; never exercised: ${unseen.join(", ")}` : ""),
);

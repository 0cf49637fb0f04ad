/**
 * Setup file of the suites that talk HTTP (e2e, fuzz, browser): after each test file,
 * record how many answers the OpenAPI contract checker saw (test/support/openapi-contract.ts).
 */
import { afterAll, expect } from "vitest";
import { recordContractCounts } from "./openapi-contract.js";

afterAll(() => {
  recordContractCounts(expect.getState().testPath ?? "unknown");
});

/** The Lambda proxy integration's answer mapped back to HTTP, as API Gateway does it. */
import { findHeader } from "../../lib/contracts/http.js";
import type { GatewayAnswer } from "./answers.js";

/** Lambda proxy answer -> HTTP, or undefined when API Gateway would call it malformed. */
export function mapProxyResult(result: unknown): GatewayAnswer | undefined {
  if (result === null || typeof result !== "object" || Array.isArray(result)) return undefined;
  const r = result as Record<string, unknown>;
  const status = typeof r.statusCode === "string" ? Number(r.statusCode) : r.statusCode;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
    return undefined;
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== "string") return undefined;
  const out: Record<string, string[]> = {};
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== "object") return undefined;
    for (const [k, values] of Object.entries(r.multiValueHeaders as Record<string, unknown>)) {
      if (!Array.isArray(values)) return undefined;
      out[k] = values.map(String);
    }
  }
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== "object") return undefined;
    for (const [k, v] of Object.entries(r.headers as Record<string, unknown>)) {
      // Values from multiValueHeaders win when both name the same header.
      if (findHeader(out, k)) continue;
      out[k] = [String(v)];
    }
  }
  const body =
    typeof r.body === "string"
      ? r.isBase64Encoded === true
        ? Buffer.from(r.body, "base64")
        : r.body
      : undefined;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(out)) headers[k] = v.length === 1 ? (v[0] ?? "") : v;
  if (!findHeader(headers, "content-type")) {
    headers["content-type"] = "application/json";
  }
  return { status, headers, ...(body !== undefined ? { body } : {}) };
}

/** A zod error as answer details: one field error per issue, unknown keys by name. */
import type * as z from "zod";
import { type FieldError, joinPath, limitErrors } from "../domain/json.js";

export function zodDetails(error: z.ZodError): FieldError[] {
  const details = error.issues.flatMap((issue): FieldError[] => {
    const at = issue.path.reduce<string>(
      (p, s) => joinPath(p, typeof s === "number" ? s : String(s)),
      "",
    );
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: joinPath(at, key),
        message: "is not a known field",
      }));
    }
    return [{ path: at || "(body)", message: issue.message }];
  });
  return limitErrors(details, "(body)");
}

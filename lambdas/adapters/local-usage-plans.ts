/**
 * Usage plans where there is no API Gateway (the local runtime and the tools pointed at
 * it): a tenant's usage plan key is only what the local gateway counts requests by.
 */
import { randomBytes } from "node:crypto";
import { LOCAL_RUNTIME } from "../../lib/contracts/local-runtime.js";
import type { UsagePlans } from "../ports/api-keys.js";

export const localUsagePlans: UsagePlans = {
  provision: async () => ({
    usageKey: `${LOCAL_RUNTIME.usageKeyPrefix}${randomBytes(24).toString("base64url")}`,
  }),
};

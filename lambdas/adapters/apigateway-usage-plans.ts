/**
 * UsagePlans on API Gateway: each tenant gets one API Gateway API key (its value is the
 * usageIdentifierKey the authorizer returns), associated with the stack's usage plan,
 * whose throttle and quota then apply to that tenant alone. Used by `npm run keys`
 * against a deployed stack (operator credentials), never by a Lambda function.
 *
 * The operator needs: apigateway:POST on /apikeys and /usageplans/<id>/keys, and
 * dynamodb:GetItem, PutItem, UpdateItem, Query on the keys table and its byTenant index.
 */
import { randomBytes } from "node:crypto";
import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
} from "@aws-sdk/client-api-gateway";
import type { UsagePlans } from "../ports/api-keys.js";

export class ApiGatewayUsagePlans implements UsagePlans {
  constructor(
    private readonly client: Pick<APIGatewayClient, "send">,
    private readonly options: { usagePlanId: string; stackName: string },
  ) {}

  async provision(tenantId: string): Promise<{ usageKey: string; usageKeyId: string }> {
    // Never sent by clients (the authorizer hands it to API Gateway): just unguessable,
    // and within API Gateway's 20-128 characters.
    const value = randomBytes(30).toString("base64url");
    const created = await this.client.send(
      new CreateApiKeyCommand({
        name: `${this.options.stackName}-tenant-${tenantId}`,
        description: `EventFlow tenant ${tenantId}: usage plan key (the authorizer returns it)`,
        enabled: true,
        value,
        tags: { project: "eventflow", tenant: tenantId },
      }),
    );
    if (!created.id) throw new Error(`API Gateway created no API key for tenant ${tenantId}`);
    await this.client.send(
      new CreateUsagePlanKeyCommand({
        usagePlanId: this.options.usagePlanId,
        keyId: created.id,
        keyType: "API_KEY",
      }),
    );
    return { usageKey: value, usageKeyId: created.id };
  }
}

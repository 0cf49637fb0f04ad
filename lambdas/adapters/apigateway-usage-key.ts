/**
 * UsageKeySource on API Gateway: the value of one API key, the canary tenant's usage plan
 * key, which the stack creates and associates with the tenants' usage plan
 * (lib/constructs/canary.ts). The canary may read that key and no other
 * (apigateway:GET on /apikeys/<id>). Read once per execution environment.
 */
import { type APIGatewayClient, GetApiKeyCommand } from "@aws-sdk/client-api-gateway";
import type { UsageKeySource } from "../ports/canary.js";

export class ApiGatewayUsageKey implements UsageKeySource {
  private value: Promise<string> | undefined;

  constructor(
    private readonly client: Pick<APIGatewayClient, "send">,
    private readonly apiKeyId: string,
  ) {}

  usageKey(): Promise<string> {
    if (!this.value) {
      this.value = this.fetch();
      // A failed read is tried again on the next run, not remembered.
      this.value.catch(() => {
        this.value = undefined;
      });
    }
    return this.value;
  }

  private async fetch(): Promise<string> {
    const out = await this.client.send(
      new GetApiKeyCommand({ apiKey: this.apiKeyId, includeValue: true }),
    );
    if (!out.value) throw new Error(`API Gateway returned no value for API key ${this.apiKeyId}`);
    if (out.enabled === false) throw new Error(`API key ${this.apiKeyId} is disabled`);
    return out.value;
  }
}

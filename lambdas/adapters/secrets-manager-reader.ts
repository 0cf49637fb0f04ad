/**
 * SecretReader over AWS Secrets Manager, through Powertools Parameters' SecretsProvider:
 * one GetSecretValue per execution environment and `maxAgeSeconds`, so a rotated secret
 * is picked up within that time without a call per request.
 */

import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SecretReader } from "../ports/secrets.js";

export class SecretsManagerReader implements SecretReader {
  private readonly provider: SecretsProvider;

  constructor(
    client: SecretsManagerClient,
    private readonly maxAgeSeconds = 3600,
  ) {
    this.provider = new SecretsProvider({ awsSdkV3Client: client });
  }

  async get(id: string): Promise<string> {
    const value = await this.provider.get(id, { maxAge: this.maxAgeSeconds });
    if (typeof value !== "string" || value.length === 0) {
      throw new Error(`secret ${id} has no string value`);
    }
    return value;
  }
}

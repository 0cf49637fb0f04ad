/**
 * The Secrets Manager client factory, apart so that only the functions that read a secret
 * (query and replay: the page cursors' key) bundle it.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type ClientConfig, clientSettings } from "./client-config.js";
import { withoutSdkLogging } from "./sdk-options.js";

export function createSecretsManagerClient(config: ClientConfig = {}): SecretsManagerClient {
  return withoutSdkLogging(new SecretsManagerClient(clientSettings(config)));
}

/**
 * The API Gateway client factory, apart from shared/clients.ts so that only the functions
 * that call API Gateway (the canary) bundle and initialize it.
 */
import { APIGatewayClient } from "@aws-sdk/client-api-gateway";
import { type ClientConfig, clientSettings } from "./client-config.js";

export function createApiGatewayClient(config: ClientConfig = {}): APIGatewayClient {
  // Bounded: a hung control-plane call must not eat a canary run's deadline.
  return new APIGatewayClient({
    ...clientSettings(config),
    requestHandler: { connectionTimeout: 3000, requestTimeout: 5000 },
  });
}

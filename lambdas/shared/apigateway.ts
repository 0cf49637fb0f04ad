/**
 * The API Gateway client, apart from shared/clients.ts so that only the functions that
 * call API Gateway (the canary) bundle and initialize it.
 */
import { APIGatewayClient } from "@aws-sdk/client-api-gateway";

// Bounded: a hung control-plane call must not eat a canary run's deadline.
export const apigateway = new APIGatewayClient({
  requestHandler: { connectionTimeout: 3000, requestTimeout: 5000 },
});

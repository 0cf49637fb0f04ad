/**
 * The API stage's authorizer cache on a deployed stack. API Gateway keeps the authorizer's
 * answer per Authorization header for authorizerCacheSeconds; after a key is revoked (or a
 * rotation shortened its life) `npm run keys` flushes it, so the key stops at once instead
 * of when its cached answer ends.
 */
import {
  type APIGatewayClient,
  FlushStageAuthorizersCacheCommand,
} from "@aws-sdk/client-api-gateway";

export interface AuthorizerCache {
  /** What is flushed, for messages: `stage prod of REST API abc123`. */
  describe: string;
  flush(): Promise<void>;
}

export function stageAuthorizerCache(
  client: Pick<APIGatewayClient, "send">,
  restApiId: string,
  stageName: string,
): AuthorizerCache {
  return {
    describe: `stage ${stageName} of REST API ${restApiId}`,
    flush: async () => {
      await client.send(new FlushStageAuthorizersCacheCommand({ restApiId, stageName }));
    },
  };
}

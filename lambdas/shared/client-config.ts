/**
 * Where an SDK client sends its requests. Empty in Lambda (the SDK's standard settings:
 * AWS_REGION, the execution role, AWS_ENDPOINT_URL_*); the local runtime and the tests
 * pass the emulators' endpoints and local credentials instead of setting process.env.
 */
export interface ClientConfig {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** The config without its undefined fields (the SDK treats a present key as set). */
export const clientSettings = (config: ClientConfig): ClientConfig =>
  Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as ClientConfig;

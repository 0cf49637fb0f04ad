/**
 * Secrets a function needs at run time (the page cursors' signing key), by id: a Secrets
 * Manager ARN on AWS, the local runtime's own key locally.
 */
export interface SecretReader {
  /** The secret's current value; throws when it cannot be read. */
  get(id: string): Promise<string>;
}

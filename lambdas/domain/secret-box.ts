/**
 * Signing secrets at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the
 * deployment's destination key (a Secrets Manager secret on AWS, a file in the data folder
 * locally), with the tenant and destination id as associated data, so a ciphertext copied
 * to another destination or tenant does not decrypt. A table export, a backup or a role
 * that may read the configuration table sees only `v1.<iv>.<ciphertext+tag>`.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const INFO = "eventflow destination secrets v1";

function keyOf(master: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(master), Buffer.alloc(0), INFO, 32));
}

export function sealSecret(master: string, context: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(master), iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([
    cipher.update(plaintext, "utf8"),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return `v1.${iv.toString("base64url")}.${body.toString("base64url")}`;
}

export function openSecret(master: string, context: string, sealed: string): string {
  const [version, ivText, bodyText] = sealed.split(".");
  if (version !== "v1" || !ivText || !bodyText) throw new Error("not a sealed secret");
  const body = Buffer.from(bodyText, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", keyOf(master), Buffer.from(ivText, "base64url"));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([
    decipher.update(body.subarray(0, body.length - 16)),
    decipher.final(),
  ]).toString("utf8");
}

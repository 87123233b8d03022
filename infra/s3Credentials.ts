import * as pulumi from "@pulumi/pulumi";
import { existingStoreCredentials, type S3Settings } from "./config";

/** Lengths of the generated key pair, those of AWS's own (an id of 20 upper-case letters and digits, a 40-character secret). */
export const ACCESS_KEY_LENGTH = 20;
export const SECRET_KEY_LENGTH = 40;
const ACCESS_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0234567";
const SECRET_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `length` characters of `alphabet`, each from a random byte (alphabets of at most 256; the small bias is no matter here). */
export function randomText(bytes: Uint8Array, alphabet: string): string {
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join("");
}

// The provider's functions run in Pulumi's dynamic provider process, serialized with what they capture: Node's own
// modules are required where they are used, and the pure helpers are inlined by the serializer.
const credentialsProvider: pulumi.dynamic.ResourceProvider = {
  async create() {
    const crypto: typeof import("crypto") = require("node:crypto");
    const accessKey = randomText(crypto.randomBytes(ACCESS_KEY_LENGTH), ACCESS_KEY_ALPHABET);
    const secretKey = randomText(crypto.randomBytes(SECRET_KEY_LENGTH), SECRET_KEY_ALPHABET);
    return { id: `s3-credentials-${accessKey.slice(0, 4).toLowerCase()}`, outs: { accessKey, secretKey } };
  },
  // Generated once: an update keeps the pair (the server's data stays readable), a replacement makes a new one.
  async diff() {
    return { changes: false };
  },
};

/**
 * An access key pair for the stack's own S3 server, generated when the stack is created and kept in the stack's state
 * as secrets (encrypted with the stack's passphrase), never in its config, outputs or logs.
 */
export class GeneratedS3Credentials extends pulumi.dynamic.Resource {
  declare public readonly accessKey: pulumi.Output<string>;
  declare public readonly secretKey: pulumi.Output<string>;

  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super(
      credentialsProvider,
      name,
      { accessKey: undefined, secretKey: undefined },
      { ...opts, additionalSecretOutputs: ["accessKey", "secretKey"] },
      "s3",
      "GeneratedS3Credentials",
    );
  }
}

/** The credentials Flink and the tools use for the bucket, both secret Outputs. */
export interface StackS3Credentials {
  readonly accessKey: pulumi.Output<string>;
  readonly secretKey: pulumi.Output<string>;
}

/** The stack's own server's generated pair, or an existing store's from the secret config (s3AccessKey, s3SecretKey). */
export function s3Credentials(name: string, s3: S3Settings, opts: pulumi.CustomResourceOptions): StackS3Credentials {
  if (!s3.inStack) return existingStoreCredentials();
  const generated = new GeneratedS3Credentials(name, opts);
  return { accessKey: pulumi.secret(generated.accessKey), secretKey: pulumi.secret(generated.secretKey) };
}

// What scripts/up.sh asks before `pulumi up`: which images a stack would use with the official defaults and with
// the local ones (IMAGES_ENV), so it can check that they are there, or fall back, before anything is created.
//   pulumi config --json --stack <stack> | tsx infra/imagePlan.ts
// prints one line per image key: `<key> <stack|default> <official image> <local image>`. A stack config that does
// not validate fails here, with every problem named, before anything is set up or created.

import { readFileSync } from "node:fs";
import { ConfigError, IMAGE_KEYS, IMAGES_ENV, type ImageKey, parseStackConfig, projectConfig } from "./config";

const PROJECT = "flink-checkpointer";

export interface ImageChoice {
  /** The image keys, and s3Image when the stack runs its own S3 server. */
  readonly key: ImageKey | "s3Image";
  /** Whether the stack's config names the image, or it is a default (then local images can stand in). */
  readonly origin: "stack" | "default";
  readonly official: string;
  readonly local: string;
}

/** The images of a stack under both kinds of defaults. Throws ConfigError for an invalid stack config. */
export function imagePlan(raw: Readonly<Record<string, string>>, secretKeys: ReadonlySet<string> = new Set()): ImageChoice[] {
  const official = parseStackConfig(raw, { [IMAGES_ENV]: "official" }, secretKeys);
  const local = parseStackConfig(raw, { [IMAGES_ENV]: "local" }, secretKeys);
  const s3Server: ImageChoice[] =
    official.s3?.inStack && local.s3
      ? [{ key: "s3Image", origin: (raw.s3Image ?? "").trim() ? "stack" : "default", official: official.s3.image, local: local.s3.image }]
      : [];
  return [
    ...IMAGE_KEYS.map((key) => ({
      key,
      origin: official.imageOrigins[key] === "stack" ? ("stack" as const) : ("default" as const),
      official: official[key],
      local: local[key],
    })),
    ...s3Server,
  ];
}

/**
 * The values of `pulumi config --json` (`{"<project>:<key>": {"value": …, "secret": …}}`) of this project, and which of
 * them are secrets. A secret's value stays hidden: it stands as `[secret]`, enough to know the key is set.
 */
export function pulumiConfigValues(json: string): { values: Record<string, string>; secrets: Set<string> } {
  const parsed = JSON.parse(json) as Record<string, { value?: unknown; secret?: unknown }>;
  const all = Object.fromEntries(
    Object.entries(parsed).map(([key, entry]) => [key, entry?.secret === true ? "[secret]" : String(entry?.value ?? "")]),
  );
  const secrets = Object.entries(parsed).flatMap(([key, entry]) => (entry?.secret === true ? [key] : []));
  return {
    values: projectConfig(all, PROJECT),
    secrets: new Set(Object.keys(projectConfig(Object.fromEntries(secrets.map((k) => [k, ""])), PROJECT))),
  };
}

if (require.main === module) {
  try {
    const { values, secrets } = pulumiConfigValues(readFileSync(0, "utf8"));
    const plan = imagePlan(values, secrets);
    console.log(plan.map((choice) => `${choice.key} ${choice.origin} ${choice.official} ${choice.local}`).join("\n"));
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : `imagePlan: ${(error as Error).message}`);
    process.exit(2);
  }
}

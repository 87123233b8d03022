// What scripts/up.sh asks before `pulumi up`: which images a stack would use with the official defaults and with
// the local ones (IMAGES_ENV), so it can check that they are there, or fall back, before anything is created.
//   pulumi config --json --stack <stack> | tsx infra/imagePlan.ts
// prints one line per image key: `<key> <stack|default> <official image> <local image>`. A stack config that does
// not validate fails here, with every problem named, before anything is set up or created.

import { readFileSync } from "node:fs";
import { ConfigError, IMAGE_KEYS, IMAGES_ENV, type ImageKey, parseProjectStackConfig, projectConfig } from "./config";

const PROJECT = "flink-checkpointer";

export interface ImageChoice {
  /** The image keys, and s3Image when the stack runs its own S3 server. */
  readonly key: ImageKey | "s3Image";
  /** Whether the stack's config names the image, or it is a default (then local images can stand in). */
  readonly origin: "stack" | "default";
  readonly official: string;
  readonly local: string;
}

/** The images of a stack (its whole config map) under both kinds of defaults. Throws ConfigError for an invalid stack config. */
export function imagePlan(all: Readonly<Record<string, string>>, secretKeys: ReadonlySet<string> = new Set()): ImageChoice[] {
  const official = parseProjectStackConfig(all, PROJECT, { [IMAGES_ENV]: "official" }, secretKeys);
  const local = parseProjectStackConfig(all, PROJECT, { [IMAGES_ENV]: "local" }, secretKeys);
  const s3Server: ImageChoice[] =
    official.s3?.inStack && local.s3
      ? [
          {
            key: "s3Image",
            origin: (all[`${PROJECT}:s3Image`] ?? "").trim() ? "stack" : "default",
            official: official.s3.image,
            local: local.s3.image,
          },
        ]
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
 * The values of `pulumi config --json` (`{"<namespace>:<key>": {"value": …, "secret": …}}`), every namespace, and
 * which of the project's keys are secrets. A secret's value stays hidden: it stands as `[secret]`, enough to know the
 * key is set.
 */
export function pulumiConfigValues(json: string): { values: Record<string, string>; secrets: Set<string> } {
  const parsed = JSON.parse(json) as Record<string, { value?: unknown; secret?: unknown }>;
  const values = Object.fromEntries(
    Object.entries(parsed).map(([key, entry]) => [key, entry?.secret === true ? "[secret]" : String(entry?.value ?? "")]),
  );
  const secrets = Object.entries(parsed).flatMap(([key, entry]) => (entry?.secret === true ? [key] : []));
  return { values, secrets: new Set(Object.keys(projectConfig(Object.fromEntries(secrets.map((k) => [k, ""])), PROJECT))) };
}

/** Reads `pulumi config --json` from `input` and prints the plan; exit 2 with every problem for an invalid config. */
export async function main(_argv: readonly string[], input: () => string = () => readFileSync(0, "utf8")): Promise<number> {
  try {
    const { values, secrets } = pulumiConfigValues(input());
    const plan = imagePlan(values, secrets);
    console.log(plan.map((choice) => `${choice.key} ${choice.origin} ${choice.official} ${choice.local}`).join("\n"));
    return 0;
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : `imagePlan: ${(error as Error).message}`);
    return 2;
  }
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));

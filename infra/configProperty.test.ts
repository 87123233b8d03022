// The property of the stack config check: for any text in any key, parseStackConfig either accepts it and what reaches
// Flink's configuration reads back as the stack wrote it, or it reports that key. FLINK_PROPERTIES is read back here the
// way the images' entrypoints apply it, independently of the check's own rules, so a rule too loose fails this test.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JOB_FLAGS, jobArguments } from "../jobs/flink/settings";
import { FLINK_LINES, VERSIONS } from "../lib/versions";
import { CONFIG_KEYS, ConfigError, KIND_ONLY_KEYS, parseStackConfig, type StackConfig } from "./config";
import { flinkProperties, flinkPropertiesText, HOSTNAME_REFERENCE, haStorageDir, jobSettings, kubernetesHaProperties } from "./specs";

/** An environment reference as envsubst expands it. */
const HOME_REFERENCE = "$" + "{HOME}";
const PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";

/**
 * FLINK_PROPERTIES as the entrypoints apply it: lines, blank and '#' lines skipped, split at the first ':', trimmed,
 * `$VAR` and `${VAR}` expanded by envsubst (unset: empty). Then what Flink's readers make of the value: the legacy
 * flink-conf.yaml reader ends a value at '#', the images' tooling drops what follows a space, and the YAML reader of
 * config.yaml unquotes quotes and reads YAML's indicators at the start as structure; such a value is marked changed.
 */
function readFlinkProperties(text: string, env: Readonly<Record<string, string>>): Record<string, string> {
  const read: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon < 0) throw new Error(`line without ':' ${JSON.stringify(line)}`);
    const key = line.slice(0, colon).trim();
    let value = line.slice(colon + 1).trim();
    value = value.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, braced, bare) => env[braced ?? bare] ?? "");
    value = value.split("#")[0]!.split(/\s/)[0]!;
    if (/^['"[\]{}&*!|>%@`,?:-]/.test(value) && !/^-?\d/.test(value)) value = `<YAML ${value}>`;
    read[key] = value;
  }
  return read;
}

/** The job's command line as argparse reads it back: an option's value that starts with '-' (not a number) reads as an option. */
function readJobArguments(argv: readonly string[]): Record<string, string> {
  const read: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1]!;
    read[argv[i]!] = value.startsWith("-") && !/^-\d+$/.test(value) ? "<option>" : value;
  }
  return read;
}

/** Everything of the stack that reaches Flink's configuration, on the target of the stack. */
function flinkConfiguration(cfg: StackConfig): Record<string, string> {
  return flinkProperties(
    cfg,
    cfg.target === "kind" ? kubernetesHaProperties("flink-checkpointer-stack", cfg.namespace, haStorageDir(cfg)) : {},
  );
}

/** Values where a check goes wrong: the characters that change a value's meaning, around valid values. */
const TRICKY = [
  "\n",
  "\r",
  "\t",
  " ",
  "#",
  ": ",
  ":",
  "'",
  '"',
  "$",
  HOME_REFERENCE,
  "$HOME",
  "[",
  "{",
  "&",
  "*",
  "!",
  "|",
  ">",
  "%",
  "@",
  "`",
  "-",
  "/..",
  "/.",
  "//",
  "\\",
  "\u0000",
  "é",
  "\u2028",
];
const SEEDS = [
  "file:///checkpoints_flink",
  "file:///checkpoints_flink/0123456789abcdef0123456789abcdef/chk-7",
  "visits",
  "visit-windows",
  "flink-checkpointer",
  "2026-01-01T00:00:00Z",
  FLINK_LINES[VERSIONS.defaultFlinkLine]!.officialImage,
  "/etc/ssl/certs/ca.pem",
  "latest",
  "20000",
  "true",
];

const valueArbitrary = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc
    .tuple(fc.constantFrom(...SEEDS), fc.constantFrom(...TRICKY), fc.nat({ max: 80 }))
    .map(([seed, tricky, at]) => seed.slice(0, at % (seed.length + 1)) + tricky + seed.slice(at % (seed.length + 1))),
);

/** The stack the key is tried in: kind for the keys only kind reads (on docker they are refused whatever they hold). */
function rawFor(key: string, value: string): Record<string, string> {
  const kindOnly = (KIND_ONLY_KEYS as readonly string[]).includes(key);
  return {
    ...(kindOnly ? { target: "kind" } : {}),
    ...(key === "kindCluster" ? { kubeContext: `kind-${value.trim()}` } : {}),
    [key]: value,
  };
}

describe("the stack config, for any text in any key", () => {
  it.each(Object.keys(CONFIG_KEYS))("%s: is accepted and reaches Flink and the job unchanged, or is reported", (key) => {
    fc.assert(
      fc.property(valueArbitrary, (value) => {
        let cfg: StackConfig;
        try {
          cfg = parseStackConfig(rawFor(key, value), {}, new Set(), () => ({ text: PEM }));
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          // Reported: a problem names the key (its own, or a combination naming it).
          expect(error.problems.some((problem) => problem.startsWith(`${key}: `) || new RegExp(`\\b${key}\\b`).test(problem))).toBe(true);
          return;
        }
        const written = flinkConfiguration(cfg);
        expect(readFlinkProperties(flinkPropertiesText(written), { HOSTNAME: HOSTNAME_REFERENCE })).toEqual(written);
        const argv = jobArguments(jobSettings(cfg));
        expect(readJobArguments(argv)).toEqual(Object.fromEntries(argv.flatMap((a, i) => (i % 2 === 0 ? [[a, argv[i + 1]]] : []))));
      }),
      { numRuns: 150 },
    );
  });

  it("reads FLINK_PROPERTIES back as the entrypoints do, so the property can fail", () => {
    expect(
      readFlinkProperties(`a: file:///x#y\nb: 30 s\nc: 'q'\n# d: 1\ne: ${HOME_REFERENCE}/x\nf: [1, 2]\ng: -1`, { HOME: "/root" }),
    ).toEqual({
      a: "file:///x",
      b: "30",
      c: "<YAML 'q'>",
      e: "/root/x",
      f: "<YAML [1,>",
      g: "-1",
    });
    expect(readJobArguments([JOB_FLAGS.groupId, "-x", JOB_FLAGS.parallelism, "-1"])).toEqual({
      "--group-id": "<option>",
      "--parallelism": "-1",
    });
  });
});

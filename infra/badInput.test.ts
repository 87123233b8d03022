// Bad stack config: each case a stack's config as `pulumi config --json` gives it to scripts/up.sh's first step
// (infra/imagePlan.ts, which stops before anything is built or created), the exact lines it prints, exit 2, and the
// folder of the files it names unchanged. loadConfig in `pulumi up` reports the same problems (parseProjectStackConfig).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRefused } from "../lib/badInput";
import { main as imagePlan } from "./imagePlan";

let work = "";
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "bad-config-"));
  writeFileSync(join(work, "not-a-cert.pem"), "# a proxy's notes, no certificate\n");
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const P = "flink-checkpointer";
/** An environment reference as envsubst would expand it in FLINK_PROPERTIES. */
const HOME_REFERENCE = "$" + "{HOME}";
type Case = readonly [name: string, config: Readonly<Record<string, string>>, problems: readonly string[]];

const ISO = "use an ISO-8601 date-time with a zone from 1970 to 9999, like 2026-01-01T00:00:00Z or 2026-01-01T01:00:00+01:00";
const PEM_RULE = "give the absolute path of a readable PEM file of certificates (-----BEGIN CERTIFICATE-----), or unset the key";
const DIR_RULE =
  "use a file:// URI at or below /checkpoints_flink (the shared checkpoint volume) whose folders are letters, digits, '.', '_' and '-' " +
  "(not starting with '.' or '-'), e.g. file:///checkpoints_flink";
const TOPIC = "1-249 characters of letters, digits, '.', '_' or '-', not starting with '-', and not . or ..";
const IMAGE = "an image reference like name:tag ([registry[:port]/]lower-case path[:tag][@sha256:<digest>])";
const RESTORE =
  "use latest (the newest complete retained checkpoint, found at submission) or a retained checkpoint or savepoint under " +
  "checkpointDir, e.g. file:///checkpoints_flink/<job-id>/chk-<n>";

const CASES: readonly Case[] = [
  [
    "a newline in checkpointDir",
    { checkpointDir: "file:///checkpoints_flink/a\nstate.backend.type: rocksdb" },
    [`checkpointDir: "file:///checkpoints_flink/a\\nstate.backend.type: rocksdb" is not allowed; ${DIR_RULE}`],
  ],
  [
    "a '#' in checkpointDir",
    { checkpointDir: "file:///checkpoints_flink/a#b" },
    [`checkpointDir: "file:///checkpoints_flink/a#b" is not allowed; ${DIR_RULE}`],
  ],
  [
    "a '$' in checkpointDir",
    { checkpointDir: `file:///checkpoints_flink/${HOME_REFERENCE}` },
    [`checkpointDir: "file:///checkpoints_flink/${HOME_REFERENCE}" is not allowed; ${DIR_RULE}`],
  ],
  [
    "a space in checkpointDir",
    { checkpointDir: "file:///checkpoints_flink/my checkpoints" },
    [`checkpointDir: "file:///checkpoints_flink/my checkpoints" is not allowed; ${DIR_RULE}`],
  ],
  [
    "a dot folder in checkpointDir",
    { checkpointDir: "file:///checkpoints_flink/./x" },
    [`checkpointDir: "file:///checkpoints_flink/./x" is not allowed; ${DIR_RULE}`],
  ],
  [
    "the stack's jar folder as checkpointDir",
    { checkpointDir: "file:///checkpoints_flink/jars" },
    [
      'checkpointDir: "file:///checkpoints_flink/jars" is not allowed; /checkpoints_flink/jars is the stack\'s own folder ' +
        "(/checkpoints_flink/jars uploaded jars, /checkpoints_flink/ha high availability); use file:///checkpoints_flink or another folder below it",
    ],
  ],
  [
    "restoreFrom leaving the volume",
    { restoreFrom: "file:///checkpoints_flink/../etc/chk-1" },
    [`restoreFrom: "file:///checkpoints_flink/../etc/chk-1" is not allowed; ${RESTORE}`],
  ],
  [
    "a quote in restoreFrom",
    { restoreFrom: "file:///checkpoints_flink/x/savepoint-'1'" },
    [`restoreFrom: "file:///checkpoints_flink/x/savepoint-'1'" is not allowed; ${RESTORE}`],
  ],
  [
    "a start time without a zone",
    { generatorStartTime: "2026-01-01T00:00:00" },
    [`generatorStartTime: "2026-01-01T00:00:00" is not allowed; ${ISO}`],
  ],
  [
    "a start time Date.parse moves to March",
    { generatorStartTime: "2026-02-30T00:00:00Z" },
    [`generatorStartTime: "2026-02-30T00:00:00Z" is not allowed; ${ISO}`],
  ],
  ["a start time of a year only", { generatorStartTime: "2026" }, [`generatorStartTime: "2026" is not allowed; ${ISO}`]],
  [
    "a start time before 1970",
    { generatorStartTime: "1969-12-31T23:59:59Z" },
    [`generatorStartTime: "1969-12-31T23:59:59Z" is not allowed; ${ISO}`],
  ],
  ["a relative CA file", { extraCaCertsFile: "proxy.pem" }, [`extraCaCertsFile: "proxy.pem" is not an absolute path; ${PEM_RULE}`]],
  ["a missing CA file", { extraCaCertsFile: "@missing.pem" }, [`extraCaCertsFile: "@missing.pem" does not exist; ${PEM_RULE}`]],
  ["a CA folder", { extraCaCertsFile: "@" }, [`extraCaCertsFile: "@" is not a file; ${PEM_RULE}`]],
  [
    "a CA file without a certificate",
    { extraCaCertsFile: "@not-a-cert.pem" },
    [`extraCaCertsFile: "@not-a-cert.pem" holds no PEM certificate; ${PEM_RULE}`],
  ],
  ["an upper-case image", { flinkImage: "Flink:2.2" }, [`flinkImage: "Flink:2.2" is not allowed; use ${IMAGE}`]],
  ["an image with an empty tag", { nodeImage: "node:" }, [`nodeImage: "node:" is not allowed; use ${IMAGE}`]],
  [
    "an image of another Flink line",
    { flinkImage: "flink:1.20-java17" },
    [
      'flinkImage: "flink:1.20-java17" is tagged for Flink 1.20, but flinkVersion is 2.2, whose PyFlink and connector the job image ' +
        "would put on it; use an image of that line, or set flinkVersion to the image's line",
    ],
  ],
  [
    "kafkaVersion beside kafkaImage",
    { kafkaImage: "apache/kafka:4.1.1", kafkaVersion: "4.0.0" },
    [
      "kafkaVersion: set beside kafkaImage, which then decides the Kafka version alone; remove kafkaVersion, or remove kafkaImage to take the image of kafkaVersion",
    ],
  ],
  ["a topic the job reads as an option", { visitsTopic: "-visits" }, [`visitsTopic: "-visits" is not allowed; use ${TOPIC}`]],
  ["a topic Kafka refuses", { dlqTopic: ".." }, [`dlqTopic: ".." is not allowed; use ${TOPIC}`]],
  [
    "a group the job reads as an option",
    { groupId: "--help" },
    [`groupId: "--help" is not allowed; use 1-200 letters, digits, '.', '_' or '-', not starting with '-'`],
  ],
  [
    "an EXACTLY_ONCE interval near the transaction timeout",
    { checkpointIntervalMs: "400000" },
    [
      "checkpointIntervalMs: 400000 with checkpointMode EXACTLY_ONCE is not well below the Kafka transaction timeout of the job's sink " +
        "(600000 ms): a transaction stays open for an interval and must be committed after a recovery; use at most 300000, or checkpointMode AT_LEAST_ONCE",
    ],
  ],
  [
    "a restart backoff Flink refuses",
    { restartBackoffMs: "0" },
    ['restartBackoffMs: "0" is not allowed; use a whole number from 1 to 60000'],
  ],
  [
    "a generator delay range the generator refuses",
    { generatorDelayMinMs: "0", generatorDelayMaxMs: "0" },
    ['generatorDelayMaxMs: "0" is not allowed; use a whole number from 1 to 3600000'],
  ],
  [
    "visits too slow for any window to fire",
    { generatorDelayMinMs: "15000", generatorDelayMaxMs: "20000" },
    [
      "generatorDelayMinMs: 15000 spreads 4 pages of a visit over at least 45 s, more than the job's 45 s window with its count trigger of 4, " +
        "so no window would ever fire; use below 15000 (and generatorDelayMaxMs to match)",
    ],
  ],
  [
    "kind keys on a docker stack",
    { target: "docker", namespace: "team-a", kubeContext: "kind-x" },
    [
      "kubeContext: set, but target is docker, which never reads it (only the kind target does); remove it, or set target to kind",
      "namespace: set, but target is docker, which never reads it (only the kind target does); remove it, or set target to kind",
    ],
  ],
];

const FOREIGN: readonly Case[] = [
  [
    "a mistyped namespace",
    { "flink-checkpointr:target": "kind" },
    [
      "flink-checkpointr:target: namespace \"flink-checkpointr\" is neither this project's (flink-checkpointer) nor Pulumi's or a " +
        "provider's (pulumi, docker, kubernetes), so nothing reads it: probably mistyped; did you mean flink-checkpointer:target?",
    ],
  ],
  [
    "a namespace of no key of ours",
    { "aws:region": "eu-west-1" },
    [
      "aws:region: namespace \"aws\" is neither this project's (flink-checkpointer) nor Pulumi's or a provider's " +
        "(pulumi, docker, kubernetes), so nothing reads it: probably mistyped; remove it",
    ],
  ],
];

/** `@` in a value stands for the case's folder. */
const inWork = (value: string) => value.replace(/^@/, `${work}/`);

function configJson(config: Readonly<Record<string, string>>, namespaced: boolean): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(config).map(([key, value]) => [namespaced ? key : `${P}:${key}`, { value: inWork(value), secret: false }]),
    ),
  );
}

async function expectRefused(config: Readonly<Record<string, string>>, problems: readonly string[], namespaced = false) {
  const refusal = await runRefused((argv) => imagePlan(argv, () => configJson(config, namespaced)), [], [work]);
  const prefixed = problems.map((problem) => inWork(problem.replace(/"@/, `"${work}/`)));
  expect(refusal.errors).toEqual([
    `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):`,
    ...prefixed.flatMap((problem) => `  - ${namespaced ? problem : `${P}:${problem}`}`.split("\n")),
  ]);
  expect(refusal.code).toBe(2);
  expect(refusal.output).toEqual([]);
  expect(refusal.after).toEqual(refusal.before);
}

describe("bad stack config, refused before anything is built or created", () => {
  it.each(CASES)("%s", async (_, config, problems) => expectRefused(config, problems));
  it.each(FOREIGN)("%s", async (_, config, problems) => expectRefused(config, problems, true));

  it("lets the namespaces of Pulumi and its providers through, and plans the images", async () => {
    const refusal = await runRefused(
      (argv) =>
        imagePlan(argv, () =>
          configJson({ [`${P}:target`]: "docker", "docker:host": "unix:///var/run/docker.sock", "pulumi:tags": "{}" }, true),
        ),
      [],
      [work],
    );
    expect(refusal.code).toBe(0);
    expect(refusal.output[0]).toMatch(/^flinkImage default /);
  });
});

// Bad input to the verification's commands: each case a command line a user could type, the exact lines the command
// prints, exit 2, and nothing created, changed or deleted in the folder its paths point into.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRefused } from "../../lib/badInput";
import { main as checkpoints } from "./checkpoints";
import { main as readerCheck } from "./readerCheck";
import { main as reportCheck } from "./reportCheck";
import { main as verify } from "./verify";

let work = "";
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "bad-input-"));
  writeFileSync(join(work, "outputs.json"), "{}\n");
  mkdirSync(join(work, "reports"));
  writeFileSync(join(work, "reports", "faults.json"), '{"kept": true}\n');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Paths in a case's arguments: `@` stands for the case's folder. */
const inWork = (argv: readonly string[]) => argv.map((argument) => argument.replace(/^@/, `${work}/`).replace(/=@/, `=${work}/`));

type Case = readonly [argv: readonly string[], lines: readonly string[]];

const STACK = "a Pulumi stack name: 1 to 100 letters, digits, '-', '_' or '.'";
const SECONDS = "a number of seconds from 0.001 to 86400";

const VERIFY: readonly Case[] = [
  [[], ["verify: say which stack to verify: --stack <name> (or --outputs-file <json>)"]],
  [["--stack", "my stack"], [`verify: --stack "my stack" is not allowed: ${STACK}`]],
  [["--stack", "ci", "--checkpoint-timeout", "1e9"], [`verify: --checkpoint-timeout "1e9" is not allowed: ${SECONDS}`]],
  [["--stack", "ci", "--cancel-timeout", "86401"], [`verify: --cancel-timeout "86401" is not allowed: ${SECONDS}`]],
  [["--stack", "ci", "--restore-timeout", "-0"], [`verify: --restore-timeout "-0" is not allowed: ${SECONDS}`]],
  [["--stack", "ci", "--read-timeout=Infinity"], [`verify: --read-timeout "Infinity" is not allowed: ${SECONDS}`]],
  [["--stack", "ci", "--repeat", "0x10"], ['verify: --repeat "0x10" is not allowed: a whole number from 1 to 100']],
  [["--stack", "ci", "--min-checkpoints", "1001"], ['verify: --min-checkpoints "1001" is not allowed: a whole number from 1 to 1000']],
  [["--stack", "ci", "--malformed", "NaN"], ['verify: --malformed "NaN" is not allowed: a whole number from 0 to 100']],
  [
    ["--stack", "ci", "--job-id", "abc"],
    ['verify: --job-id "abc" is not allowed: a Flink job id: 32 hexadecimal digits, as in the Flink UI'],
  ],
  [
    ["--stack", "ci", "--flink-url", "127.0.0.1:8081"],
    ['verify: --flink-url "127.0.0.1:8081" is not allowed: an http:// or https:// URL with a host, such as http://127.0.0.1:8081'],
  ],
  [
    ["--stack", "ci", "--kafka-bootstrap", "kafka:0"],
    ['verify: --kafka-bootstrap "kafka:0" is not allowed: host:port with a port from 1 to 65535, such as 127.0.0.1:9094'],
  ],
  [
    ["--stack", "ci", "--modes", "ONCE"],
    ['verify: --modes "ONCE" is not allowed: EXACTLY_ONCE and/or AT_LEAST_ONCE, comma-separated, or both'],
  ],
  [
    ["--outputs-file", "@outputs.json", "--modes", "both"],
    ["verify: --modes needs --stack: a mode the stack does not run gets a stack of its own, derived from it"],
  ],
  [["--stack", "ci", "--soak=3"], ['verify: --soak "3" is not allowed: --soak takes no value']],
  [["--stack", "ci", "--stack", "docker"], ['verify: --stack is given twice ("ci" and "docker"); give it once']],
  [
    ["--stack", "ci", "--report", "@outputs.json/report.json"],
    ['verify: --report "@outputs.json/report.json" is not allowed: a file this user can write (@outputs.json is not a folder)'],
  ],
  [
    ["--stack", "ci", "--outputs-file", "@outputs.json", "--report", "@reports"],
    ["verify: give either --stack or --outputs-file, not both"],
  ],
];

const CHECKPOINTS: readonly Case[] = [
  [[], ["checkpoints: no command; allowed: list, inspect, prune"]],
  [["restore"], ['checkpoints: unknown command "restore"; allowed: list, inspect, prune']],
  [["prune"], ["checkpoints: prune needs --keep <N>: how many complete checkpoints to keep per job folder (1 to 1000)"]],
  [
    ["prune", "--keep", "0", "--apply"],
    ['checkpoints: --keep "0" is not allowed: a whole number from 1 to 1000; the newest complete checkpoint is always kept'],
  ],
  [
    ["prune", "--keep=99999999999999999999"],
    [
      'checkpoints: --keep "99999999999999999999" is not allowed: a whole number from 1 to 1000; the newest complete checkpoint is always kept',
    ],
  ],
  [
    ["inspect", "chk-3"],
    ['checkpoints: <checkpoint> "chk-3" is not allowed: latest, or a chk-N folder on the volume as an absolute path or a file:// URI'],
  ],
  [["list", "--stack", "ci/other"], [`checkpoints: --stack "ci/other" is not allowed: ${STACK}`]],
  [["list", "--all"], ['checkpoints: unexpected argument "--all" for list; allowed: --json, --stack <name>']],
  [
    ["inspect", "latest", "--apply"],
    ['checkpoints: unexpected argument "--apply" for inspect; allowed: <checkpoint | latest>, --json, --stack <name>'],
  ],
];

const BOOTSTRAP = "host:port with a port from 1 to 65535, such as 127.0.0.1:9094";
const READER_CHECK: readonly Case[] = [
  [
    [],
    [
      `reader-check: --kafka-bootstrap is required: the broker as this machine reaches it, ${BOOTSTRAP}`,
      "reader-check: --docker-container is required: a Docker container name (letters, digits, '_', '.', '-', starting with a letter or digit)",
    ],
  ],
  [
    ["--kafka-bootstrap", "kafka:99999", "--docker-container", "kafka-ci"],
    [`reader-check: --kafka-bootstrap "kafka:99999" is not allowed: the broker as this machine reaches it, ${BOOTSTRAP}`],
  ],
  [
    ["--kafka-bootstrap", "127.0.0.1:9094", "--docker-container", "kafka-ci", "--timeout-ms", "999"],
    ['reader-check: --timeout-ms "999" is not allowed: a whole number of milliseconds from 1000 to 600000'],
  ],
  [
    ["--kafka-bootstrap", "127.0.0.1:9094", "--docker-container", "kafka-ci", "--topic", "bad topic"],
    [`reader-check: --topic "bad topic" is not allowed: a Kafka topic name: 1 to 249 letters, digits, '.', '_' or '-'`],
  ],
  [["--kafka-bootstrap", "127.0.0.1:9094", "--docker-container", "kafka-ci", "--data-dir"], ["reader-check: --data-dir needs a value"]],
];

const PAGE_OR_PLOT = "an HTML report page (.html) or a plot (.svg), such as reports/faults.html";
const REPORT_CHECK: readonly Case[] = [
  [[], [`report-check: no page or plot named; allowed: one or more of ${PAGE_OR_PLOT}`]],
  [["@reports/faults.json"], [`report-check: <page or plot> "@reports/faults.json" is not allowed: ${PAGE_OR_PLOT}`]],
  [["--fast", "@reports/faults.html"], ['report-check: unknown option "--fast"; allowed: --help, and the pages and plots to check']],
  [["@reports/gone.html"], ['report-check: <page or plot> "@reports/gone.html" is not allowed: an existing file; no such file here']],
];

describe.each([
  ["npm run verify", verify, VERIFY],
  ["npm run checkpoints", checkpoints, CHECKPOINTS],
  ["npm run reader-check", readerCheck, READER_CHECK],
  ["npm run report-check", reportCheck, REPORT_CHECK],
] as const)("%s with bad arguments", (_command, main, cases) => {
  it.each(cases.map(([argv, lines]) => [argv.join(" ") || "(none)", argv, lines] as const))(
    "%s: says what is wrong, exits 2, changes nothing",
    async (_shown, argv, lines) => {
      const refusal = await runRefused(main, inWork(argv), [work]);
      expect(refusal.errors).toEqual(lines.map((line) => line.replaceAll("@", `${work}/`)));
      expect(refusal.code).toBe(2);
      expect(refusal.output).toEqual([]);
      expect(refusal.after).toEqual(refusal.before);
    },
  );
});

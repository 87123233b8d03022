// Bad input to `npm run bench`: the exact lines it prints, exit 2, and nothing created, changed or deleted in the
// folder its paths point into (no derived stack is looked at either: the refusal comes first).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRefused } from "../lib/badInput";
import { main } from "./cli";
import { RECOVERY_VARIANTS } from "./recovery";

let work = "";
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "bench-bad-input-"));
  writeFileSync(join(work, "recovery.json"), '{"kept": true}\n');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CASES: readonly (readonly [argv: readonly string[], lines: readonly string[]])[] = [
  [[], ["bench: name the benchmarks to run: --recovery, --storage, --throughput, --latency, --backlog, --state, --lines"]],
  [["--recovery", "--runs", "21"], ['bench: --runs "21" is not allowed: a whole number from 1 to 20']],
  [["--backlog", "--backlog-events", "1e6"], ['bench: --backlog-events "1e6" is not allowed: a whole number from 1000 to 2000000']],
  [["--recovery", "--stack", ""], [`bench: --stack "" is not allowed: a Pulumi stack name: 1 to 100 letters, digits, '-', '_' or '.'`]],
  [["--smoke", "--recovery"], ["bench: --smoke has miniatures of --throughput, --latency, --backlog and --state, not of --recovery"]],
  [
    ["--recovery", "--settings", "fastest"],
    [
      `bench: --settings "fastest" is not allowed: unknown settings fastest; allowed: all or a comma-separated list of ${RECOVERY_VARIANTS.map((v) => v.suffix).join(", ")}`,
    ],
  ],
  [
    ["--recovery", "--reports", "@recovery.json"],
    ['bench: --reports "@recovery.json" is not allowed: a folder this user can write (@recovery.json is not a folder)'],
  ],
];

describe("npm run bench with bad arguments", () => {
  it.each(CASES.map(([argv, lines]) => [argv.join(" ") || "(none)", argv, lines] as const))(
    "%s: says what is wrong, exits 2, changes nothing",
    async (_shown, argv, lines) => {
      const refusal = await runRefused(
        main,
        argv.map((argument) => argument.replace(/^@/, `${work}/`)),
        [work],
      );
      expect(refusal.errors).toEqual(lines.map((line) => line.replaceAll("@", `${work}/`)));
      expect(refusal.code).toBe(2);
      expect(refusal.output).toEqual([]);
      expect(refusal.after).toEqual(refusal.before);
    },
  );
});

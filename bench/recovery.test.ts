import { describe, expect, it } from "vitest";
import { CONFIG_KEYS } from "../infra/config";
import type { MatrixRow } from "../verify";
import { parseBenchArguments } from "./cli";
import { RECOVERY_VARIANTS, renderRecoveryChart, renderRecoveryTable, selectVariants, speedups, spread, summarize } from "./recovery";

const row = (over: Partial<MatrixRow>, timings: MatrixRow["timings"]): MatrixRow => ({
  fault: "taskmanager-crash",
  mode: "EXACTLY_ONCE",
  run: 1,
  ok: true,
  duplicates: 0,
  missing: 0,
  unexpected: 0,
  restored: 5,
  expected: 5,
  deadLetters: "",
  timings,
  explanation: "",
  error: null,
  ...over,
});

describe("spread", () => {
  it("gives median, least and greatest of what was measured", () => {
    expect(spread([30_000, 10_000, 20_000])).toEqual({ n: 3, median: 20_000, min: 10_000, max: 30_000 });
    expect(spread([4, undefined, 2])).toEqual({ n: 2, median: 3, min: 2, max: 4 });
    expect(spread([undefined])).toEqual({ n: 0, median: null, min: null, max: null });
  });
});

describe("the recovery benchmark's results", () => {
  const slow = summarize(
    "Flink's defaults",
    "ci-a",
    {},
    [
      row({}, { faultToDetected: 17_000, faultToRunning: 58_000, faultToFirstCommittedOutput: 70_000 }),
      row({ run: 2 }, { faultToDetected: 15_000, faultToRunning: 50_000, faultToFirstCommittedOutput: 66_000 }),
    ],
    null,
  );
  const fast = summarize(
    "standby",
    "ci-b",
    {},
    [
      row({}, { faultToDetected: 3_000, faultToRunning: 13_000, faultToFirstCommittedOutput: 20_000 }),
      row({ run: 2, ok: false }, { faultToDetected: 3_000, faultToRunning: 14_000 }),
    ],
    null,
  );

  it("counts only runs whose checks held as passed", () => {
    expect([slow.passed, fast.passed]).toEqual([2, 1]);
    expect(fast.firstCommittedOutput).toEqual({ n: 1, median: 20_000, min: 20_000, max: 20_000 });
  });

  it("compares each setting's median time to RUNNING with the first's", () => {
    expect(speedups([slow, fast])).toEqual([1, 54_000 / 13_500]);
    expect(speedups([summarize("none", "x", {}, [], "up failed"), fast])).toEqual([null, null]);
  });

  it("tabulates seconds as median (least–greatest) and names a setting that could not run", () => {
    const table = renderRecoveryTable([slow, fast, summarize("broken", "ci-c", {}, [], "pulumi up failed")]);
    expect(table).toContain("| Flink's defaults | 2/2 | 16.0 (15.0–17.0) | 54.0 (50.0–58.0) | 68.0 (66.0–70.0) | – | 1.00x |");
    expect(table).toContain("| standby | 1/2 | 3.0 (3.0–3.0) | 13.5 (13.0–14.0) |");
    expect(table).toContain("4.00x");
    expect(table).toContain("- broken: pulumi up failed");
  });

  it("draws a bar per setting and escapes labels", () => {
    const svg = renderRecoveryChart([slow, summarize("<b>x</b>", "s", {}, [], null)]);
    expect(svg.match(/<title>RUNNING /g)).toHaveLength(1);
    expect(svg.match(/<title>first committed output /g)).toHaveLength(1);
    expect(svg).toContain("&lt;b&gt;x&lt;/b&gt;");
    expect(svg).not.toContain("<b>");
    // Whole 5 s ticks up to the first past the greatest time (70 s).
    expect(svg).toContain(">70 s</text>");
    expect(svg).not.toContain(">75 s</text>");
  });

  it("derives each setting on its own ports, so none collides with the base stack", () => {
    expect(new Set(RECOVERY_VARIANTS.map((v) => v.portShift)).size).toBe(RECOVERY_VARIANTS.length);
    expect(RECOVERY_VARIANTS.every((v) => v.portShift > 10)).toBe(true);
  });

  it("labels as the stack's defaults the setting that has them", () => {
    const defaults = RECOVERY_VARIANTS.find((v) => v.label.includes("(the stack's defaults)"))!;
    expect(Object.entries(defaults.changes).filter(([key, value]) => CONFIG_KEYS[key]!.default !== value)).toEqual([]);
  });

  it("runs the settings asked for in the benchmark's order; Flink's defaults and the stack's when none is named", () => {
    expect(selectVariants(null).map((v) => v.suffix)).toEqual(["bench-flink-defaults", "bench-fast-standby"]);
    expect(selectVariants(null).map((v) => v.label)).toContain(
      RECOVERY_VARIANTS.find((v) => v.label.includes("(the stack's defaults)"))!.label,
    );
    expect(selectVariants(["bench-fast-standby", "bench-fast-thread"]).map((v) => v.suffix)).toEqual([
      "bench-fast-thread",
      "bench-fast-standby",
    ]);
  });
});

describe("npm run bench's arguments", () => {
  it("takes the benchmark, base stack and runs", () => {
    expect(parseBenchArguments(["--recovery", "--runs", "5", "--stack", "ci"])).toEqual({
      recovery: true,
      storage: false,
      throughput: false,
      latency: false,
      backlog: false,
      state: false,
      lines: false,
      smoke: false,
      stack: "ci",
      runs: 5,
      settings: null,
      reports: "reports/bench",
      backlogEvents: null,
    });
    expect(parseBenchArguments(["--backlog", "--backlog-events", "1000000"])).toMatchObject({ backlog: true, backlogEvents: 1_000_000 });
    expect(() => parseBenchArguments(["--backlog", "--backlog-events", "10"])).toThrow(
      '--backlog-events "10" is not allowed: a whole number from 1000 to 2000000',
    );
    expect(parseBenchArguments(["--recovery", "--settings", "bench-fast-thread,bench-fast-standby"])).toMatchObject({
      settings: ["bench-fast-thread", "bench-fast-standby"],
    });
    expect(parseBenchArguments(["--recovery", "--settings", "all"])).toMatchObject({ settings: RECOVERY_VARIANTS.map((v) => v.suffix) });
    expect(parseBenchArguments(["--throughput", "--latency", "--smoke", "--stack", "ci"])).toMatchObject({
      recovery: false,
      throughput: true,
      latency: true,
      backlog: false,
      state: false,
      smoke: true,
      stack: "ci",
    });
  });

  it("takes the comparison of the Flink lines alone, with its runs and backlog", () => {
    expect(parseBenchArguments(["--lines", "--runs", "2", "--backlog-events", "50000"])).toMatchObject({
      lines: true,
      recovery: false,
      backlog: false,
      runs: 2,
      backlogEvents: 50_000,
    });
  });

  it("takes the backlog and state benchmarks, and --smoke alone as every miniature", () => {
    expect(parseBenchArguments(["--backlog", "--state"])).toMatchObject({ recovery: false, backlog: true, state: true, smoke: false });
    expect(parseBenchArguments(["--smoke", "--stack", "ci"])).toMatchObject({
      throughput: true,
      latency: true,
      backlog: true,
      state: true,
      smoke: true,
      stack: "ci",
    });
    expect(parseBenchArguments(["--smoke", "--state"])).toMatchObject({
      throughput: false,
      latency: false,
      backlog: false,
      state: true,
      smoke: true,
    });
  });

  it("names every problem and what is allowed", () => {
    expect(() => parseBenchArguments([])).toThrow(
      "name the benchmarks to run: --recovery, --storage, --throughput, --latency, --backlog, --state, --lines",
    );
    expect(() => parseBenchArguments(["--smoke", "--recovery"])).toThrow(
      "--smoke has miniatures of --throughput, --latency, --backlog and --state, not of --recovery",
    );
    expect(() => parseBenchArguments(["--smoke", "--lines"])).toThrow(
      "--smoke has miniatures of --throughput, --latency, --backlog and --state, not of --lines",
    );
    expect(() => parseBenchArguments(["--recovery", "--runs", "0", "--fast"])).toThrow(
      '--runs "0" is not allowed: a whole number from 1 to 20\nunknown argument "--fast"; allowed: --recovery, --storage, --throughput, --latency, --backlog, --state, --lines, --smoke, --stack <base>, --runs <n>, --settings <list>, --reports <dir>',
    );
    expect(() => parseBenchArguments(["--recovery", "--settings", "bench-fast-thread,fastest"])).toThrow(
      `--settings "bench-fast-thread,fastest" is not allowed: unknown settings fastest; allowed: all or a comma-separated list of ${RECOVERY_VARIANTS.map((v) => v.suffix).join(", ")}`,
    );
  });
});

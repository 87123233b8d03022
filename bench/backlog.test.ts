import { describe, expect, it } from "vitest";
import { JOB_DEFAULTS } from "../jobs/flink/settings";
import { VisitSchedule } from "../jobs/generator/schedule";
import {
  BACKLOG_PLAN,
  BACKLOG_SMOKE_PLAN,
  type BacklogResult,
  backlogLoad,
  backlogMeasured,
  backlogPlanFor,
  backlogRatios,
  backlogStartTimes,
  catchUpRate,
  renderBacklogChart,
  renderBacklogTable,
} from "./backlog";
import { benchJobSettings, benchNames, type CatchUp, recordsBetween, totalOf } from "./benchJob";

const run = (over: Partial<CatchUp>): CatchUp => ({
  jobId: "j",
  submittedMs: 6_100,
  runningMs: 9_800,
  caughtUpMs: 12_400,
  checkpointId: 3,
  samples: [],
  ...over,
});

const result = (over: Partial<BacklogResult> = {}): BacklogResult => ({
  plan: BACKLOG_PLAN,
  inputRecords: 1_010_000,
  generator: {
    backlog: { sent: 1_000_000, seconds: 210.4, perSecond: 4752.9, stoppedBy: "max-events" },
    tail: { sent: 10_000, seconds: 2.1, perSecond: 4761.9, stoppedBy: "max-events" },
  },
  checkpoint: { id: 21, path: "file:/checkpoints_flink/4a1c/chk-21" },
  restore: run({
    samples: [
      { atMs: 10_000, behind: 10_000 },
      { atMs: 11_000, behind: 0 },
      { atMs: 12_400, behind: 0 },
    ],
  }),
  restoreRecords: 10_000,
  earliest: run({
    submittedMs: 6_000,
    runningMs: 10_000,
    caughtUpMs: 251_000,
    samples: [
      { atMs: 10_000, behind: 1_010_000 },
      { atMs: 130_000, behind: 500_000 },
      { atMs: 251_000, behind: 0 },
    ],
  }),
  earliestRecords: 1_010_000,
  error: null,
  ...over,
});

describe("the backlog benchmark's load", () => {
  it("starts the tail's event time after the backlog's last event, as the generator plays it", () => {
    const now = Date.UTC(2026, 11, 2, 4);
    const starts = backlogStartTimes(BACKLOG_SMOKE_PLAN, now);
    const load = backlogLoad(BACKLOG_SMOKE_PLAN, "t", BACKLOG_SMOKE_PLAN.events, starts.backlog, 1);
    const schedule = new VisitSchedule({
      seed: load.seed,
      concurrentVisits: load.visits,
      delayMinMs: load.delayMinMs,
      delayMaxMs: load.delayMaxMs,
      startTimeMs: Date.parse(load.startTime!),
    });
    let last = 0;
    for (let i = 0; i < load.maxEvents; i++) last = Date.parse(schedule.next().event.event_time);
    expect(last).toBeGreaterThan(now);
    expect(Date.parse(starts.tail)).toBeGreaterThan(last);
    // …but not far after it: the tail is the input that follows.
    expect(Date.parse(starts.tail) - last).toBeLessThan(120_000);
  });

  it("counts records per partition between offsets", () => {
    expect(recordsBetween({ 0: 400, 1: 350 }, { 0: 500, 1: 360 })).toBe(110);
    expect(recordsBetween({}, { 0: 5, 1: 7 })).toBe(12);
    expect(totalOf({ 0: 5, 1: 7 })).toBe(12);
  });
});

describe("the benchmark's own job", () => {
  it("runs the stack's job on topics, a group, a job name and transactions of its own", () => {
    const stack = { ...JOB_DEFAULTS, checkpointIntervalMs: 10_000 };
    const names = benchNames("backlog", "m1x");
    expect(names).toEqual({
      input: "bench-state-backlog-m1x-visits",
      output: "bench-state-backlog-m1x-windows",
      dlq: "bench-state-backlog-m1x-dlq",
      group: "bench-state-backlog-m1x",
      jobName: "bench-state-backlog-m1x",
    });
    expect(benchJobSettings(stack, names, { checkpointIntervalMs: 3_600_000 })).toEqual({
      ...stack,
      inputTopic: names.input,
      outputTopic: names.output,
      dlqTopic: names.dlq,
      groupId: names.group,
      jobName: names.jobName,
      transactionalIdPrefix: names.jobName,
      checkpointIntervalMs: 3_600_000,
    });
  });
});

describe("the backlog benchmark's figures", () => {
  it("compares the catch-up from the submission and from RUNNING", () => {
    const ratios = backlogRatios(result());
    expect(ratios.fromSubmission).toBeCloseTo(251_000 / 12_400);
    expect(ratios.fromRunning).toBeCloseTo(241_000 / 2_600);
    expect(backlogRatios(result({ earliest: null }))).toEqual({ fromSubmission: null, fromRunning: null });
    expect(catchUpRate(run({}), 10_000)).toBeCloseTo(10_000 / 2.6);
  });

  it("tabulates both starts and says whether the goal was met", () => {
    const table = renderBacklogTable(result());
    expect(table).toContain("| from checkpoint 21 (retained) | 10,000 | 6.1 | 9.8 | 12.4 | 3,846 |");
    expect(table).toContain("| without state, from the earliest offsets | 1,010,000 | 6.0 | 10.0 | 251.0 | 4,191 |");
    expect(table).toContain("Caught up 20.2x sooner");
    expect(table).toContain("goal: at least 10x — met");
    const slow = renderBacklogTable(result({ earliest: run({ caughtUpMs: 60_000, runningMs: 10_000 }) }));
    expect(slow).toContain("4.8x sooner");
    expect(slow).toContain("NOT met");
    expect(renderBacklogTable(result({ restore: null, error: "job x ended" }))).toContain("Incomplete: job x ended");
  });

  it("asks for both catch-ups and a tail to restore for a measured run", () => {
    expect(backlogMeasured(result())).toBe(true);
    expect(backlogMeasured(result({ restore: null }))).toBe(false);
    expect(backlogMeasured(result({ error: "timed out" }))).toBe(false);
    expect(backlogMeasured(result({ restoreRecords: 0 }))).toBe(false);
  });

  it("draws both catch-ups as bars and as curves of the records still behind", () => {
    const svg = renderBacklogChart(result());
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain("<title>RUNNING → caught up 2.6 s</title>");
    expect(svg).toContain("<title>RUNNING → caught up 241.0 s</title>");
    expect(svg).toContain(">250 s</text>");
    expect(svg).toContain("(20.2x)");
    expect(renderBacklogChart(result({ restore: null }))).toContain("not measured");
  });
});

describe("backlogPlanFor", () => {
  it("keeps the tail at 1 % and gives a larger backlog the time to be read at the slowest rate allowed for", () => {
    expect(BACKLOG_PLAN).toEqual({ events: 1_000_000, tailEvents: 10_000, rate: 20_000, visits: 1_000, catchUpTimeoutMs: 2_000 * 1000 });
    expect(backlogPlanFor(200_000)).toMatchObject({ events: 200_000, tailEvents: 2_000, catchUpTimeoutMs: 15 * 60_000 });
    expect(backlogPlanFor(1_000).catchUpTimeoutMs).toBe(15 * 60_000);
  });
});

// The backlog benchmark: how much sooner a job that restarts from its retained checkpoint has caught up with its
// input than one that starts over from the earliest offsets. One stack, one input topic, in one run: a job submitted
// without state reads a backlog from the earliest offsets, checkpoints all of it and is cancelled; more input
// arrives while no job runs (the tail); then the job is resubmitted from the retained checkpoint. The job without
// state had the backlog to process, the restored one the tail: a restart from the earliest offsets would have both,
// so the ratio errs, by the tail's share, on the low side. Two passes over the backlog would double the run's time.

import { eventsPerEventTimeSecond } from "../jobs/generator/schedule";
import { type BarsSpec, barsBlock, barsFrame } from "../lib/chart/bars";
import { PALETTE } from "../lib/chart/colours";
import { chartSvg } from "../lib/chart/document";
import { legendBlock, swatch } from "../lib/chart/legend";
import { type XySpec, xyBlock, yLabelRoom } from "../lib/chart/xy";
import type { CatchUp } from "./benchJob";
import type { GeneratorLoad, GeneratorSummary } from "./loadGenerator";

export interface BacklogPlan {
  /** Events in the backlog the job without state processes and checkpoints. */
  events: number;
  /** Events written while no job runs, which the restored job must process. */
  tailEvents: number;
  /** Generator rate; its own ceiling is measured and reported. */
  rate: number;
  /** Concurrent visits: the keys with open windows while the backlog plays. */
  visits: number;
  /** Bound on each catch-up. */
  catchUpTimeoutMs: number;
}

/** The slowest read rate a backlog's catch-up is given time for (the job read 250-750 events/s in process mode). */
const SLOWEST_READ_PER_S = 500;
/** The shortest bound on a catch-up, whatever the backlog's size. */
const MIN_CATCH_UP_TIMEOUT_MS = 15 * 60_000;

/**
 * The plan for a backlog of `events` (`--backlog-events`): the generator at up to 20,000 events/s (its ceiling here is
 * some 5,000) over 1,000 visits, a tail of 1 % of the backlog, and each catch-up given as long as reading the backlog
 * at the slowest rate allowed for, at least 15 minutes.
 */
export function backlogPlanFor(events: number): BacklogPlan {
  return {
    events,
    tailEvents: Math.max(1, Math.round(events / 100)),
    rate: 20_000,
    visits: 1_000,
    catchUpTimeoutMs: Math.max(MIN_CATCH_UP_TIMEOUT_MS, Math.ceil(events / SLOWEST_READ_PER_S) * 1000),
  };
}

/**
 * The 1,000,000 events: in thread mode the job read them from the earliest offsets in about 3 minutes
 * (5,656 events/s on this machine's 2 shared cores; in process mode it read 250 to 750 events/s, 22 to 65 minutes).
 */
export const BACKLOG_PLAN: BacklogPlan = backlogPlanFor(1_000_000);
export const BACKLOG_SMOKE_PLAN: BacklogPlan = { events: 5_000, tailEvents: 500, rate: 20_000, visits: 1_000, catchUpTimeoutMs: 60_000 };

const DELAY_MIN_MS = 300;
const DELAY_MAX_MS = 2_000;

/** The generator's load for `events` events of the plan's visits (the CI stack's delays, in rate mode) from `startTime`. */
export function backlogLoad(plan: BacklogPlan, topic: string, events: number, startTime: string, seed: number): GeneratorLoad {
  return {
    topic,
    rate: plan.rate,
    maxEvents: events,
    visits: plan.visits,
    delayMinMs: DELAY_MIN_MS,
    delayMaxMs: DELAY_MAX_MS,
    startTime,
    seed,
  };
}

/**
 * Where the backlog's and the tail's event times start: the tail continues after the backlog's last event time (its
 * expected span, and a minute more), as input arriving later does, so the restored job processes it and does not
 * drop it as late.
 */
export function backlogStartTimes(plan: BacklogPlan, nowMs: number): { backlog: string; tail: string } {
  const spanMs =
    (plan.events / eventsPerEventTimeSecond({ concurrentVisits: plan.visits, delayMinMs: DELAY_MIN_MS, delayMaxMs: DELAY_MAX_MS })) * 1000;
  return { backlog: new Date(nowMs).toISOString(), tail: new Date(nowMs + Math.ceil(spanMs) + 60_000).toISOString() };
}

export interface BacklogResult {
  plan: BacklogPlan;
  /** Input records in the topic when the restored job ran (the backlog and the tail). */
  inputRecords: number | null;
  generator: { backlog: GeneratorSummary | null; tail: GeneratorSummary | null };
  /** The checkpoint the job without state completed over the backlog, which the restore starts from. */
  checkpoint: { id: number; path: string } | null;
  restore: CatchUp | null;
  /** Records the restored job had to process (the input after the checkpoint's offsets). */
  restoreRecords: number | null;
  earliest: CatchUp | null;
  /** Records the job without state had to process: the backlog. */
  earliestRecords: number | null;
  error: string | null;
}

export interface BacklogRatios {
  /** Caught up, from the submission: what a user waits for. */
  fromSubmission: number | null;
  /** Caught up, from RUNNING: the processing alone, without the job's start. */
  fromRunning: number | null;
}

const ratio = (slow: number, fast: number) => (fast > 0 && Number.isFinite(slow) ? slow / fast : null);

/** How many times longer the fresh job took to catch up than the restored one. */
export function backlogRatios(result: Pick<BacklogResult, "restore" | "earliest">): BacklogRatios {
  const { restore, earliest } = result;
  if (!restore || !earliest) return { fromSubmission: null, fromRunning: null };
  return {
    fromSubmission: ratio(earliest.caughtUpMs, restore.caughtUpMs),
    fromRunning: ratio(earliest.caughtUpMs - earliest.runningMs, restore.caughtUpMs - restore.runningMs),
  };
}

/** Records per second from RUNNING to caught up. */
export function catchUpRate(run: CatchUp, records: number): number | null {
  const ms = run.caughtUpMs - run.runningMs;
  return ms > 0 ? (records * 1000) / ms : null;
}

export const BACKLOG_GOAL = 10;

/** Whether both compared jobs caught up and gave a ratio: what the smoke run demands. */
export function backlogMeasured(result: BacklogResult): boolean {
  const ratios = backlogRatios(result);
  return result.error === null && ratios.fromSubmission !== null && ratios.fromRunning !== null && (result.restoreRecords ?? 0) > 0;
}

const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? "–" : (ms / 1000).toFixed(1));
const n = (value: number | null | undefined) => (value === null || value === undefined ? "–" : Math.round(value).toLocaleString("en-US"));
const times = (value: number | null) => (value === null ? "–" : `${value.toFixed(1)}x`);

/** The Markdown table: one row per submission, seconds from it, then the ratio against the goal. */
export function renderBacklogTable(result: BacklogResult): string {
  const row = (label: string, run: CatchUp | null, records: number | null) =>
    `| ${label} | ${n(records)} | ${s(run?.submittedMs)} | ${s(run?.runningMs)} | ${s(run?.caughtUpMs)} | ${run && records !== null ? n(catchUpRate(run, records)) : "–"} |`;
  const ratios = backlogRatios(result);
  const lines = [
    "| job submitted | input records to process | submitted s | RUNNING s | caught up s | records/s after RUNNING |",
    "|---|---|---|---|---|---|",
    row(`from checkpoint ${result.checkpoint?.id ?? "–"} (retained)`, result.restore, result.restoreRecords),
    row("without state, from the earliest offsets", result.earliest, result.earliestRecords),
    "",
    `Caught up ${times(ratios.fromSubmission)} sooner from the checkpoint than from the earliest offsets, counted from the submission ` +
      `(${times(ratios.fromRunning)} counted from RUNNING); goal: at least ${BACKLOG_GOAL}x — ${ratios.fromSubmission === null ? "not measured" : ratios.fromSubmission >= BACKLOG_GOAL ? "met" : "NOT met"}.`,
    `Input: ${n(result.inputRecords)} records: a backlog of ${n(result.earliestRecords)}, then ${n(result.restoreRecords)} written while no job ran, which a restart ` +
      `from the earliest offsets would process too (so the ratio errs low by that share). Generator: ${n(result.generator.backlog?.perSecond)}/s, asked ${n(result.plan.rate)}/s.`,
  ];
  if (result.error) lines.push("", `Incomplete: ${result.error}`);
  return `${lines.join("\n")}\n`;
}

const RESTORE_COLOUR = PALETTE.blue;
const EARLIEST_COLOUR = PALETTE.orange;

/**
 * Two panels over the seconds since each job's submission: bars of the seconds to RUNNING and to caught up for each
 * start, and how many input records each job was still behind.
 */
export function renderBacklogChart(result: BacklogResult): string {
  const width = 1000;
  const runs = [
    { label: `from checkpoint ${result.checkpoint?.id ?? ""}`, run: result.restore, colour: RESTORE_COLOUR },
    { label: "from the earliest offsets", run: result.earliest, colour: EARLIEST_COLOUR },
  ];
  const greatestMs = Math.max(1_000, ...runs.map((r) => r.run?.caughtUpMs ?? 0));
  const bars: BarsSpec = {
    groups: runs.map((r) => ({
      label: r.label,
      rows: [
        r.run
          ? {
              marks: [
                {
                  kind: "bar",
                  from: 0,
                  to: r.run.runningMs,
                  fill: r.colour,
                  opacity: 0.45,
                  tip: `submitted → RUNNING ${s(r.run.runningMs)} s`,
                },
                {
                  kind: "bar",
                  from: r.run.runningMs,
                  to: r.run.caughtUpMs,
                  fill: r.colour,
                  tip: `RUNNING → caught up ${s(r.run.caughtUpMs - r.run.runningMs)} s`,
                },
              ],
              value: `${s(r.run.caughtUpMs)} s`,
            }
          : { marks: [], note: "not measured" },
      ],
    })),
    format: (ms) => `${ms / 1000} s`,
    barHeight: 24,
    labelFontSize: 13,
  };
  const behind: XySpec = {
    // The same seconds as the bars: the curves end where the bars do.
    x: { scale: "linear", values: [0, greatestMs], format: (ms) => `${ms / 1000} s`, title: "seconds since the job's submission" },
    y: {
      scale: "linear",
      values: [0, ...runs.flatMap((r) => (r.run?.samples ?? []).map((p) => p.behind))],
      format: (v) => n(v),
      title: "input records not committed yet",
    },
    plotHeight: 200,
    series: runs.map((r) => ({
      colour: r.colour,
      dots: false,
      points: (r.run?.samples ?? []).map((p) => ({ x: p.atMs, y: p.behind, tip: `${s(p.atMs)} s: ${n(p.behind)} behind` })),
    })),
  };
  const frame = barsFrame(bars, width);
  const left = Math.max(frame.left, 20 + yLabelRoom(behind));
  const ratios = backlogRatios(result);
  return chartSvg({
    width,
    title: `Backlog of ${n(result.plan.events)} events: seconds from the submission until the job has caught up (${times(ratios.fromSubmission)})`,
    blocks: [
      barsBlock(bars, { ...frame, left }),
      xyBlock(behind, left, frame.right),
      legendBlock(
        [
          { label: "from the retained checkpoint (pale: submitted → RUNNING)", mark: swatch(RESTORE_COLOUR) },
          { label: "without state, from the earliest offsets", mark: swatch(EARLIEST_COLOUR) },
        ],
        left,
        width - 20 - left,
      ),
    ],
  });
}

// The backlog benchmark: how much sooner a job that restarts from its retained checkpoint has caught up with its
// input than one that starts over from the earliest offsets. One stack, one input topic, in one run: a job submitted
// without state reads a backlog from the earliest offsets, checkpoints all of it and is cancelled; more input
// arrives while no job runs (the tail); then the job is resubmitted from the retained checkpoint. The job without
// state had the backlog to process, the restored one the tail: a restart from the earliest offsets would have both,
// so the ratio errs, by the tail's share, on the low side. Two passes over the backlog would double the run's time.

import { eventsPerEventTimeSecond } from "../jobs/generator/schedule";
import type { CatchUp, CatchUpSample } from "./benchJob";
import type { GeneratorLoad, GeneratorSummary } from "./loadGenerator";
import { escapeXml } from "./recovery";

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
 * The issue's 1,000,000 events: in thread mode the job read them from the earliest offsets in about 3 minutes
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

const RESTORE_COLOUR = "#3b6fb6";
const EARLIEST_COLOUR = "#e08a2c";

/**
 * Two panels: bars of the seconds to RUNNING and to caught up for each start, and how many input records each job
 * was still behind, over the seconds since its submission.
 */
export function renderBacklogChart(result: BacklogResult): string {
  const width = 1000;
  const left = 300;
  const plot = width - left - 90;
  const runs = [
    { label: `from checkpoint ${result.checkpoint?.id ?? ""}`, run: result.restore, colour: RESTORE_COLOUR },
    { label: "from the earliest offsets", run: result.earliest, colour: EARLIEST_COLOUR },
  ];
  const greatestMs = Math.max(1_000, ...runs.map((r) => r.run?.caughtUpMs ?? 0));
  const step = niceStep(greatestMs / 1000) * 1000;
  const axisMs = Math.ceil(greatestMs / step) * step;
  const x = (ms: number) => left + (ms / axisMs) * plot;
  const bars = runs
    .map((r, i) => {
      const y = 60 + i * 44;
      const label = `<text x="${left - 10}" y="${y + 17}" font-size="13" text-anchor="end">${escapeXml(r.label)}</text>`;
      if (!r.run) return `${label}<text x="${left + 6}" y="${y + 17}" font-size="12">not measured</text>`;
      const { runningMs, caughtUpMs } = r.run;
      return (
        label +
        `<rect x="${left}" y="${y}" width="${(x(runningMs) - left).toFixed(1)}" height="24" fill="${r.colour}" opacity="0.45"><title>submitted → RUNNING ${s(runningMs)} s</title></rect>` +
        `<rect x="${x(runningMs).toFixed(1)}" y="${y}" width="${(x(caughtUpMs) - x(runningMs)).toFixed(1)}" height="24" fill="${r.colour}"><title>RUNNING → caught up ${s(caughtUpMs - runningMs)} s</title></rect>` +
        `<text x="${(x(caughtUpMs) + 6).toFixed(1)}" y="${y + 17}" font-size="12">${s(caughtUpMs)} s</text>`
      );
    })
    .join("\n");
  const top = 170;
  const panel = 220;
  const greatestBehind = Math.max(1, ...runs.flatMap((r) => (r.run?.samples ?? []).map((p) => p.behind)));
  const y = (behind: number) => top + panel - (behind / greatestBehind) * panel;
  const line = (samples: readonly CatchUpSample[], colour: string) =>
    samples.length === 0
      ? ""
      : `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${samples.map((p) => `${x(p.atMs).toFixed(1)},${y(p.behind).toFixed(1)}`).join(" ")}"/>`;
  const ticks = Array.from({ length: axisMs / step + 1 }, (_, i) => i * step)
    .map(
      (ms) =>
        `<line x1="${x(ms).toFixed(1)}" x2="${x(ms).toFixed(1)}" y1="50" y2="${top + panel}" stroke="#ddd"/><text x="${x(ms).toFixed(1)}" y="${top + panel + 16}" font-size="11" text-anchor="middle">${ms / 1000} s</text>`,
    )
    .join("");
  const ratios = backlogRatios(result);
  const height = top + panel + 60;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="28" font-size="16" font-weight="bold">Backlog of ${n(result.plan.events)} events: seconds from the submission until the job has caught up (${times(ratios.fromSubmission)})</text>
${ticks}
${bars}
<text x="${left - 10}" y="${top + 4}" font-size="12" text-anchor="end">input records not committed yet</text>
<text x="${left - 10}" y="${top + 20}" font-size="11" text-anchor="end">${n(greatestBehind)}</text>
<text x="${left - 10}" y="${top + panel}" font-size="11" text-anchor="end">0</text>
<line x1="${left}" x2="${left + plot}" y1="${top + panel}" y2="${top + panel}" stroke="#888"/>
${runs.map((r) => line(r.run?.samples ?? [], r.colour)).join("\n")}
<rect x="${left}" y="${height - 14}" width="12" height="10" fill="${RESTORE_COLOUR}"/><text x="${left + 16}" y="${height - 5}" font-size="11">from the retained checkpoint (pale: submitted → RUNNING)</text>
<rect x="${left + 360}" y="${height - 14}" width="12" height="10" fill="${EARLIEST_COLOUR}"/><text x="${left + 376}" y="${height - 5}" font-size="11">without state, from the earliest offsets</text>
</svg>
`;
}

/** A tick step of 1, 2 or 5 times a power of ten giving at most about ten ticks up to `greatest`. */
export function niceStep(greatest: number): number {
  const rough = Math.max(greatest, 1e-9) / 10;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough)!;
}

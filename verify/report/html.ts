// The HTML reports beside the JSON ones: a page a fault, with an inline SVG timeline of what happened, and a page
// for the matrix. Pure functions of the JSON reports. Each page is one self-contained file (no script, font, style
// sheet or image from anywhere), and every string that comes from the run (fault names, paths, Flink's and
// Kafka's error texts, topic names) is escaped, so a report cannot inject markup into the page.

import { basename, extname } from "node:path";
import { niceStep, SECONDS_LADDER, ticksBetween } from "../../lib/chart/axis";
import { fittedLabel, labelColumnWidth, labelRows } from "../../lib/chart/labels";
import { laneLabel, laneLabelsWidth, stackLanes } from "../../lib/chart/lanes";
import { type LegendItem, legendMarkup } from "../../lib/chart/legend";
import { type Attributes, el, escapeMarkup, text, title } from "../../lib/chart/markup";
import { FONT_FAMILY, textWidth } from "../../lib/chart/textSize";
import type { CheckpointRef } from "../../lib/checkpoints/paths";
import type { PartitionOffsets } from "../../lib/kafka/offsets";
import type { OffsetSample } from "../run/timeline";
import type { MatrixReport, MatrixRow, VerifyReport } from "./model";

/** `reports/x.json` → `reports/x.html`; a path without `.json` gets `.html` appended. */
export const htmlPathOf = (jsonPath: string): string => `${extname(jsonPath) === ".json" ? jsonPath.slice(0, -5) : jsonPath}.html`;

export type Verdict = "PASSED" | "FAILED" | "INCOMPLETE";

export const verdictOf = (report: Pick<VerifyReport, "ok" | "error">): Verdict =>
  report.error ? "INCOMPLETE" : report.ok ? "PASSED" : "FAILED";

/** A matrix with a run that could not complete is incomplete, whatever the others showed. */
export const matrixVerdictOf = (matrix: MatrixReport): Verdict =>
  matrix.rows.some((r) => r.error) ? "INCOMPLETE" : matrix.ok ? "PASSED" : "FAILED";

const COLORS = {
  pass: "#1a7f37",
  fail: "#cf222e",
  incomplete: "#9a6700",
  /** The plot's background; report-check finds the timeline on the screenshot by it. */
  plot: "#f3f6fb",
  grid: "#d8dee4",
  axis: "#57606a",
  inputEnd: "#6e7781",
  consumed: "#0969da",
  output: "#1a7f37",
  duplicate: "#cf222e",
  missing: "#cf222e",
  checkpointBefore: "#8250df",
  checkpointAfter: "#0a7ea4",
  fault: "#d1242f",
  moment: "#24292f",
  down: "#ffe8cc",
  catchingUp: "#dafbe1",
} as const;

const VERDICT_COLORS: Readonly<Record<Verdict, string>> = { PASSED: COLORS.pass, FAILED: COLORS.fail, INCOMPLETE: COLORS.incomplete };

const STYLE = `
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;margin:16px 24px;color:#24292f;background:#fff;font-size:14px}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:16px;margin:24px 0 8px}
.sub{color:#57606a;margin:0 0 10px}
.verdict{display:flex;gap:24px;align-items:center;padding:10px 16px;border-radius:6px;color:#fff;margin-bottom:10px}
.verdict .word{font-size:26px;font-weight:bold;min-width:150px}
.verdict dl{display:grid;grid-template-columns:repeat(4,auto);gap:2px 28px;margin:0}
.verdict dt{opacity:.85;font-size:12px}
.verdict dd{margin:0 0 4px;font-weight:bold}
table{border-collapse:collapse;margin:4px 0}
td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;white-space:nowrap}
td.num{text-align:right}
td:first-child{white-space:nowrap}
.ok{color:${COLORS.pass};font-weight:bold}
.bad{color:${COLORS.fail};font-weight:bold}
code{font-size:12px}
pre{font-size:12px;background:#f6f8fa;padding:6px 8px;margin:4px 0 12px;overflow-x:auto}
svg{display:block}
`;

const page = (heading: string, body: string): string =>
  `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<title>${escapeMarkup(heading)}</title><style>${STYLE}</style></head><body>\n${body}\n</body></html>\n`;

const secondsText = (ms: number | undefined): string => (ms === undefined ? "–" : `${(ms / 1000).toFixed(1)} s`);
const offsetsText = (offsets: PartitionOffsets | null): string =>
  offsets === null
    ? "–"
    : Object.entries(offsets)
        .map(([p, o]) => `p${p}=${o}`)
        .join(" ") || "none";

// ---- the SVG timeline of one fault ----

const WIDTH = 1320;
const PLOT_RIGHT = WIDTH - 24;
const FONT = 11;
/** The lanes' labels start here, left of the plot. */
const LANE_LABEL_X = 8;
/** The y axis's offsets are drawn at this size, right of the lane labels. */
const OFFSET_FONT = 10;

interface Moment {
  key: string;
  label: string;
  /** Seconds from the fault. */
  atS: number;
  color: string;
}

/** The moments of the recovery, from the report's timings (all counted from the fault). */
function momentsOf(report: VerifyReport): Moment[] {
  const t = report.timings;
  const moments: Moment[] = [];
  const add = (key: string, label: string, ms: number | undefined, color: string = COLORS.moment) => {
    if (ms !== undefined) moments.push({ key, label: `${label} +${(ms / 1000).toFixed(1)} s`, atS: ms / 1000, color });
  };
  const faulted = t.faultToDetected !== undefined || t.faultToRunning !== undefined || report.timeline?.faultAtMs != null;
  if (faulted) moments.push({ key: "fault", label: `fault: ${report.fault}`, atS: 0, color: COLORS.fault });
  add("detected", "detected", t.faultToDetected);
  if (t.faultToRunning !== undefined && t.recoveryToRunning !== undefined)
    add("recovery", "recovery started", t.faultToRunning - t.recoveryToRunning);
  add("running", "RUNNING", t.faultToRunning);
  add("first-output", "first committed output", t.faultToFirstCommittedOutput);
  add("caught-up", "caught up", t.faultToCaughtUp);
  return moments;
}

/** Where a label starting at `x` fits: to the right of its mark, or to the left near the plot's right edge. */
function labelPlacement(x: number, width: number): { x: number; anchor: "start" | "end"; left: number } {
  return x + 3 + width <= PLOT_RIGHT ? { x: x + 3, anchor: "start", left: x } : { x: x - 3, anchor: "end", left: x - width - 6 };
}

interface Scale {
  x: (s: number) => number;
  fromS: number;
  toS: number;
}

function timeScale(fromS: number, toS: number, left: number): Scale {
  const span = Math.max(toS - fromS, 1);
  const pad = span * 0.02;
  const from = fromS - pad;
  const to = toS + pad;
  return { x: (s) => left + ((s - from) / (to - from)) * (PLOT_RIGHT - left), fromS: from, toS: to };
}

/** The value of `pick` in a sample for partition `p`, if the sample holds it. */
const valueAt = (sample: OffsetSample, pick: keyof Omit<OffsetSample, "atMs">, p: number): number | undefined => sample[pick]?.[p];

/** The timeline of one fault as an SVG element. */
function renderTimelineSvg(report: VerifyReport): string {
  const timeline = report.timeline;
  const moments = momentsOf(report);
  const origin = timeline?.faultAtMs ?? timeline?.samples[0]?.atMs ?? null;
  const relS = (ms: number) => (ms - origin!) / 1000;
  const samples = origin === null ? [] : timeline!.samples;
  const sampleTimes = samples.map((s) => relS(s.atMs));
  const extent = [...moments.map((m) => m.atS), ...sampleTimes];
  const fromS = extent.length > 0 ? Math.min(...extent) : -5;
  const toS = extent.length > 0 ? Math.max(...extent) : 5;
  const partitions = [
    ...new Set(samples.flatMap((s) => [...Object.keys(s.inputEnd ?? {}), ...Object.keys(s.outputEnd ?? {})]).map(Number)),
  ].sort((a, b) => a - b);
  const shownPartitions = partitions.slice(0, 8);
  const topics = timeline?.topics ?? { input: "input", output: "output" };
  const checkpointLabel = ["checkpoints", "completed (id)"];
  const missingLabel = ["missing", `firings: ${report.missing}`];
  const inputLabel = (p: number) => [topics.input, `partition ${p}`, "offsets"];
  const outputLabel = (p: number) => [topics.output, `partition ${p}`, "committed end"];
  // The plot starts right of the lane labels (a topic's name may be long) and of the offsets on each lane's axis.
  const labelsWidth = laneLabelsWidth(
    [checkpointLabel, missingLabel, ...shownPartitions.flatMap((p) => [inputLabel(p), outputLabel(p)])],
    320,
  );
  const offsets = samples.flatMap((s) => [s.inputEnd, s.consumed, s.outputEnd].flatMap((o) => Object.values(o ?? {})));
  const offsetsWidth = Math.max(0, ...offsets.map((v) => textWidth(String(v), OFFSET_FONT)));
  const plotLeft = Math.ceil(LANE_LABEL_X + labelsWidth + 12 + offsetsWidth + 6);
  const scale = timeScale(fromS, toS, plotLeft);
  const inRange = (s: number) => s >= scale.fromS && s <= scale.toS;
  const checkpoints = origin === null ? [] : timeline!.checkpoints.filter((c) => inRange(relS(c.completedAtMs)));
  const parts: string[] = [];
  /** Notes inside lanes, drawn last on a backing of the plot's colour so that the lines crossing them do not hide them. */
  const notes: string[] = [];
  const note = (x: number, yy: number, content: string, fill: string = COLORS.axis) =>
    el("rect", { x: x - 3, y: yy - 12, width: Math.min(textWidth(content, 12), PLOT_RIGHT - x) + 6, height: 16, fill: COLORS.plot }) +
    fittedLabel(x, yy, content, PLOT_RIGHT - x, { fontSize: 12, fill, className: "note" });
  const drawLaneLabel = (y: number, lines: string[]) => laneLabel(LANE_LABEL_X, y, lines, labelsWidth, "#24292f");

  // The moments' labels on top, in as many rows as keep them apart.
  const momentLabels = moments.map((m) => ({
    m,
    width: textWidth(m.label, FONT, m.key === "fault"),
    ...labelPlacement(scale.x(m.atS), textWidth(m.label, FONT, m.key === "fault")),
  }));
  const rows = labelRows(momentLabels.map((l) => ({ x: l.left, width: l.width + 6 })));
  const labelArea = 8 + Math.max(1, Math.max(0, ...rows) + 1) * 15;
  const plotTop = labelArea + 4;

  // Lanes: checkpoints, then per partition the input and the committed output, then the missing firings.
  const laneBox = (top: number, height: number) =>
    el("rect", { class: "lane", x: plotLeft, y: top, width: PLOT_RIGHT - plotLeft, height, fill: COLORS.plot });

  const stacked = stackLanes(plotTop, [
    // Without samples, room below the checkpoints for the note that says so.
    { height: 52, gap: samples.length === 0 ? 38 : 8 },
    ...shownPartitions.flatMap(() => [
      { height: 92, gap: 4 },
      { height: 64, gap: 10 },
    ]),
    { height: 30, gap: 0 },
  ]);
  const checkpointLane = stacked.lanes[0]!;
  const partitionLanes = shownPartitions.map((p, i) => ({ p, input: stacked.lanes[1 + 2 * i]!, output: stacked.lanes[2 + 2 * i]! }));
  const missingLane = stacked.lanes[stacked.lanes.length - 1]!;
  const plotBottom = stacked.bottom;

  // Behind everything: the lanes, the period the job was down (the backlog builds) and the catching up.
  parts.push(laneBox(checkpointLane.top, checkpointLane.height));
  for (const lane of partitionLanes) parts.push(laneBox(lane.input.top, lane.input.height), laneBox(lane.output.top, lane.output.height));
  parts.push(laneBox(missingLane.top, missingLane.height));
  const at = (key: string) => moments.find((m) => m.key === key)?.atS;
  const downFrom = at("detected") ?? at("fault");
  const running = at("running");
  const caughtUp = at("caught-up");
  const band = (cls: string, from: number, to: number, fill: string, tip: string) =>
    el(
      "rect",
      {
        class: cls,
        x: scale.x(from),
        y: plotTop,
        width: Math.max(1, scale.x(to) - scale.x(from)),
        height: plotBottom - plotTop,
        fill,
        opacity: 0.85,
      },
      title(tip),
    );
  if (downFrom !== undefined && running !== undefined)
    parts.push(band("backlog", downFrom, running, COLORS.down, "the job is down: the input's backlog builds"));
  if (running !== undefined && caughtUp !== undefined && caughtUp > running)
    parts.push(band("catching-up", running, caughtUp, COLORS.catchingUp, "the recovered job consumes the backlog"));

  // Time grid and axis.
  const step = niceStep(scale.toS - scale.fromS, 12, SECONDS_LADDER);
  for (const { value: s } of ticksBetween(scale.fromS, scale.toS, step, String)) {
    const x = scale.x(s);
    parts.push(el("line", { x1: x, x2: x, y1: plotTop, y2: plotBottom, stroke: COLORS.grid, "stroke-width": 1 }));
    parts.push(text({ class: "tick", x, y: plotBottom + 15, "font-size": FONT, "text-anchor": "middle", fill: COLORS.axis }, `${s}`));
  }
  const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);
  const axisLabel =
    timeline?.faultAtMs != null
      ? `seconds from the fault (0 = ${clock(timeline.faultAtMs)} UTC)`
      : origin !== null
        ? `seconds from the first sample (${clock(origin)} UTC); the cycle stopped before the fault`
        : "seconds from the fault";
  parts.push(
    text({ x: (plotLeft + PLOT_RIGHT) / 2, y: plotBottom + 32, "font-size": 12, "text-anchor": "middle", fill: COLORS.axis }, axisLabel),
  );

  // Checkpoints: a diamond at each completion, the job at the fault's and the recovered job's in two colours.
  parts.push(drawLaneLabel(checkpointLane.top + 20, checkpointLabel));
  const restoredId = report.restored?.id;
  const expectedId = report.expectedRestore?.id;
  const restoredJob = report.restored ? (/\/([0-9a-f]{32})\/chk-\d+/.exec(report.restored.path)?.[1] ?? report.jobs.atFault) : null;
  const diamondY = checkpointLane.top + 34;
  const checkpointLabels = checkpoints.map((c) => ({ c, x: scale.x(relS(c.completedAtMs)) }));
  const checkpointRows = labelRows(
    checkpointLabels.map(({ c, x }) => ({ x: x - 14, width: textWidth(`${c.id}`, 10) + 16 })),
    2,
  );
  checkpointLabels.forEach(({ c, x }, i) => {
    const after = c.jobId !== report.jobs.atFault;
    const color = after ? COLORS.checkpointAfter : COLORS.checkpointBefore;
    const tip = `checkpoint ${c.id} of job ${c.jobId}, completed ${new Date(c.completedAtMs).toISOString()} (${relS(c.completedAtMs).toFixed(1)} s from the fault)`;
    const restored = c.id === restoredId && c.jobId === restoredJob;
    const expected = !restored && c.id === expectedId && c.jobId === restoredJob;
    parts.push(
      el(
        "g",
        { class: `checkpoint${restored ? " restored" : ""}`, "data-id": c.id, "data-job": c.jobId },
        title(tip) +
          el("path", { d: `M${x.toFixed(1)} ${diamondY - 6}l6 6l-6 6l-6 -6z`, fill: color }) +
          (restored || expected
            ? el("circle", {
                cx: x,
                cy: diamondY,
                r: 10,
                fill: "none",
                stroke: restored ? COLORS.pass : COLORS.fail,
                "stroke-width": 2,
                "stroke-dasharray": expected ? "3 2" : undefined,
              })
            : "") +
          ((checkpointRows[i] ?? 0) < 2
            ? text(
                { x, y: diamondY - 12 - (checkpointRows[i] ?? 0) * 11, "font-size": 10, "text-anchor": "middle", fill: color },
                `${c.id}`,
              )
            : ""),
      ),
    );
  });
  if (checkpoints.length === 0) {
    notes.push(
      note(
        plotLeft + 8,
        checkpointLane.top + 30,
        origin === null
          ? "no checkpoint times in this report (written before the timeline was recorded)"
          : "no checkpoint completed in this span",
      ),
    );
  }

  // Per partition: the input's end and the group's committed offsets; the committed output's end and its duplicates.
  const yScale = (lane: { top: number; height: number }, values: number[]) => {
    const low = values.length > 0 ? Math.min(...values) : 0;
    const high = Math.max(...values, low + 1);
    return { low, high, y: (v: number) => lane.top + lane.height - 8 - ((v - low) / (high - low)) * (lane.height - 16) };
  };
  const line = (points: Array<[number, number]>, stepped: boolean, attrs: Attributes) => {
    if (points.length === 0) return "";
    const d = points
      .map(([x, yv], i) =>
        i === 0 ? `M${x.toFixed(1)} ${yv.toFixed(1)}` : stepped ? `H${x.toFixed(1)}V${yv.toFixed(1)}` : `L${x.toFixed(1)} ${yv.toFixed(1)}`,
      )
      .join("");
    return el("path", { d, fill: "none", "stroke-width": 2, ...attrs });
  };
  const yTicks = (lane: { top: number; height: number }, s: { low: number; high: number; y: (v: number) => number }) =>
    [s.low, s.high]
      .map((v) => text({ x: plotLeft - 6, y: s.y(v) + 4, "font-size": OFFSET_FONT, "text-anchor": "end", fill: COLORS.axis }, String(v)))
      .join("") + el("line", { x1: plotLeft, x2: plotLeft, y1: lane.top, y2: lane.top + lane.height, stroke: COLORS.axis });
  const series = (pick: keyof Omit<OffsetSample, "atMs">, p: number) =>
    samples.flatMap((s) => {
      const v = valueAt(s, pick, p);
      return v === undefined ? [] : [[relS(s.atMs), v] as [number, number]];
    });
  const duplicates = report.samples.duplicates;
  let _duplicatesPlaced = 0;
  for (const { p, input, output } of partitionLanes) {
    const inputEnd = series("inputEnd", p);
    const consumed = series("consumed", p);
    const inputScale = yScale(
      input,
      [...inputEnd, ...consumed].map(([, v]) => v),
    );
    parts.push(drawLaneLabel(input.top + 30, inputLabel(p)));
    parts.push(yTicks(input, inputScale));
    parts.push(
      line(
        inputEnd.map(([s, v]) => [scale.x(s), inputScale.y(v)]),
        false,
        { class: "input-end", stroke: COLORS.inputEnd },
      ),
    );
    parts.push(
      line(
        consumed.map(([s, v]) => [scale.x(s), inputScale.y(v)]),
        true,
        { class: "consumed", stroke: COLORS.consumed },
      ),
    );

    const outputEnd = series("outputEnd", p);
    const outputScale = yScale(
      output,
      outputEnd.map(([, v]) => v),
    );
    parts.push(drawLaneLabel(output.top + 22, outputLabel(p)));
    parts.push(yTicks(output, outputScale));
    parts.push(
      line(
        outputEnd.map(([s, v]) => [scale.x(s), outputScale.y(v)]),
        true,
        { class: "output-end", stroke: COLORS.output },
      ),
    );
    // A duplicate copy at an offset is drawn when the committed end first passed that offset.
    for (const d of duplicates) {
      for (const o of d.occurrences.filter((o) => o.partition === p)) {
        const seen = outputEnd.find(([, v]) => v > o.offset);
        if (!seen) continue;
        _duplicatesPlaced++;
        const [cx, cy] = [scale.x(seen[0]), outputScale.y(Math.min(o.offset, outputScale.high))];
        parts.push(
          el(
            "g",
            { class: "duplicate" },
            title(`duplicate: ${d.visitId} window ${d.windowStart} count ${d.count} at partition ${p} offset ${o.offset}`) +
              el("path", {
                d: `M${(cx - 4).toFixed(1)} ${(cy - 4).toFixed(1)}l8 8m0 -8l-8 8`,
                stroke: COLORS.duplicate,
                "stroke-width": 2.5,
              }),
          ),
        );
      }
    }
  }
  if (samples.length === 0) {
    notes.push(
      note(
        plotLeft + 8,
        missingLane.top - 10,
        "no offset samples in this report: the offsets at the fault and at the end are in the table below",
      ),
    );
  }
  if (partitions.length > shownPartitions.length) {
    parts.push(
      text(
        { x: PLOT_RIGHT, y: missingLane.top - 3, "font-size": 10, "text-anchor": "end", fill: COLORS.axis },
        `partitions ${shownPartitions.length} to ${partitions.length - 1} not drawn`,
      ),
    );
  }

  // Missing firings: the window each belongs to (its partition in the output is unknown: it is absent).
  parts.push(drawLaneLabel(missingLane.top + 13, missingLabel));
  const windowsAt = timeline?.faultAtMs ?? null;
  const missingWindows = (windowsAt === null ? [] : report.samples.missing).flatMap((m) => {
    const start = (Date.parse(m.windowStart) - windowsAt!) / 1000;
    const end = start + report.window.sizeMs / 1000;
    if (end < scale.fromS || start > scale.toS) return [];
    const x1 = scale.x(Math.max(start, scale.fromS));
    return [{ m, x1, width: Math.max(2, scale.x(Math.min(end, scale.toS)) - x1) }];
  });
  // Overlapping windows go to rows of their own, so each stays visible.
  const missingRows = labelRows(
    missingWindows.map((w) => ({ x: w.x1, width: w.width })),
    1,
  );
  const missingRowHeight = (missingLane.height - 8) / Math.max(1, ...missingRows.map((r) => r + 1));
  const missingBars = missingWindows.map(({ m, x1, width }, i) =>
    el(
      "g",
      { class: "missing" },
      title(`missing: ${m.visitId} window ${m.windowStart} count ${m.count}`) +
        el("rect", {
          x: x1,
          y: missingLane.top + 4 + missingRows[i]! * missingRowHeight,
          width,
          height: missingRowHeight - 2,
          fill: COLORS.missing,
          opacity: 0.55,
        }),
    ),
  );
  parts.push(...missingBars);
  const missingNote =
    report.missing === 0
      ? "none missing"
      : missingBars.length < report.missing
        ? `${missingBars.length} of ${report.missing} drawn (the report keeps ${report.samples.missing.length}; windows outside this span are not drawn)`
        : "";
  if (missingNote) notes.push(note(plotLeft + 8, missingLane.top + 19, missingNote, report.missing === 0 ? COLORS.axis : COLORS.missing));

  // The moments: a line through every lane, the label on top.
  momentLabels.forEach((l, i) => {
    const x = scale.x(l.m.atS);
    const labelY = 8 + (rows[i] ?? 0) * 15 + 10;
    parts.push(
      el(
        "g",
        { class: `moment ${l.m.key}` },
        title(l.m.label) +
          el("line", {
            x1: x,
            x2: x,
            y1: labelY + 3,
            y2: plotBottom,
            stroke: l.m.color,
            "stroke-width": l.m.key === "fault" ? 2.5 : 1.5,
            "stroke-dasharray": l.m.key === "fault" ? undefined : "5 3",
          }) +
          text(
            {
              x: l.x,
              y: labelY,
              "font-size": FONT,
              "text-anchor": l.anchor,
              fill: l.m.color,
              "font-weight": l.m.key === "fault" ? "bold" : undefined,
            },
            l.m.label,
          ),
      ),
    );
  });
  parts.push(...notes);

  // The legend, wrapped to the width.
  const legend: LegendItem[] = [
    {
      label: "input end offset",
      mark: (x, yy) => el("line", { x1: x, x2: x + 18, y1: yy, y2: yy, stroke: COLORS.inputEnd, "stroke-width": 2 }),
    },
    {
      label: "committed by the source group",
      mark: (x, yy) => el("line", { x1: x, x2: x + 18, y1: yy, y2: yy, stroke: COLORS.consumed, "stroke-width": 2 }),
    },
    {
      label: "committed output end",
      mark: (x, yy) => el("line", { x1: x, x2: x + 18, y1: yy, y2: yy, stroke: COLORS.output, "stroke-width": 2 }),
    },
    {
      label: "checkpoint (job at the fault)",
      mark: (x, yy) => el("path", { d: `M${x + 9} ${yy - 6}l6 6l-6 6l-6 -6z`, fill: COLORS.checkpointBefore }),
    },
    {
      label: "checkpoint (recovered job)",
      mark: (x, yy) => el("path", { d: `M${x + 9} ${yy - 6}l6 6l-6 6l-6 -6z`, fill: COLORS.checkpointAfter }),
    },
    {
      label: "restored (dashed red: expected)",
      mark: (x, yy) => el("circle", { cx: x + 9, cy: yy, r: 7, fill: "none", stroke: COLORS.pass, "stroke-width": 2 }),
    },
    {
      label: "duplicate",
      mark: (x, yy) => el("path", { d: `M${x + 5} ${yy - 4}l8 8m0 -8l-8 8`, stroke: COLORS.duplicate, "stroke-width": 2.5 }),
    },
    {
      label: "missing firing's window",
      mark: (x, yy) => el("rect", { x, y: yy - 5, width: 18, height: 10, fill: COLORS.missing, opacity: 0.55 }),
    },
    { label: "job down: backlog builds", mark: (x, yy) => el("rect", { x, y: yy - 6, width: 18, height: 12, fill: COLORS.down }) },
    { label: "catching up", mark: (x, yy) => el("rect", { x, y: yy - 6, width: 18, height: 12, fill: COLORS.catchingUp }) },
  ];
  const drawnLegend = legendMarkup(legend, plotLeft, plotBottom + 56, PLOT_RIGHT - plotLeft, FONT);
  parts.push(drawnLegend.markup);
  const height = plotBottom + 56 + drawnLegend.height - 4;

  return el(
    "svg",
    {
      id: "timeline",
      xmlns: "http://www.w3.org/2000/svg",
      width: WIDTH,
      height,
      viewBox: `0 0 ${WIDTH} ${Math.round(height)}`,
      role: "img",
      "aria-label": `timeline of ${report.fault}`,
      "font-family": FONT_FAMILY,
    },
    parts.join("\n"),
  );
}

// ---- the page of one fault ----

const verdictBanner = (verdict: Verdict, figures: Array<[string, string, string]>): string =>
  el(
    "div",
    { class: "verdict", style: `background:${VERDICT_COLORS[verdict]}` },
    el("div", { class: "word", "data-figure": "verdict" }, verdict) +
      el(
        "dl",
        {},
        figures
          .map(([key, label, value]) =>
            el("div", {}, el("dt", {}, escapeMarkup(label)) + el("dd", { "data-figure": key }, escapeMarkup(value))),
          )
          .join(""),
      ),
  );

const table = (head: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string =>
  el(
    "table",
    {},
    el("tr", {}, head.map((h) => el("th", {}, escapeMarkup(h))).join("")) +
      rows.map((r) => el("tr", {}, r.map((cell, i) => el("td", numeric.has(i) ? { class: "num" } : {}, cell)).join(""))).join(""),
  );

const checkpointRow = (label: string, ref: CheckpointRef | null): string[] => [
  escapeMarkup(label),
  ref ? String(ref.id) : "–",
  ref ? el("code", {}, escapeMarkup(ref.path)) : "–",
];

/** The dead-letter check's counts, short: "10 of 10 (0 extra)"; a detail of another shape is kept as it is. */
function shortDeadLetters(detail: string): string {
  const counts = /^(\d+) malformed records written after the fault: (\d+) in the dead-letter topic, \d+ absent, (\d+) extra copies/.exec(
    detail,
  );
  return counts ? `${counts[2]} of ${counts[1]} (${counts[3]} extra)` : detail;
}
const deadLettersOf = (report: VerifyReport): string =>
  shortDeadLetters(report.checks.find((c) => c.name === "malformedInputDeadLettered")?.detail ?? "n/a");

export function renderFaultHtml(report: VerifyReport): string {
  const verdict = verdictOf(report);
  const checkpoint = (c: { id: number } | null) => (c ? `chk-${c.id}` : "none");
  const t = report.timings;
  const figures: Array<[string, string, string]> = [
    ["restored", "restored checkpoint", checkpoint(report.restored)],
    ["expected", "expected checkpoint", report.expectedRestore ? checkpoint(report.expectedRestore) : "any (may ride it out)"],
    ["running", "RUNNING after the fault", secondsText(t.faultToRunning)],
    ["caught-up", "caught up after the fault", secondsText(t.faultToCaughtUp)],
    ["duplicates", "duplicates (after the fault)", `${report.duplicates} (${report.duplicatesAfterFault})`],
    ["missing", "missing", String(report.missing)],
    ["unexpected", "unexpected", String(report.unexpected)],
    ["dead-letters", "dead letters", deadLettersOf(report)],
  ];
  const heading = `${report.fault} (${report.mode}): ${verdict}`;
  const timingRows: Array<[string, number | undefined]> = [
    ["fault → detected", t.faultToDetected],
    ["fault → RUNNING", t.faultToRunning],
    ["fault → first committed output", t.faultToFirstCommittedOutput],
    ["fault → caught up", t.faultToCaughtUp],
    ["recovery started → RUNNING", t.recoveryToRunning],
    ["recovery started → first committed output", t.recoveryToFirstCommittedOutput],
    ["fault → first checkpoint after the recovery", t.cycle],
    ["whole cycle", t.total],
  ];
  const o = report.offsets;
  const offsetRows: Array<[string, PartitionOffsets | null]> = [
    ["source group before the fault", o.groupBeforeFault],
    ["source group right after the fault (at most the checkpoint's)", o.checkpointed],
    ["input end at the fault", o.inputEndAtFault],
    ["input end when RUNNING again (the backlog)", o.inputEndAtRunning],
    ["source group at the end (consumed)", o.consumed],
    ["input end at the end", o.inputEnd],
    ["output end at the fault", o.outputEndAtFault],
    ["output end at the end", o.outputEnd],
  ];
  const s = report.samples;
  const firing = (f: { visitId: string; windowStart: string; count: number }) =>
    `${escapeMarkup(f.visitId)} ${escapeMarkup(f.windowStart)} count ${f.count}`;
  const body = [
    el("h1", {}, escapeMarkup(`verify ${report.fault} — ${report.mode}`)),
    el(
      "p",
      { class: "sub" },
      escapeMarkup(
        `${report.target} stack${report.stack ? ` "${report.stack}"` : ""}${report.flinkLine ? `, Flink ${report.flinkLine}` : ""}; ${report.startedAt} to ${report.finishedAt}; job ${report.jobs.atFault ?? "–"} → ${report.jobs.recovered ?? "–"}` +
          (report.restoreFromEarliest ? "; resubmitted WITHOUT the checkpoint (--restore-from-earliest)" : ""),
      ),
    ),
    verdictBanner(verdict, figures),
    report.error ? el("p", { class: "bad", "data-figure": "error" }, escapeMarkup(`the cycle stopped early: ${report.error}`)) : "",
    renderTimelineSvg(report),
    el("h2", {}, "Checks"),
    report.checks.length === 0
      ? el("p", {}, "no check was judged: the cycle did not gather all its evidence")
      : table(
          ["check", "", "what was seen"],
          report.checks.map((c) => [
            el("code", {}, escapeMarkup(c.name)),
            c.ok ? el("span", { class: "ok" }, "ok") : el("span", { class: "bad" }, "FAIL"),
            escapeMarkup(c.detail),
          ]),
        ),
    el("h2", {}, "Checkpoints"),
    table(
      ["", "id", "path"],
      [
        checkpointRow("latest completed before the fault", report.checkpointBeforeFault),
        checkpointRow("expected restore", report.expectedRestore),
        checkpointRow("restored (latest.restored)", report.restored),
        [
          "first completed after the recovery",
          report.firstCheckpointAfterRestore === null ? "–" : String(report.firstCheckpointAfterRestore),
          "",
        ],
      ],
      new Set([1]),
    ),
    el("h2", {}, "Timings"),
    table(
      ["span", "seconds"],
      timingRows.map(([label, ms]) => [escapeMarkup(label), secondsText(ms)]),
      new Set([1]),
    ),
    el("h2", {}, "Output and input"),
    table(
      ["", "count"],
      [
        ["firings checked", report.outputsChecked],
        ["of them after the fault", report.firingsAfterFault],
        ["expected firings (consumed input)", report.expectedFirings],
        ["held by the restored checkpoint", report.preCheckpointFirings],
        ["re-emitted although the checkpoint held them", report.preCheckpointReemitted],
        ["input records", report.input.records],
        ["valid visits", report.input.visits],
        ["invalid input records (dead-lettered by the job)", report.input.invalid],
        ["unparsable output records", report.unparsableOutputs],
        ["possibly late visits (judged only where unambiguous)", report.excluded.possiblyLateVisits],
      ].map(([label, n]) => [escapeMarkup(String(label)), String(n)]),
      new Set([1]),
    ),
    el("h2", {}, "Offsets"),
    table(
      ["position", "per partition"],
      offsetRows.map(([label, offsets]) => [escapeMarkup(label), el("code", {}, escapeMarkup(offsetsText(offsets)))]),
    ),
    s.duplicates.length > 0
      ? el("h2", {}, `Duplicates (${s.duplicates.length} of ${report.duplicates} shown)`) +
        table(
          ["firing", "copies at", "after the fault", "held by the checkpoint"],
          s.duplicates.map((d) => [
            firing(d),
            escapeMarkup(d.occurrences.map((p) => `p${p.partition}@${p.offset}`).join(", ")),
            String(d.afterFault),
            String(d.preCheckpoint),
          ]),
        )
      : "",
    s.missing.length > 0
      ? el("h2", {}, `Missing (${s.missing.length} of ${report.missing} shown)`) +
        table(
          ["firing"],
          s.missing.map((m) => [firing(m)]),
        )
      : "",
    s.unexpected.length > 0
      ? el("h2", {}, `Unexpected (${s.unexpected.length} of ${report.unexpected} shown)`) +
        table(
          ["firing", "at", "why"],
          s.unexpected.map((u) => [firing(u), `p${u.partition}@${u.offset}`, escapeMarkup(u.reason)]),
        )
      : "",
    nodeLossSection(report),
    report.notes.length > 0 ? el("h2", {}, "Notes") + el("ul", {}, report.notes.map((n) => el("li", {}, escapeMarkup(n))).join("")) : "",
  ];
  return page(heading, body.filter(Boolean).join("\n"));
}

/** The node-loss fault's view of the cluster: Kubernetes' timings and where the pods ran before, during and after. */
function nodeLossSection(report: VerifyReport): string {
  const loss = report.nodeLoss;
  if (!loss) return "";
  const t = loss.timings;
  const listing = (title: string, pods: string | undefined) =>
    pods === undefined ? "" : el("h3", {}, escapeMarkup(title)) + el("pre", {}, escapeMarkup(pods));
  return [
    el("h2", {}, escapeMarkup(`Nodes: ${loss.node} lost, with ${loss.taskManager}`)),
    table(
      ["span", "seconds"],
      (
        [
          [`${loss.node} stopped → NotReady`, t.nodeNotReady],
          [
            `stopped → ${loss.replacement?.pod ?? "a replacement"} created${loss.replacement ? ` on ${loss.replacement.node}` : ""}`,
            t.replacementCreated,
          ],
          ["stopped → that replacement Ready", t.replacementReady],
          [`stopped → ${loss.node} started again`, t.nodeStarted],
          [`started → ${loss.node} Ready`, t.nodeReadyAgain],
          ["started → the pods it held gone", t.lostPodsGone],
        ] as Array<[string, number | undefined]>
      ).map(([label, ms]) => [escapeMarkup(label), secondsText(ms)]),
      new Set([1]),
    ),
    listing("Pods before the fault (kubectl get pods -o wide)", loss.placement.before),
    listing(`Pods with ${loss.node} away`, loss.placement.duringLoss),
    listing(`Pods after ${loss.node} rejoined`, loss.placement.afterRejoin),
  ].join("\n");
}

// ---- the matrix page ----

/** The runs' labels start right of their verdict's square. */
const RUN_LABEL_X = 26;

/** One bar a run: the job down from the fault to RUNNING, then catching up; the first committed output marked. */
function renderMatrixSvg(rows: readonly MatrixRow[]): string {
  const rowHeight = 26;
  const top = 10;
  const ends = rows.flatMap((r) =>
    [r.timings.faultToCaughtUp, r.timings.faultToFirstCommittedOutput, r.timings.faultToRunning].filter(
      (v): v is number => v !== undefined,
    ),
  );
  const maxS = Math.max(10, ...ends.map((ms) => ms / 1000));
  const runLabel = (r: MatrixRow) => `${r.fault} · ${r.mode} · run ${r.run}`;
  // The bars start right of the longest run's label (a third of the width at most: longer ones are shortened).
  const left =
    RUN_LABEL_X +
    labelColumnWidth(
      rows.map((r) => ({ text: runLabel(r), fontSize: 12 })),
      { min: 274, max: WIDTH / 3, gap: 12 },
    );
  const right = WIDTH - 24;
  const x = (s: number) => left + (s / maxS) * (right - left);
  const parts: string[] = [];
  const bottom = top + rows.length * rowHeight;
  parts.push(el("rect", { class: "lane", x: left, y: top, width: right - left, height: bottom - top, fill: COLORS.plot }));
  for (const { value: s } of ticksBetween(0, maxS, niceStep(maxS, 12, SECONDS_LADDER), String)) {
    parts.push(el("line", { x1: x(s), x2: x(s), y1: top, y2: bottom, stroke: COLORS.grid }));
    parts.push(text({ class: "tick", x: x(s), y: bottom + 15, "font-size": FONT, "text-anchor": "middle", fill: COLORS.axis }, `${s}`));
  }
  parts.push(
    text({ x: (left + right) / 2, y: bottom + 32, "font-size": 12, "text-anchor": "middle", fill: COLORS.axis }, "seconds from each fault"),
  );
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    const verdict = verdictOf(r);
    const t = r.timings;
    const bar = (from: number | undefined, to: number | undefined, fill: string, tip: string) =>
      from === undefined || to === undefined
        ? ""
        : el(
            "rect",
            { x: x(from / 1000), y: y + 6, width: Math.max(1, x(to / 1000) - x(from / 1000)), height: rowHeight - 12, fill },
            title(tip),
          );
    parts.push(
      el(
        "g",
        { class: "run", "data-verdict": verdict },
        el("rect", { x: 8, y: y + 7, width: 12, height: 12, fill: VERDICT_COLORS[verdict] }) +
          fittedLabel(RUN_LABEL_X, y + 17, runLabel(r), left - RUN_LABEL_X - 12, { fontSize: 12, fill: "#24292f" }) +
          bar(0, t.faultToRunning, COLORS.down, `${r.fault}: fault → RUNNING ${secondsText(t.faultToRunning)}`) +
          bar(t.faultToRunning, t.faultToCaughtUp, COLORS.catchingUp, `${r.fault}: RUNNING → caught up ${secondsText(t.faultToCaughtUp)}`) +
          (t.faultToDetected === undefined
            ? ""
            : el(
                "line",
                {
                  x1: x(t.faultToDetected / 1000),
                  x2: x(t.faultToDetected / 1000),
                  y1: y + 4,
                  y2: y + rowHeight - 4,
                  stroke: COLORS.moment,
                  "stroke-width": 2,
                },
                title(`detected ${secondsText(t.faultToDetected)}`),
              )) +
          (t.faultToFirstCommittedOutput === undefined
            ? ""
            : el(
                "circle",
                { cx: x(t.faultToFirstCommittedOutput / 1000), cy: y + rowHeight / 2, r: 4, fill: COLORS.output },
                title(`first committed output ${secondsText(t.faultToFirstCommittedOutput)}`),
              )) +
          (r.error ? text({ x: left + 6, y: y + 17, "font-size": 11, fill: COLORS.incomplete }, "incomplete") : ""),
      ),
    );
  });
  const legendY = bottom + 52;
  const legend = legendMarkup(
    [
      {
        label: "fault → RUNNING (job down, backlog builds)",
        mark: (lx, ly) => el("rect", { x: lx, y: ly - 6, width: 18, height: 12, fill: COLORS.down }),
      },
      { label: "RUNNING → caught up", mark: (lx, ly) => el("rect", { x: lx, y: ly - 6, width: 18, height: 12, fill: COLORS.catchingUp }) },
      {
        label: "detected",
        mark: (lx, ly) => el("line", { x1: lx + 9, x2: lx + 9, y1: ly - 7, y2: ly + 7, stroke: COLORS.moment, "stroke-width": 2 }),
      },
      { label: "first committed output", mark: (lx, ly) => el("circle", { cx: lx + 9, cy: ly, r: 4, fill: COLORS.output }) },
    ],
    left,
    legendY,
    right - left,
    FONT,
  );
  parts.push(legend.markup);
  const height = legendY + legend.height - 4;
  return el(
    "svg",
    {
      id: "timeline",
      xmlns: "http://www.w3.org/2000/svg",
      width: WIDTH,
      height,
      viewBox: `0 0 ${WIDTH} ${height}`,
      role: "img",
      "aria-label": "recovery of each fault",
      "font-family": FONT_FAMILY,
    },
    parts.join("\n"),
  );
}

/** The matrix page; `pageOf` names each row's fault page (a path relative to the matrix page). */
export function renderMatrixHtml(matrix: MatrixReport, pageOf: (row: MatrixRow) => string): string {
  const verdict = matrixVerdictOf(matrix);
  const failed = matrix.rows.filter((r) => !r.ok).length;
  const figures: Array<[string, string, string]> = [
    ["runs", "runs", String(matrix.rows.length)],
    ["failed", "not passed", String(failed)],
    ["duplicates", "duplicates after faults", String(matrix.rows.reduce((n, r) => n + r.duplicates, 0))],
    ["missing", "missing", String(matrix.rows.reduce((n, r) => n + r.missing, 0))],
  ];
  const rowVerdict = (r: MatrixRow) =>
    r.error
      ? el("span", { class: "bad" }, "INCOMPLETE")
      : r.ok
        ? el("span", { class: "ok" }, "pass")
        : el("span", { class: "bad" }, "FAIL");
  const href = (r: MatrixRow) => pageOf(r).split("/").map(encodeURIComponent).join("/");
  const explained = matrix.rows.filter((r) => r.mode === "AT_LEAST_ONCE" && r.explanation);
  const incomplete = matrix.rows.filter((r) => r.error);
  const body = [
    el("h1", {}, escapeMarkup(`fault matrix${matrix.stack ? ` on stack "${matrix.stack}"` : ""}`)),
    el(
      "p",
      { class: "sub" },
      escapeMarkup(`faults ${matrix.faults.join(", ")}; ${matrix.repeat} run${matrix.repeat === 1 ? "" : "s"} each`),
    ),
    verdictBanner(verdict, figures),
    renderMatrixSvg(matrix.rows),
    el("h2", {}, "Runs"),
    table(
      [
        "fault",
        "mode",
        "run",
        "verdict",
        "duplicates",
        "missing",
        "unexpected",
        "restored (expected)",
        "detected s",
        "RUNNING s",
        "first output s",
        "caught up s",
        "dead letters",
        "timeline",
      ],
      matrix.rows.map((r) => [
        escapeMarkup(r.fault),
        escapeMarkup(r.mode),
        String(r.run),
        rowVerdict(r),
        String(r.duplicates),
        String(r.missing),
        String(r.unexpected),
        escapeMarkup(`${r.restored ?? "–"} (${r.expected ?? "any"})`),
        ...[r.timings.faultToDetected, r.timings.faultToRunning, r.timings.faultToFirstCommittedOutput, r.timings.faultToCaughtUp].map(
          (ms) => (ms === undefined ? "–" : (ms / 1000).toFixed(1)),
        ),
        escapeMarkup(shortDeadLetters(r.deadLetters)),
        el("a", { class: "fault-page", href: href(r), title: basename(pageOf(r)) }, "timeline"),
      ]),
      new Set([2, 4, 5, 6, 8, 9, 10, 11]),
    ),
    explained.length > 0
      ? el("h2", {}, "AT_LEAST_ONCE duplicates, explained") +
        el("ul", {}, explained.map((r) => el("li", {}, escapeMarkup(`${r.fault} (run ${r.run}): ${r.explanation}`))).join(""))
      : "",
    incomplete.length > 0
      ? el("h2", {}, "Incomplete") +
        el("ul", {}, incomplete.map((r) => el("li", {}, escapeMarkup(`${r.fault} ${r.mode} (run ${r.run}): ${r.error}`))).join(""))
      : "",
  ];
  return page(`fault matrix: ${verdict}`, body.filter(Boolean).join("\n"));
}

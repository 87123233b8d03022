// Every benchmark plot drawn from realistic figures, its labels checked: estimated from the markup here, and as
// headless Chromium draws them. fixtures/backlog-ci-smoke.json is a CI smoke run's backlog result as written; the
// others are built around the figures the README reports for a full run of the suite (the medians and ranges of its
// tables), with the figures it does not report made up to match them: recovery's three settings between the first and
// the last, throughput's steps below the highest, latency's counts and maxima, the backlog's catch-up curves, and the
// state's single checkpoints around its medians.

import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTest } from "../lib/browser/browserTest";
import { checkPlot } from "../lib/browser/plotCheck";
import { estimatedTextBoxes, labelProblems } from "../lib/chart/labelCheck";
import { type BacklogResult, renderBacklogChart } from "./backlog";
import { type LatencyResult, renderLatencyChart } from "./latency";
import { type RecoveryResult, renderRecoveryChart } from "./recovery";
import { renderStateChart, type StateResult } from "./state";
import { renderThroughputChart, type ThroughputResult } from "./throughput";

const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(__dirname, "fixtures", `${name}.json`), "utf8")) as T;

const recovery = fixture<RecoveryResult[]>("recovery-all-settings");
/** The suite's two settings, the first named as the README's table names it. */
const suite = [
  {
    ...recovery[0]!,
    label: "Flink's defaults (heartbeats 10 s / 50 s, restart delay up to 60 s, Python worker processes, one TaskManager)",
  },
  recovery[4]!,
];

const plots: Record<string, string> = {
  "recovery-all-settings": renderRecoveryChart(recovery),
  "recovery-suite": renderRecoveryChart(suite),
  throughput: renderThroughputChart(fixture<ThroughputResult[]>("throughput-suite")),
  latency: renderLatencyChart(fixture<LatencyResult[]>("latency-suite")),
  "backlog-1m": renderBacklogChart(fixture<BacklogResult>("backlog-1m")),
  "backlog-ci-smoke": renderBacklogChart(fixture<BacklogResult>("backlog-ci-smoke")),
  state: renderStateChart(fixture<StateResult[]>("state-suite")),
};

describe("the benchmark plots' labels, estimated", () => {
  for (const [name, svg] of Object.entries(plots)) {
    it(`${name}: every label inside the drawing, none on another`, () => {
      const { area, boxes } = estimatedTextBoxes(svg);
      expect(boxes.length).toBeGreaterThan(10);
      expect(labelProblems(boxes, area)).toEqual([]);
    });
  }

  it("keep a long setting's whole label: wrapped, or shortened with the full text as its tooltip", () => {
    const svg = plots["recovery-all-settings"]!;
    const label = recovery[0]!.label.replace(/'/g, "&#39;");
    const shown = [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join(" ");
    expect(shown.includes(label) || svg.includes(`<title>${label}</title>`)).toBe(true);
  });
});

describe("the benchmark plots in headless Chromium", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bench-plots-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  browserTest("show every label whole and apart, the recovery plot's long settings included", async (browser) => {
    for (const [name, svg] of Object.entries(plots)) {
      await writeFile(join(dir, `${name}.svg`), svg);
      const check = await checkPlot(browser, join(dir, `${name}.svg`));
      expect({ name, problems: check.problems }).toEqual({ name, problems: [] });
    }
  });
});

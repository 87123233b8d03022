import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { htmlPathOf, renderFaultHtml, renderMatrixHtml } from "./html";
import type { MatrixReport, MatrixRow, VerifyReport } from "./model";

// A real taskmanager-crash report of the matrix (reports/m1), with a timeline made up to match its offsets and timings.
const fixture = (): VerifyReport =>
  JSON.parse(readFileSync(join(__dirname, "fixtures", "taskmanager-crash-report.json"), "utf8")) as VerifyReport;

const count = (html: string, pattern: RegExp) => (html.match(new RegExp(pattern.source, "g")) ?? []).length;
/** The text of the first element carrying data-figure="name". */
const figure = (html: string, name: string) => new RegExp(`data-figure="${name}">([^<]*)<`).exec(html)?.[1];

describe("htmlPathOf", () => {
  it("puts the page beside the JSON report", () => {
    expect(htmlPathOf("reports/e2e/faults.json")).toBe("reports/e2e/faults.html");
    expect(htmlPathOf("reports/latest")).toBe("reports/latest.html");
  });
});

describe("renderFaultHtml", () => {
  it("is one self-contained page: no script, no external resource", () => {
    const html = renderFaultHtml(fixture());
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
  });

  it("names the Flink line the stack ran, when the report records it", () => {
    expect(renderFaultHtml({ ...fixture(), flinkLine: "2.2" })).toContain("docker stack &quot;ci&quot;, Flink 2.2;");
    expect(renderFaultHtml(fixture())).not.toContain(", Flink ");
  });

  it("draws each checkpoint completed in the span, the restored one ringed", () => {
    const html = renderFaultHtml(fixture());
    expect(count(html, /<g class="checkpoint[ "]/)).toBe(4);
    for (const id of [7, 8, 9, 10]) expect(html).toContain(`data-id="${id}"`);
    expect(html).toMatch(/<g class="checkpoint restored" data-id="7"/);
  });

  it("marks the fault and every recovery moment with its time, and the backlog and catching-up periods", () => {
    const html = renderFaultHtml(fixture());
    expect(html).toContain('<g class="moment fault">');
    expect(html).toContain(">fault: taskmanager-crash<");
    for (const [key, label] of [
      ["detected", "detected +3.1 s"],
      ["running", "RUNNING +27.8 s"],
      ["first-output", "first committed output +37.3 s"],
      ["caught-up", "caught up +38.4 s"],
    ]) {
      expect(html).toContain(`<g class="moment ${key}">`);
      expect(html).toContain(`>${label}<`);
    }
    expect(count(html, /<rect class="backlog"/)).toBe(1);
    expect(count(html, /<rect class="catching-up"/)).toBe(1);
  });

  it("draws per partition the input's end, the group's committed offsets and the committed output's end, named by topic", () => {
    const html = renderFaultHtml(fixture());
    expect(count(html, /<path [^>]*class="input-end"/)).toBe(2);
    expect(count(html, /<path [^>]*class="consumed"/)).toBe(2);
    expect(count(html, /<path [^>]*class="output-end"/)).toBe(2);
    expect(html).toContain(">visit_windows<");
    expect(html).toContain(">partition 1<");
  });

  it("says the verdict, the restored and expected checkpoints and the counts as text", () => {
    const html = renderFaultHtml(fixture());
    expect(figure(html, "verdict")).toBe("PASSED");
    expect(figure(html, "restored")).toBe("chk-7");
    expect(figure(html, "expected")).toBe("chk-7");
    expect(figure(html, "duplicates")).toBe("0 (0)");
    expect(figure(html, "missing")).toBe("0");
    expect(figure(html, "unexpected")).toBe("0");
    expect(figure(html, "dead-letters")).toBe("10 of 10 (0 extra)");
    expect(figure(html, "running")).toBe("27.8 s");
    expect(html).toContain(">none missing<");
  });

  it("marks each duplicate copy where the committed output passed its offset, and each missing firing's window", () => {
    const report = fixture();
    const faultAt = report.timeline!.faultAtMs!;
    report.ok = false;
    report.duplicates = 1;
    report.missing = 1;
    report.samples.duplicates = [
      {
        visitId: "v1",
        windowStart: new Date(faultAt).toISOString(),
        count: 4,
        occurrences: [
          { partition: 0, offset: 480 },
          { partition: 0, offset: 490 },
        ],
        afterFault: true,
        preCheckpoint: false,
      },
    ];
    report.samples.missing = [{ visitId: "v2", windowStart: new Date(faultAt + 10_000).toISOString(), count: 8 }];
    const html = renderFaultHtml(report);
    expect(figure(html, "verdict")).toBe("FAILED");
    expect(count(html, /<g class="duplicate">/)).toBe(2);
    expect(count(html, /<g class="missing">/)).toBe(1);
    expect(html).toContain("missing: v2 window");
  });

  it("escapes what the run wrote: fault names, errors, notes, topic names", () => {
    const report = fixture();
    report.fault = "<script>alert(1)</script>";
    report.error = `"><img src=x onerror=alert(1)>`;
    report.notes = ["a & b <b>bold</b>"];
    report.timeline!.topics = { input: "visits<svg onload=alert(1)>", output: "out'\"" };
    const html = renderFaultHtml(report);
    expect(html).not.toMatch(/<script|<img|<svg onload|<b>bold/);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("a &amp; b &lt;b&gt;bold&lt;/b&gt;");
    expect(html).toContain("visits&lt;svg onload=alert(1)&gt;");
    expect(html).toContain("out&#39;&quot;");
    expect(figure(html, "verdict")).toBe("INCOMPLETE");
  });

  it("still shows the moments of a report written before the timeline was recorded, and says what is absent", () => {
    const report = { ...fixture(), timeline: null };
    const html = renderFaultHtml(report);
    expect(html).toContain('<g class="moment fault">');
    expect(html).toContain('<g class="moment caught-up">');
    expect(count(html, /<g class="checkpoint[ "]/)).toBe(0);
    expect(html).toContain("no offset samples in this report");
    expect(html).toContain("no checkpoint times in this report");
  });
});

describe("renderMatrixHtml", () => {
  const row = (over: Partial<MatrixRow>): MatrixRow => ({
    fault: "taskmanager-crash",
    mode: "EXACTLY_ONCE",
    run: 1,
    ok: true,
    duplicates: 0,
    missing: 0,
    unexpected: 0,
    restored: 7,
    expected: 7,
    deadLetters: "10 malformed records written after the fault: 10 in the dead-letter topic, 0 absent, 0 extra copies",
    timings: { faultToDetected: 3122, faultToRunning: 27_778, faultToFirstCommittedOutput: 37_333, faultToCaughtUp: 38_377 },
    explanation: "",
    error: null,
    ...over,
  });
  const matrix: MatrixReport = {
    ok: false,
    stack: "ci",
    faults: ["taskmanager-crash", "broker-restart"],
    repeat: 1,
    rows: [
      row({}),
      row({
        fault: "broker-restart",
        ok: false,
        restored: null,
        expected: null,
        timings: {},
        deadLetters: "n/a",
        error: "Failed to find <group> coordinator",
      }),
    ],
  };
  const pageOf = (r: MatrixRow) => `faults-${r.mode.toLowerCase()}-${r.fault}-${r.run}.html`;

  it("shows the table with a link to every fault's page and a bar per run", () => {
    const html = renderMatrixHtml(matrix, pageOf);
    expect(figure(html, "verdict")).toBe("INCOMPLETE");
    expect(html).toContain('href="faults-exactly_once-taskmanager-crash-1.html"');
    expect(html).toContain('href="faults-exactly_once-broker-restart-1.html"');
    expect(count(html, /<g class="run"/)).toBe(2);
    expect(html).toContain(">10 of 10 (0 extra)<");
    expect(html).toContain("<td>3.1</td>".replace("<td>", '<td class="num">'));
    expect(html).not.toMatch(/<script|<group>/);
    expect(html).toContain("Failed to find &lt;group&gt; coordinator");
  });

  it("passes when every run passed", () => {
    expect(figure(renderMatrixHtml({ ...matrix, ok: true, rows: [row({})] }, pageOf), "verdict")).toBe("PASSED");
  });
});

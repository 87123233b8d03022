import type { CheckpointRef } from "../../lib/checkpoints/paths";
import { htmlPathOf } from "./html";
import type { MatrixRow, VerifyReport } from "./model";

// The reports as text: one fault's summary on the terminal, the matrix as a Markdown table.

const ms = (value: number | undefined): string =>
  value === undefined ? "n/a" : value < 10_000 ? `${value} ms` : `${(value / 1000).toFixed(1)} s`;
const ref = (checkpoint: CheckpointRef | null): string => (checkpoint ? `${checkpoint.id} (${checkpoint.path})` : "none");

/** The node-loss fault's cluster view: the node, Kubernetes' timings, and the pods' nodes before, during and after. */
function nodeLossLines(report: VerifyReport): string[] {
  const loss = report.nodeLoss;
  if (!loss) return [];
  const t = loss.timings;
  const indented = (title: string, listing: string | undefined) =>
    listing === undefined ? [] : [`  pods ${title} (kubectl get pods -o wide):`, ...listing.split("\n").map((line) => `    ${line}`)];
  return [
    `  node lost: ${loss.node} (ran ${loss.taskManager}); NotReady ${ms(t.nodeNotReady)}, replacement ${loss.replacement ? `${loss.replacement.pod} on ${loss.replacement.node}` : "none"} Ready ${ms(t.replacementReady)} after it stopped; started again after ${ms(t.nodeStarted)}, Ready ${ms(t.nodeReadyAgain)} later`,
    ...indented("before the fault", loss.placement.before),
    ...indented("with the node away", loss.placement.duringLoss),
    ...indented("after it rejoined", loss.placement.afterRejoin),
  ];
}

export function renderSummary(report: VerifyReport, reportPath: string): string {
  const lines = [
    `verify ${report.ok ? "PASSED" : "FAILED"}: ${report.fault}, ${report.mode}, ${report.target} stack${report.stack ? ` "${report.stack}"` : ""}${report.flinkLine ? `, Flink ${report.flinkLine}` : ""}${report.restoreFromEarliest ? ", resubmitted WITHOUT the checkpoint (--restore-from-earliest)" : ""}`,
    `  expected restore ${report.expectedRestore ? ref(report.expectedRestore) : "none required"} → restored ${ref(report.restored)}; first checkpoint after the recovery: ${report.firstCheckpointAfterRestore ?? "none"}`,
    `  resumedFromCheckpoint: ${report.resumedFromCheckpoint}`,
    `  output: ${report.outputsChecked} firings checked (${report.firingsAfterFault} after the fault), ${report.duplicates} duplicates, ${report.missing} missing of ${report.expectedFirings} expected, ${report.unexpected} unexpected`,
    `  input: ${report.input.visits} visits (${report.input.invalid} invalid records, the job's DLQ); ${report.excluded.possiblyLateVisits} possibly late visits in ${report.excluded.windows} windows judged only where unambiguous`,
    `  timings after the fault: detected ${ms(report.timings.faultToDetected)}, RUNNING ${ms(report.timings.faultToRunning)}, first committed output ${ms(report.timings.faultToFirstCommittedOutput)}, caught up ${ms(report.timings.faultToCaughtUp)}; recovery→RUNNING ${ms(report.timings.recoveryToRunning)}; total ${ms(report.timings.total)}`,
    ...nodeLossLines(report),
    ...report.checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.detail}`),
    ...report.notes.map((n) => `  note: ${n}`),
    ...(report.error ? [`  error: ${report.error}`] : []),
    `  timeline: ${htmlPathOf(reportPath)}`,
    `  report: ${reportPath}`,
  ];
  return lines.join("\n");
}

const seconds = (ms: number | undefined) => (ms === undefined ? "–" : (ms / 1000).toFixed(1));

/** The Markdown table of the matrix, one row per fault and mode, then what the AT_LEAST_ONCE duplicates were. */
export function renderMatrix(rows: readonly MatrixRow[]): string {
  const lines = [
    "| fault | mode | run | verdict | duplicates | missing | unexpected | restored (expected) | detected s | RUNNING s | first output s | caught up s |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.fault} | ${r.mode} | ${r.run} | ${r.error ? "INCOMPLETE" : r.ok ? "pass" : "FAIL"} | ${r.duplicates} | ${r.missing} | ${r.unexpected} | ${r.restored ?? "–"} (${r.expected ?? "any"}) | ` +
        `${seconds(r.timings.faultToDetected)} | ${seconds(r.timings.faultToRunning)} | ${seconds(r.timings.faultToFirstCommittedOutput)} | ${seconds(r.timings.faultToCaughtUp)} |`,
    ),
  ];
  const explained = rows.filter((r) => r.mode === "AT_LEAST_ONCE" && r.explanation);
  if (explained.length > 0) {
    lines.push("", "AT_LEAST_ONCE duplicates, explained:", ...explained.map((r) => `- ${r.fault} (run ${r.run}): ${r.explanation}`));
  }
  const failed = rows.filter((r) => r.error);
  if (failed.length > 0) lines.push("", "Incomplete:", ...failed.map((r) => `- ${r.fault} ${r.mode} (run ${r.run}): ${r.error}`));
  return `${lines.join("\n")}\n`;
}

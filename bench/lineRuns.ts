// Runs the comparison of the Flink lines (lines.ts): per line of versions.json a stack derived from the base stack,
// brought up, measured in the order that leaves each part the stack it needs, and destroyed:
//   1. recovery: the verification's taskmanager-crash fault `runs` times, with the stack's own generator;
//   2. throughput and latency (EXACTLY_ONCE, at the stack's interval), with the stack's generator stopped;
//   3. restore against reprocessing: the backlog benchmark's job, with the stack's job cancelled.

import { join } from "node:path";
import { withDerivedStack } from "../lib/stack/derived";
import { parseStackOutputs } from "../lib/stack/outputs";
import { FLINK_LINES } from "../lib/versions";
import type { Log } from "../lib/wait";
import { DEFAULT_CYCLE_OPTIONS, runMatrix } from "../verify";
import { backlogPlanFor } from "./backlog";
import { cancelStackJob } from "./benchJob";
import { LINES_BACKLOG_EVENTS, type LineResult, linesMeasured, lineVariant, renderLinesChart, renderLinesTable } from "./lines";
import { FULL_PLAN, runLatency, runThroughput, stopStackGenerator, withLoadContext } from "./load";
import { summarize } from "./recovery";
import { loadAverages, runBacklog, writeBenchReport } from "./stateRuns";

export interface LinesArguments {
  /** The base stack the lines' stacks are derived from. */
  stack: string;
  /** TaskManager crashes per line. */
  runs: number;
  reports: string;
  /** The backlog's size; null: LINES_BACKLOG_EVENTS. */
  backlogEvents: number | null;
}

async function measureLine(line: string, args: LinesArguments, projectDir: string, runId: string, log: Log): Promise<LineResult> {
  const variant = lineVariant(line);
  const result: LineResult = {
    line,
    flink: null,
    stack: `${args.stack}-${variant.suffix}`,
    recovery: null,
    throughput: null,
    latency: null,
    backlog: null,
    error: null,
  };
  // A part that fails is recorded and the next still runs: each says something of its own about the line.
  const part = async (name: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      result.error ??= `${name}: ${(error as Error).message}`;
      log(`   ${line}: ${name} failed: ${(error as Error).message}`);
    }
  };
  try {
    await withDerivedStack(projectDir, args.stack, variant, log, async (raw, stack) => {
      const outputs = parseStackOutputs(raw, {}, `stack ${stack}`);
      await part("recovery", async () => {
        log(`== line ${line}: ${args.runs} TaskManager crash${args.runs === 1 ? "" : "es"} (load ${loadAverages().join(", ")})`);
        const reportPath = join(args.reports, "lines", line, "faults.json");
        const matrix = await runMatrix({
          outputs,
          stack,
          projectDir,
          faults: ["taskmanager-crash"],
          repeat: args.runs,
          options: DEFAULT_CYCLE_OPTIONS,
          reportPath,
          log,
        });
        const problem = matrix.incomplete || !matrix.matrix.ok ? `the verification failed or could not complete (${reportPath})` : null;
        result.recovery = summarize(`Flink ${line}`, stack, variant.changes, matrix.matrix.rows, problem);
        if (problem) throw new Error(problem);
      });
      await part("throughput and latency", () =>
        withLoadContext(outputs, stack, log, async (ctx) => {
          result.flink = (await ctx.flink.overview()).flinkVersion;
          await stopStackGenerator(ctx);
          log(
            `== line ${line}: throughput, EXACTLY_ONCE, checkpoints every ${ctx.intervalMs / 1000} s (load ${loadAverages().join(", ")})`,
          );
          result.throughput = await runThroughput(ctx, outputs.checkpointMode, FULL_PLAN);
          if (result.throughput.error) throw new Error(result.throughput.error);
          log(`== line ${line}: latency at ${ctx.intervalMs / 1000} s (load ${loadAverages().join(", ")})`);
          [result.latency] = await runLatency(ctx, outputs.checkpointMode, FULL_PLAN, [ctx.intervalMs]);
          if (result.latency?.error) throw new Error(result.latency.error);
        }),
      );
      await part("restore against reprocessing", async () => {
        await cancelStackJob(outputs, log);
        log(`== line ${line}: restore against reprocessing (load ${loadAverages().join(", ")})`);
        const plan = backlogPlanFor(args.backlogEvents ?? LINES_BACKLOG_EVENTS);
        const { load: _load, ...backlog } = await runBacklog(
          { name: stack, outputs, owned: true },
          plan,
          `${runId}${line.replace(/\./g, "")}`,
          log,
        );
        result.backlog = backlog;
        if (backlog.error) throw new Error(backlog.error);
      });
    });
  } catch (error) {
    result.error ??= (error as Error).message;
  }
  return result;
}

/** Measures every Flink line of versions.json, one after another; writes <reports>/lines.{json,md,svg}. */
export async function runLineComparison(
  args: LinesArguments,
  projectDir: string,
  machine: Record<string, unknown>,
  log: Log,
): Promise<boolean> {
  const runId = Date.now().toString(36);
  const results: LineResult[] = [];
  for (const line of Object.keys(FLINK_LINES)) results.push(await measureLine(line, args, projectDir, runId, log));
  const table = renderLinesTable(results);
  const settings = {
    base: args.stack,
    variants: Object.keys(FLINK_LINES).map(lineVariant),
    recoveryRuns: args.runs,
    throughputPlan: FULL_PLAN,
    backlogEvents: args.backlogEvents ?? LINES_BACKLOG_EVENTS,
  };
  await writeBenchReport(args.reports, "lines", { machine, settings, results }, table, renderLinesChart(results));
  return linesMeasured(results);
}

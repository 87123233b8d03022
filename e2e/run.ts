// `npm run e2e`: the real end-to-end run CI does (.ci/run), its runs (e2e/targets.ts: a stack each) in two lanes at
// once, docker's runs one after the other beside kind's: set this machine up (toolchain, Docker Engine, local images; for kind, a kind cluster), then per run its
// stack brought up with the Pulumi Automation API, the fault matrix in EXACTLY_ONCE, the checkpoint tools, and what
// the run adds (the restore that must be caught; on docker's main run the reader against Kafka's own consumer and the
// benchmarks' miniatures), the report pages in Chromium, the processes' logs under reports/e2e/<run>/, and the stack
// destroyed with a check that nothing of it is left — also when a step fails or the run is interrupted. A fault that
// changes the stack (an upgrade to the next Flink line) leaves the later checks on what it made of it, and the stack's
// config is put back as found before the destroy, so its stack file ends the run as it began. E2E_TARGETS="docker" or
// "kind" (or run names) selects runs.

import { existsSync, readdirSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { runBenchmarks } from "../bench";
import { findChromium } from "../lib/browser/chromium";
import { checkPlot } from "../lib/browser/plotCheck";
import { REPO_ROOT } from "../lib/paths";
import { configChanges, outputsOf, printedBy, resourceCount, selectStack, stackControl } from "../lib/stack/lifecycle";
import { parseStackOutputs, type StackOutputs } from "../lib/stack/outputs";
import { checkReportPage, DEFAULT_CYCLE_OPTIONS, runMatrix } from "../verify";
import { brokenRestoreIsCaught, checkpointTools, credentialsNotLeaked, readerAgreesWithKafka } from "./checks";
import { E2eCheckFailed, expectThat, type Log, Phases, phaseSummary } from "./phases";
import { loadProjectEnvironment, runScript } from "./shell";
import { type E2eRun, e2eRuns, selectRuns } from "./targets";

const REPORTS = resolve(REPO_ROOT, "reports", "e2e");

const stamp = () => new Date().toISOString().slice(11, 19);
const consoleLog: Log = (line) => console.log(`${stamp()} ${line}`);

/** Every .svg file under a folder (none when it does not exist). */
function svgFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? svgFilesUnder(join(dir, entry.name)) : entry.name.endsWith(".svg") ? [join(dir, entry.name)] : [],
  );
}

/** The stacks up right now, destroyed when the run is interrupted. */
const upStacks = new Map<string, { stack: Stack; log: Log }>();

/** The target's stack from nothing (a run that died half-way leaves resources behind), brought up. */
async function bringUp(target: E2eRun, phases: Phases, log: Log): Promise<StackOutputs> {
  const stack = await selectStack(REPO_ROOT, target.stack);
  upStacks.set(target.stack, { stack, log });
  if ((await resourceCount(stack)) > 0 || (await target.leftovers()).length > 0) {
    await phases.run(`${target.name}: clean up an earlier run`, () => destroy(target, stack, log));
  }
  await phases.run(`${target.name}: pulumi up (stack ${target.stack})`, () => stack.up({ onOutput: printedBy(log) }));
  return parseStackOutputs(await outputsOf(stack), {}, `stack "${target.stack}"`);
}

async function destroy(target: E2eRun, stack: Stack, log: Log): Promise<void> {
  await stack.destroy({ onOutput: printedBy(log) });
  const left = await target.leftovers();
  expectThat(left.length === 0, `left after destroying stack ${target.stack}:\n  ${left.join("\n  ")}`);
  log(`      nothing of stack ${target.stack} is left`);
}

/** The checks on a target's stack that is up; the first that fails ends them. */
async function checkTarget(target: E2eRun, upOutputs: StackOutputs, phases: Phases, dir: string, log: Log): Promise<void> {
  const matrix = await phases.run(`${target.name}: verify: fault matrix`, async () => {
    const result = await runMatrix({
      outputs: upOutputs,
      stack: target.stack,
      projectDir: REPO_ROOT,
      faults: target.faults,
      repeat: 1,
      options: DEFAULT_CYCLE_OPTIONS,
      reportPath: join(dir, "faults.json"),
      log,
    });
    expectThat(
      !result.incomplete && result.matrix.ok,
      `the fault matrix ${result.incomplete ? "could not complete" : "failed"} (${result.paths.markdown})`,
    );
    return result;
  });
  // What the stack runs after its faults: another Flink line after an upgrade fault.
  const outputs = matrix.outputs;
  if (target.readerCheck) {
    await phases.run(`${target.name}: reader check: aborts out of order`, () => readerAgreesWithKafka(outputs, null, log));
    await phases.run(`${target.name}: reader check: the job's output`, () => readerAgreesWithKafka(outputs, outputs.outputTopic, log));
  }
  await phases.run(`${target.name}: checkpoint tools on the run's checkpoints`, () => checkpointTools(outputs, dir, log));
  const broken = join(dir, "verify-broken.json");
  if (target.brokenRestore)
    await phases.run(`${target.name}: verify: broken restore is caught`, () => brokenRestoreIsCaught(outputs, target.stack, broken, log));
  if (target.benchSmoke) {
    // Last of the measurements, since they set the stack's job aside for a while.
    await phases.run(`${target.name}: bench smoke (throughput, latency, backlog, state)`, async () => {
      const args = {
        recovery: false,
        storage: false,
        throughput: true,
        latency: true,
        backlog: true,
        state: true,
        lines: false,
        smoke: true,
        stack: target.stack,
      };
      const ok = await runBenchmarks({ ...args, runs: 1, settings: null, reports: join(dir, "bench"), backlogEvents: null }, log);
      expectThat(ok, `the benchmarks' miniatures produced no real figures (${join(dir, "bench")})`);
    });
  }
  // What a person would see: the matrix page (with every fault page it links to), the broken restore's page and the
  // benchmarks' plots, each label drawn whole and apart.
  await phases.run(`${target.name}: report check: the pages and plots in Chromium`, async () => {
    const chromium = findChromium();
    expectThat(chromium !== null, "no chromium to open the report pages: bash scripts/browser.sh installs Debian's package");
    for (const page of [matrix.paths.html, ...(target.brokenRestore ? [broken.replace(/\.json$/, ".html")] : [])]) {
      for (const check of await checkReportPage(chromium!, page)) {
        expectThat(check.problems.length === 0, `${check.page} does not show what it must:\n  ${check.problems.join("\n  ")}`);
        log(`      ok ${check.page}: ${check.seen}`);
      }
    }
    for (const plot of svgFilesUnder(join(dir, "bench"))) {
      const check = await checkPlot(chromium!, plot);
      expectThat(check.problems.length === 0, `${check.plot} does not draw its labels whole and apart:\n  ${check.problems.join("\n  ")}`);
      log(`      ok ${check.plot}: ${check.seen}`);
    }
  });
  // Last, when every report of the run is written.
  if (outputs.checkpointStorage.kind === "s3") {
    const stack = upStacks.get(target.stack)?.stack;
    await phases.run(`${target.name}: no S3 credential in a report, a log or the stack outputs`, async () =>
      credentialsNotLeaked(outputs, stack ? await outputsOf(stack) : {}, REPORTS, (logs) => target.collectLogs(logs), log),
    );
  }
}

/** Targets whose `prepare` ran: on an interruption their `finish` runs too (kind: the cluster is deleted). */
const prepared = new Set<E2eRun>();

/** The target's preparation and its stack brought up. */
async function prepareAndBringUp(target: E2eRun, phases: Phases, log: Log): Promise<StackOutputs> {
  prepared.add(target);
  await target.prepare(phases, log);
  loadProjectEnvironment(); // kind's setup wrote how this machine runs kind
  return bringUp(target, phases, log);
}

/**
 * One target end to end: its stack brought up (after its preparation), its checks, its logs collected, its stack
 * destroyed and its preparation undone whatever happened.
 */
async function runTarget(target: E2eRun, phases: Phases, log: Log): Promise<void> {
  const dir = join(REPORTS, target.name);
  await mkdir(dir, { recursive: true });
  let failure: unknown;
  // A fault may change the stack's config (an upgrade's flinkVersion); its stack file ends the run as it began.
  const control = stackControl(REPO_ROOT, target.stack);
  let found: Record<string, string> | undefined;
  try {
    const outputs = await prepareAndBringUp(target, phases, log);
    found = await control.config();
    await checkTarget(target, outputs, phases, dir, log);
  } catch (error) {
    failure = error;
  } finally {
    if (found)
      await control
        .setConfig(configChanges(found, await control.config()))
        .catch((error: Error) => log(`      could not put stack ${target.stack}'s config back: ${error.message}`));
    await target.collectLogs(dir).catch((error: Error) => log(`      could not collect the logs: ${error.message}`));
    const stack = upStacks.get(target.stack);
    if (stack)
      await phases.run(`${target.name}: pulumi destroy`, () => destroy(target, stack.stack, log)).catch((error) => (failure ??= error));
    upStacks.delete(target.stack);
    if (prepared.delete(target)) await target.finish(phases, log).catch((error) => (failure ??= error));
  }
  if (failure) throw failure;
}

/** Runs one after the other, each whatever happened to the one before; true when every one passed. */
async function runLane(runs: readonly E2eRun[], phases: Phases, log: Log): Promise<boolean> {
  let ok = true;
  for (const run of runs) {
    try {
      await runTarget(run, phases, log);
    } catch (error) {
      ok = false;
      if (!(error instanceof E2eCheckFailed)) log(`e2e: ${run.name}: ${(error as Error).message}`);
    }
  }
  return ok;
}

async function main(): Promise<number> {
  const names = (process.env.E2E_TARGETS ?? "").split(/\s+/).filter(Boolean);
  const all = e2eRuns();
  const { runs, unknown } = selectRuns(all, names);
  if (unknown.length > 0) {
    const allowed = [...new Set(all.flatMap((run) => [run.target, run.name]))].join(", ");
    console.error(`e2e: E2E_TARGETS has ${unknown.join(", ")}; allowed: ${allowed}`);
    return 2;
  }
  const phases = new Phases(consoleLog);
  await rm(REPORTS, { recursive: true, force: true });
  await mkdir(REPORTS, { recursive: true });
  // This machine reaches no registry: the stacks run the local equivalents of the official images.
  process.env.FLINK_CHECKPOINTER_IMAGES = "local";
  let failed = false;
  try {
    await phases.run("setup (toolchain, Docker Engine, connector jars, local images)", () =>
      runScript(["scripts/setup.sh", "--local-images"], consoleLog),
    );
    await phases.run("setup (browser for the report check)", () => runScript(["scripts/browser.sh"], consoleLog));
    loadProjectEnvironment();
    // Two lanes at once: docker's runs one after the other, and kind's (its cluster takes minutes to build and start).
    // Their host ports differ (kind: 8081, 9094, the cluster's config); kind's lines carry its name.
    const lanes = await Promise.all([
      runLane(
        runs.filter((run) => run.target === "docker"),
        phases,
        consoleLog,
      ),
      runLane(
        runs.filter((run) => run.target === "kind"),
        phases,
        (line) => consoleLog(`[kind] ${line}`),
      ),
    ]);
    failed = lanes.includes(false);
  } catch (error) {
    failed = true;
    consoleLog(`e2e: ${(error as Error).message}`);
  }
  console.log(`\n=== e2e phases\n${phaseSummary(phases.results)}`);
  const ok = !failed && phases.ok;
  console.log(ok ? `e2e: passed (${runs.map((run) => run.name).join(" ")})` : "e2e: FAILED");
  return ok ? 0 : 1;
}

/** Interrupted: the stacks that are up go down before the process ends. */
async function interrupted(signal: string): Promise<void> {
  consoleLog(`e2e: ${signal}: destroying ${[...upStacks.keys()].join(", ") || "nothing"} before stopping`);
  for (const [name, { stack, log }] of upStacks) {
    await stack
      .destroy({ onOutput: printedBy(log) })
      .catch((error: Error) => consoleLog(`e2e: destroying ${name} failed: ${error.message}`));
  }
  process.exit(130);
}
process.once("SIGINT", () => void interrupted("SIGINT"));
process.once("SIGTERM", () => void interrupted("SIGTERM"));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`e2e: unexpected failure: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);

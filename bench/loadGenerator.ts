// The stack's visit generator in rate mode, as load for the benchmarks: its image, run as a container of our own on
// the stack's Docker network beside the stack's generator (or instead of it), until it has sent its events.

import { STACK_LABEL } from "../infra/contract";
import { type Command, mustRun, runCommand } from "../lib/exec";
import type { StackOutputs } from "../lib/stack/outputs";
import { type Log, seconds } from "../lib/wait";

/** Label on every container a benchmark starts, so one left behind is found: `docker ps -a --filter label=…`. */
export const BENCH_LABEL = "flink-checkpointer.bench";

/** What to generate: flags of jobs/generator (options.ts), rate mode, but when to stop. */
interface LoadShape {
  topic: string;
  /** Events per second to send at; the generator's own ceiling may be lower (see GeneratorSummary). */
  rate: number;
  visits: number;
  delayMinMs: number;
  delayMaxMs: number;
  /** ISO-8601; absent: now. */
  startTime?: string;
  seed: number;
}

/** A count of events, sent to the end (generate). */
export interface GeneratorLoad extends LoadShape {
  maxEvents: number;
}

/** Events for a while, beside a measurement (startLoad, then finishLoad). */
export interface TimedLoad extends LoadShape {
  durationMs: number;
}

/** Where the stack's own generator runs, which a benchmark's generator copies. */
export interface GeneratorPlace {
  image: string;
  network: string;
  bootstrap: string;
  /** The stack's stack label (infra/docker), so a leftover is shown as the stack's too. */
  stackLabel: string;
}

export interface GeneratorSummary {
  sent: number;
  seconds: number;
  /** Events per second the generator reached, by its own count. */
  perSecond: number;
  stoppedBy: string;
}

/** `docker run` of the generator image for `load`, detached, labelled as the benchmark's. */
export function generatorRunCommand(name: string, place: GeneratorPlace, load: GeneratorLoad | TimedLoad, benchLabel: string): Command {
  const until = "maxEvents" in load ? ["--max-events", String(load.maxEvents)] : ["--duration-ms", String(load.durationMs)];
  return {
    file: "docker",
    args: [
      "run",
      "--detach",
      "--name",
      name,
      "--network",
      place.network,
      "--label",
      `${BENCH_LABEL}=${benchLabel}`,
      "--label",
      place.stackLabel,
      place.image,
      "--bootstrap",
      place.bootstrap,
      "--topic",
      load.topic,
      "--rate",
      String(load.rate),
      ...until,
      "--visits",
      String(load.visits),
      "--delay-min-ms",
      String(load.delayMinMs),
      "--delay-max-ms",
      String(load.delayMaxMs),
      "--seed",
      String(load.seed),
      ...(load.startTime ? ["--start-time", load.startTime] : []),
    ],
  };
}

/** The generator's last line: "… stopped (max-events): sent 20000 events in 4.1 s (4878.0/s, 2000 visits begun)". */
export function parseGeneratorSummary(logs: string): GeneratorSummary | null {
  const match = /stopped \(([^)]+)\): sent (\d+) events in ([\d.]+) s \(([\d.]+)\/s/.exec(logs);
  if (!match) return null;
  return { stoppedBy: match[1]!, sent: Number(match[2]), seconds: Number(match[3]), perSecond: Number(match[4]) };
}

/** The stack's generator container (`docker inspect`): its image, network, Kafka address and stack label. */
export function generatorPlaceOf(inspection: unknown): GeneratorPlace {
  const container = (Array.isArray(inspection) ? inspection[0] : inspection) as
    | {
        Name?: string;
        Image?: string;
        Config?: { Env?: string[]; Labels?: Record<string, string> };
        NetworkSettings?: { Networks?: Record<string, unknown> };
      }
    | undefined;
  const networks = Object.keys(container?.NetworkSettings?.Networks ?? {});
  const bootstrap = (container?.Config?.Env ?? []).find((e) => e.startsWith("KAFKA_BOOTSTRAP="))?.slice("KAFKA_BOOTSTRAP=".length);
  const stackLabel = Object.entries(container?.Config?.Labels ?? {}).find(([key]) => key === STACK_LABEL);
  if (!container?.Image || networks.length !== 1 || !bootstrap || !stackLabel) {
    throw new Error(
      `the generator container ${container?.Name ?? "(none)"} does not show one network, KAFKA_BOOTSTRAP and its stack label (docker inspect): was it made by this project's infra/docker?`,
    );
  }
  return { image: container.Image, network: networks[0]!, bootstrap, stackLabel: `${stackLabel[0]}=${stackLabel[1]}` };
}

/** The stack's generator container: infra/docker names it as the broker, `<prefix>-generator`. */
export function stackGeneratorOf(outputs: StackOutputs): string {
  if (outputs.processes.target !== "docker")
    throw new Error(`the stack runs on ${outputs.target}; the benchmarks run on the docker target`);
  return outputs.processes.generator;
}

export async function generatorPlace(stackGenerator: string): Promise<GeneratorPlace> {
  return generatorPlaceOf(JSON.parse(await mustRun({ file: "docker", args: ["inspect", stackGenerator] })));
}

/** Starts the generator with `load` in a container named `name`, and returns at once. */
export async function startLoad(place: GeneratorPlace, load: GeneratorLoad | TimedLoad, name: string, benchLabel: string): Promise<void> {
  await mustRun(generatorRunCommand(name, place, load, benchLabel));
}

export async function generatorRunning(name: string): Promise<boolean> {
  return (await mustRun({ file: "docker", args: ["inspect", "-f", "{{.State.Running}}", name] })) === "true";
}

/** The generator's last lines and what they say it sent (null without its closing line); its container is removed. */
export async function finishLoad(name: string): Promise<{ logs: string; summary: GeneratorSummary | null }> {
  try {
    const logs = await mustRun({ file: "docker", args: ["logs", "--tail", "5", name] }).catch((error: Error) => error.message);
    return { logs, summary: parseGeneratorSummary(logs) };
  } finally {
    await runCommand({ file: "docker", args: ["rm", "--force", name] });
  }
}

/** Removes every generator container started with `benchLabel` (after a failure half-way). */
export async function removeLoads(benchLabel: string): Promise<void> {
  const ids = (await mustRun({ file: "docker", args: ["ps", "-aq", "--filter", `label=${BENCH_LABEL}=${benchLabel}`] }))
    .split("\n")
    .filter(Boolean);
  if (ids.length > 0) await mustRun({ file: "docker", args: ["rm", "--force", ...ids] });
}

/** Runs the generator with `load` until it exits (at most `timeoutMs`), removes its container and returns its count. */
export async function generate(
  place: GeneratorPlace,
  load: GeneratorLoad,
  name: string,
  benchLabel: string,
  timeoutMs: number,
  log: Log,
): Promise<GeneratorSummary> {
  log(`   generator ${name}: ${load.maxEvents} events of ${load.visits} visits at ${load.rate}/s into ${load.topic}`);
  let waited: Awaited<ReturnType<typeof runCommand>>;
  try {
    await startLoad(place, load, name, benchLabel);
    waited = await runCommand({ file: "docker", args: ["wait", name] }, timeoutMs);
  } catch (error) {
    await finishLoad(name);
    throw error;
  }
  const { logs, summary } = await finishLoad(name);
  if (!waited.ok || waited.stdout !== "0" || summary === null || summary.sent !== load.maxEvents) {
    throw new Error(
      `the generator ${name} did not send its ${load.maxEvents} events within ${seconds(timeoutMs)} (exit ${waited.stdout || waited.stderr}); its last lines:\n${logs}`,
    );
  }
  log(`   generator ${name}: sent ${summary.sent} in ${summary.seconds} s (${summary.perSecond}/s)`);
  return summary;
}

/**
 * The docker target's preflight, run before any resource is created (kind has its own: ../kubernetes/preflight.ts):
 * the Docker Engine answers where DOCKER_HOST says, the host ports the stack publishes are free or held by this stack's
 * own containers (so a second `pulumi up` passes), and Docker's data folder has room for the images. Each problem is
 * one line naming what was tried and what to do. The facts are gathered by running docker and binding the ports in a
 * child process; judging them is pure.
 */

import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { STACK_LABEL } from "../contract";
import { type Probe, probe } from "../probe";

/** A running container that publishes host ports, and the stack it belongs to (its STACK_LABEL), if any. */
export interface Publisher {
  readonly name: string;
  readonly stack: string;
  readonly ports: readonly number[];
}

/** What the preflight found out. */
export interface DockerFacts {
  /** DOCKER_HOST as the docker CLI and the provider read it; undefined: the local socket. */
  readonly dockerHost: string | undefined;
  /** `docker info --format {{.DockerRootDir}}`: the engine answers, and where it keeps images. */
  readonly engine: Probe;
  /** The containers publishing host ports (`docker ps`), when the engine answered. */
  readonly publishers: readonly Publisher[];
  /** The host ports on 127.0.0.1 that could not be bound here (local engines only: a remote one publishes elsewhere). */
  readonly portsInUse: readonly number[];
  /** Free bytes in the engine's data folder, when it is on this machine. */
  readonly freeBytes?: number;
}

/**
 * Room the image builds need in Docker's data folder: the job image adds about 0.5 GB of layers to the Flink image and
 * the generator 0.1 GB, and a build holds its context and intermediate layers beside them; with less a build can fail
 * half-way, after Kafka and the network were created.
 */
export const DISK_NEEDED_BYTES = 3 * 1024 ** 3;

const ENGINE_HELP = "start it (this machine: bash scripts/docker-engine.sh), or set DOCKER_HOST to the engine to use";

/** Whether DOCKER_HOST names an engine on another machine, whose ports and disk this machine cannot see. */
export function isRemoteEngine(dockerHost: string | undefined): boolean {
  return dockerHost !== undefined && dockerHost !== "" && !dockerHost.startsWith("unix://");
}

/** The host ports of `docker ps --format '{{.Ports}}'` published on 127.0.0.1 or every address. */
export function publishedPorts(ports: string): number[] {
  const found = [...ports.matchAll(/(?:^|[\s,])(?:127\.0\.0\.1|0\.0\.0\.0|\[::\]|::):(\d+)(?:-(\d+))?->/g)].flatMap((m) => {
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    return Array.from({ length: Math.min(last - first, 1000) + 1 }, (_, i) => first + i);
  });
  return [...new Set(found)];
}

/** Every problem of the facts, one line each (empty: go ahead). */
export function dockerPreflightProblems(
  cfg: Pick<StackConfig, "flinkRestPort" | "kafkaExternalPort">,
  namePrefix: string,
  stack: string,
  facts: DockerFacts,
): string[] {
  const where = facts.dockerHost || "unix:///var/run/docker.sock";
  if (!facts.engine.ok) {
    return [
      facts.engine.missing
        ? "docker is not on PATH: the docker target builds and runs its containers with the Docker Engine's CLI; install Docker Engine (this machine: bash scripts/docker-engine.sh)"
        : `the Docker Engine at ${where} does not answer (\`docker info\`: ${firstLine(facts.engine.error)}); ${ENGINE_HELP}`,
    ];
  }
  const problems: string[] = [];
  for (const [key, port] of [
    ["flinkRestPort", cfg.flinkRestPort],
    ["kafkaExternalPort", cfg.kafkaExternalPort],
  ] as const) {
    const publisher = facts.publishers.find((p) => p.ports.includes(port));
    if (publisher?.stack === namePrefix) continue; // this stack's own container: a second `pulumi up` keeps it
    const holder = publisher
      ? `container ${publisher.name}${publisher.stack ? ` (stack ${publisher.stack.replace(/^flink-checkpointer-/, "")})` : ""}`
      : facts.portsInUse.includes(port)
        ? "another process"
        : undefined;
    if (holder !== undefined) {
      problems.push(
        `host port 127.0.0.1:${port} (${key}) is taken by ${holder}; stop that, or give this stack another port: ` +
          `pulumi config set ${key} <free port> --stack ${stack}`,
      );
    }
  }
  if (facts.freeBytes !== undefined && facts.freeBytes < DISK_NEEDED_BYTES) {
    const root = facts.engine.stdout.trim();
    problems.push(
      `Docker's data folder ${root} has ${gib(facts.freeBytes)} GiB free; the stack's image builds need about ${gib(DISK_NEEDED_BYTES)} GiB: ` +
        "free space there (`docker image ls` shows the images; remove the ones you no longer need), or move Docker's data-root",
    );
  }
  return problems;
}

const gib = (bytes: number): string => (bytes / 1024 ** 3).toFixed(1);

function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((line) => line.trim())
      .find(Boolean) ?? "no error output"
  );
}

/** Tries to listen on each port of 127.0.0.1 in a child Node process (the program runs synchronously); the ones it could not. */
function portsInUse(ports: readonly number[]): number[] {
  const script = `
    const net = require("node:net");
    const ports = ${JSON.stringify(ports)};
    Promise.all(ports.map((port) => new Promise((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(port));
      server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(null)));
    }))).then((taken) => console.log(JSON.stringify(taken.filter((p) => p !== null))));`;
  const ran = probe(process.execPath, ["-e", script]);
  return ran.ok ? (JSON.parse(ran.stdout) as number[]) : [];
}

/** Runs the commands the preflight judges. */
export function gatherDockerFacts(cfg: Pick<StackConfig, "flinkRestPort" | "kafkaExternalPort">): DockerFacts {
  const dockerHost = process.env.DOCKER_HOST;
  const engine = probe("docker", ["info", "--format", "{{.DockerRootDir}}"]);
  if (!engine.ok) return { dockerHost, engine, publishers: [], portsInUse: [] };
  const listed = probe("docker", ["ps", "--format", `{{.Names}}\t{{.Label "${STACK_LABEL}"}}\t{{.Ports}}`]);
  const publishers = listed.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [name = "", stack = "", ports = ""] = line.split("\t");
      return { name, stack, ports: publishedPorts(ports) };
    });
  const local = !isRemoteEngine(dockerHost);
  let freeBytes: number | undefined;
  if (local) {
    try {
      const stats = fs.statfsSync(engine.stdout.trim());
      freeBytes = stats.bavail * stats.bsize;
    } catch {
      // A data folder this user may not read (a rootless engine's, another user's): no disk check.
    }
  }
  return {
    dockerHost,
    engine,
    publishers,
    portsInUse: local ? portsInUse([cfg.flinkRestPort, cfg.kafkaExternalPort]) : [],
    ...(freeBytes !== undefined ? { freeBytes } : {}),
  };
}

/** The preflight: throws one error listing every problem before anything is created. */
export function checkDockerEngine(cfg: StackConfig, namePrefix: string, stack: string): void {
  const problems = dockerPreflightProblems(cfg, namePrefix, stack, gatherDockerFacts(cfg));
  if (problems.length > 0) {
    // A RunError is shown without a stack trace: the message is the whole story.
    throw new pulumi.RunError(`the docker target cannot start (nothing was created):\n  - ${problems.join("\n  - ")}`);
  }
}

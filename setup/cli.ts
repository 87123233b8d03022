// The setup program: brings the groups of pieces this machine needs up to date (see USAGE). Run through
// scripts/setup.sh, which first puts Node >= 22 on PATH and installs the npm dependencies.

import { execFileSync } from "node:child_process";
import { statfsSync } from "node:fs";
import { type Piece, runPieces, summary } from "./engine";
import { type Group, type Setting, SetupError, settingFromEnvironment } from "./group";
import { flockStore, spawnRunner } from "./host";
import { connectorsGroup } from "./pieces/connectors";
import { DOCKER_ENGINE, dockerEnginePiece } from "./pieces/docker";
import { localImagesGroup } from "./pieces/images";
import { inspectorDir, inspectorGroup } from "./pieces/inspector";
import { kindGroup } from "./pieces/kind";
import { seaweedfsGroup } from "./pieces/seaweedfs";
import { toolchainGroup } from "./pieces/toolchain";

export const USAGE = `Usage: bash scripts/setup.sh [GROUP...] [--local-images]
       node_modules/.bin/tsx setup/cli.ts [GROUP...] [--local-images]
       node_modules/.bin/tsx setup/cli.ts path inspector [LINE]

Brings the groups up to date; a piece whose inputs did not change since it was built is skipped.
Groups:
  pulumi        what \`pulumi up\` needs: toolchain, docker and connectors (the default)
  toolchain     the Pulumi CLI and providers, built from Go modules unless you have your own (FC_FORCE_TOOLCHAIN=1)
  docker        a Docker Engine that answers (scripts/docker-engine.sh)
  connectors    every Flink line's Kafka connector jars, in jobs/flink/lib/<line>/
  local-images  the local equivalents of the official images (Debian base, Kafka, Flink per line, Node, the
                S3 server SeaweedFS of checkpointStorage: s3)
  inspector     the checkpoint inspector of every Flink line
  kind          what the kind target needs, and $FC_CACHE/kind/env (FC_KIND_PODMAN=1: kind on podman)
--local-images is pulumi and local-images together.
\`path inspector [LINE]\` builds the inspector of a Flink line (default: versions.json's defaultFlinkLine) if needed
and prints its folder (checkpoint-inspector.jar, classpath.txt) as the last line.
Logs: $FC_CACHE/logs/<piece>.log; stamps: $FC_CACHE/stamps/.`;

export const GROUPS = ["pulumi", "toolchain", "docker", "connectors", "local-images", "inspector", "kind"] as const;
export type GroupName = (typeof GROUPS)[number];

export type Request =
  | { readonly kind: "groups"; readonly groups: readonly GroupName[] }
  | { readonly kind: "path"; readonly line?: string };

export class UsageError extends Error {}

/** What the command line asks for. */
export function parseArguments(args: readonly string[]): Request {
  if (args[0] === "path") {
    if (args[1] !== "inspector" || args.length > 3)
      throw new UsageError(`\`path\` gives the folder of a built artifact: \`path inspector [LINE]\`; got \`${args.join(" ")}\``);
    return { kind: "path", ...(args[2] === undefined ? {} : { line: args[2] }) };
  }
  const groups: GroupName[] = [];
  for (const arg of args) {
    if (arg === "--local-images") groups.push("pulumi", "local-images");
    else if ((GROUPS as readonly string[]).includes(arg)) groups.push(arg as GroupName);
    else throw new UsageError(`unknown argument '${arg}'; allowed: ${GROUPS.join(", ")}, --local-images, or path inspector [LINE]`);
  }
  return { kind: "groups", groups: groups.length === 0 ? ["pulumi"] : [...new Set(groups)] };
}

async function groupOf(name: GroupName, setting: Setting): Promise<Group> {
  switch (name) {
    case "pulumi":
      return merge([toolchainGroup(setting), await groupOf("docker", setting), connectorsGroup(setting)]);
    case "toolchain":
      return toolchainGroup(setting);
    case "docker":
      return { pieces: [dockerEnginePiece(setting)], targets: [DOCKER_ENGINE], notes: [] };
    case "connectors":
      return connectorsGroup(setting);
    case "local-images":
      return merge([localImagesGroup(setting), seaweedfsGroup(setting)]);
    case "inspector":
      return inspectorGroup(setting);
    case "kind":
      return kindGroup(setting);
  }
}

/** Groups together: a piece two of them share (the Docker Engine) is one piece. */
export function merge(groups: readonly Group[]): Group {
  const pieces = new Map<string, Piece>();
  for (const group of groups) for (const piece of group.pieces) if (!pieces.has(piece.name)) pieces.set(piece.name, piece);
  const finishes = groups.flatMap((group) => (group.finish ? [group.finish] : []));
  return {
    pieces: [...pieces.values()],
    targets: [...new Set(groups.flatMap((group) => group.targets))],
    notes: groups.flatMap((group) => group.notes),
    ...(finishes.length === 0 ? {} : { finish: async () => (await Promise.all(finishes.map((finish) => finish()))).flat() }),
  };
}

/** Why `freeBytes` on `where` is too little for what it holds, or undefined when it is enough. */
export function freeSpaceProblem(freeBytes: number, minGiB: number, where: string, holding: string): string | undefined {
  const freeGiB = Math.floor(freeBytes / 1024 ** 3);
  if (freeBytes >= minGiB * 1024 ** 3) return undefined;
  return (
    `only ${freeGiB} GiB free on ${where} (holding ${holding}); the builds and images need about ${minGiB} GiB: ` +
    "free some space there and run again (FC_MIN_FREE_GIB sets the limit)"
  );
}

/** The nearest existing folder of a path, whose file system it will be on. */
function existingAncestor(path: string): string {
  let dir = path;
  for (;;) {
    try {
      statfsSync(dir);
      return dir;
    } catch {
      const parent = dir.replace(/\/[^/]*$/, "") || "/";
      if (parent === dir) return dir;
      dir = parent;
    }
  }
}

function checkFreeSpace(setting: Setting, groups: readonly GroupName[]): void {
  const minGiB = Number(setting.env.FC_MIN_FREE_GIB ?? "5");
  const places: [string, string][] = [[setting.cache, `the caches in ${setting.cache}`]];
  // Docker's images: the local images, and the job images `pulumi up` builds on the Docker Engine the setup provides.
  if (groups.some((group) => group === "local-images" || group === "pulumi" || group === "docker")) {
    let dockerRoot = "/var/lib/docker";
    try {
      dockerRoot = execFileSync("docker", ["info", "--format", "{{.DockerRootDir}}"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
    } catch {
      // no daemon yet: its default place
    }
    places.push([dockerRoot, "Docker's images"]);
  }
  for (const [path, holding] of places) {
    const where = existingAncestor(path);
    const stats = statfsSync(where);
    const problem = freeSpaceProblem(stats.bavail * stats.bsize, minGiB, where, holding);
    if (problem !== undefined) throw new SetupError(problem);
  }
}

async function main(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const started = Date.now();
  const request = parseArguments(args);
  const setting = settingFromEnvironment();
  const print = (line: string) => console.error(line);
  let group: Group;
  let groupNames: readonly GroupName[];
  if (request.kind === "path") {
    const line = request.line ?? setting.versions.defaultFlinkLine;
    if (!(line in setting.flinkLines))
      throw new UsageError(`no Flink line ${line} in versions.json; lines: ${Object.keys(setting.flinkLines).join(", ")}`);
    group = inspectorGroup(setting, [line]);
    groupNames = ["inspector"];
  } else {
    groupNames = request.groups;
    group = merge(await Promise.all(groupNames.map((name) => groupOf(name, setting))));
    print(`setup: ${groupNames.join(", ")} (cache ${setting.cache}; a line at least every 10 s while anything builds)`);
  }
  for (const note of group.notes) print(note);
  checkFreeSpace(setting, groupNames);
  const result = await runPieces(group.pieces, group.targets, { store: flockStore(setting.cache), runner: spawnRunner, print });
  if (result.ok && group.finish) for (const line of await group.finish()) print(line);
  if (request.kind === "path") {
    if (!result.ok) {
      for (const line of summary(result, Date.now() - started)) print(line);
      return 1;
    }
    const [target] = group.targets;
    console.log(inspectorDir(setting, target!.slice("inspector/".length), result.keys.get(target!)!));
    return 0;
  }
  for (const line of summary(result, Date.now() - started)) print(line);
  return result.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`setup: ${error.message}\n\n${USAGE}`);
        process.exit(2);
      }
      console.error(`setup: ERROR: ${error instanceof SetupError ? error.message : ((error as Error).stack ?? String(error))}`);
      process.exit(1);
    },
  );
}

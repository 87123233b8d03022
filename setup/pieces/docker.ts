// A Docker Engine that answers: what the stack's docker target and the local images need. Checked on every run
// (a daemon is not a file); when none answers, scripts/docker-engine.sh installs Debian's docker.io and starts it,
// unless DOCKER_HOST names another engine, which it never installs or starts. What it will do is the piece's `from`,
// which the setup prints before it builds.

import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";
import type { Piece } from "../engine";
import type { Setting } from "../group";

export const DOCKER_ENGINE = "docker-engine";

const dockerAnswers = (): Promise<boolean> =>
  new Promise((resolve) => execFile("docker", ["info"], { timeout: 30_000 }, (error) => resolve(!error)));

/** What scripts/docker-engine.sh will do when no engine answers, in the words the setup announces it with. */
export function dockerEngineAction(dockerHost: string | undefined, dockerdInstalled: boolean): string {
  if (dockerHost && dockerHost !== "unix:///var/run/docker.sock")
    return `nothing: DOCKER_HOST=${dockerHost} names another engine, which this setup never installs or starts (scripts/docker-engine.sh)`;
  return dockerdInstalled
    ? "a root dockerd started in the background (scripts/docker-engine.sh)"
    : "Debian's docker.io installed with apt-get as root, then a root dockerd started (scripts/docker-engine.sh)";
}

const onPath = (program: string): boolean => {
  try {
    execFileSync("sh", ["-c", `command -v ${program}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

export function dockerEnginePiece(setting: Setting): Piece {
  const script = join(setting.repo, "scripts", "docker-engine.sh");
  return {
    name: DOCKER_ENGINE,
    resource: "io",
    from: dockerEngineAction(process.env.DOCKER_HOST, onPath("dockerd")),
    // Nothing of it enters the images' keys: a restarted daemon changes no image.
    inputs: () => ({}),
    holds: dockerAnswers,
    build: (context) => context.run("bash", [script]),
  };
}

// A Docker Engine that answers: what the stack's docker target and the local images need. Checked on every run
// (a daemon is not a file); when none answers, scripts/docker-engine.sh installs Debian's docker.io and starts it.

import { execFile } from "node:child_process";
import { join } from "node:path";
import type { Piece } from "../engine";
import type { Setting } from "../group";

export const DOCKER_ENGINE = "docker-engine";

const dockerAnswers = (): Promise<boolean> =>
  new Promise((resolve) => execFile("docker", ["info"], { timeout: 30_000 }, (error) => resolve(!error)));

export function dockerEnginePiece(setting: Setting): Piece {
  const script = join(setting.repo, "scripts", "docker-engine.sh");
  return {
    name: DOCKER_ENGINE,
    resource: "io",
    from: "Debian's docker.io (scripts/docker-engine.sh)",
    // Nothing of it enters the images' keys: a restarted daemon changes no image.
    inputs: () => ({}),
    holds: dockerAnswers,
    build: (context) => context.run("bash", [script]),
  };
}

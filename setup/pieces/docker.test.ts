import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../lib/paths";
import { dockerEngineAction } from "./docker";

describe("the Docker Engine piece", () => {
  it("announces what it will do, and never installs or starts an engine DOCKER_HOST names elsewhere", () => {
    expect(dockerEngineAction(undefined, false)).toBe(
      "Debian's docker.io installed with apt-get as root, then a root dockerd started (scripts/docker-engine.sh)",
    );
    expect(dockerEngineAction("unix:///var/run/docker.sock", true)).toBe(
      "a root dockerd started in the background (scripts/docker-engine.sh)",
    );
    expect(dockerEngineAction("tcp://10.0.0.9:2375", false)).toBe(
      "nothing: DOCKER_HOST=tcp://10.0.0.9:2375 names another engine, which this setup never installs or starts (scripts/docker-engine.sh)",
    );
  });

  it("scripts/docker-engine.sh stops at a DOCKER_HOST that does not answer, saying it installs and starts nothing", () => {
    // Port 9 of loopback (discard) answers no Docker API: the script must neither install nor start anything.
    const ran = spawnSync("bash", [join(REPO_ROOT, "scripts", "docker-engine.sh")], {
      env: { ...process.env, DOCKER_HOST: "tcp://127.0.0.1:9" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(ran.status).toBe(1);
    expect(ran.stderr).toContain("docker-engine: ERROR: DOCKER_HOST=tcp://127.0.0.1:9 names an engine that does not answer");
    expect(ran.stderr).toContain(
      "docker-engine: This script installs and starts only a local engine, so it does neither: start that engine, or unset DOCKER_HOST to use a local one.",
    );
    expect(ran.stderr).not.toMatch(/installing|starting a root dockerd/);
  });
});

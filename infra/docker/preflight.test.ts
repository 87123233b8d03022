import { describe, expect, it } from "vitest";
import { DISK_NEEDED_BYTES, type DockerFacts, dockerPreflightProblems, isRemoteEngine, publishedPorts } from "./preflight";

const CFG = { flinkRestPort: 27081, kafkaExternalPort: 27094 };
const PREFIX = "flink-checkpointer-hd2-a";
const ENGINE = { ok: true, stdout: "/var/lib/docker\n", missing: false, error: "" };
const facts = (over: Partial<DockerFacts> = {}): DockerFacts => ({
  dockerHost: undefined,
  engine: ENGINE,
  publishers: [],
  portsInUse: [],
  freeBytes: 50 * 1024 ** 3,
  ...over,
});

describe("the docker preflight", () => {
  it("lets a stack with free ports, an engine and room go ahead", () => {
    expect(dockerPreflightProblems(CFG, PREFIX, "hd2-a", facts())).toEqual([]);
  });

  it("names the engine it tried, DOCKER_HOST's when set, and how to start one", () => {
    const down = {
      ok: false,
      stdout: "",
      missing: false,
      error: "Cannot connect to the Docker daemon at tcp://10.0.0.9:2375. Is the docker daemon running?\n",
    };
    expect(dockerPreflightProblems(CFG, PREFIX, "hd2-a", facts({ engine: down, dockerHost: "tcp://10.0.0.9:2375" }))).toEqual([
      "the Docker Engine at tcp://10.0.0.9:2375 does not answer (`docker info`: Cannot connect to the Docker daemon at tcp://10.0.0.9:2375. " +
        "Is the docker daemon running?); start it (this machine: bash scripts/docker-engine.sh), or set DOCKER_HOST to the engine to use",
    ]);
    expect(dockerPreflightProblems(CFG, PREFIX, "hd2-a", facts({ engine: { ...down, missing: true } }))[0]).toMatch(
      /^docker is not on PATH/,
    );
  });

  it("names who holds a host port, and passes the ports this stack's own containers hold", () => {
    const publishers = [
      { name: "flink-checkpointer-hd2-a-jobmanager", stack: PREFIX, ports: [27081] },
      { name: "flink-checkpointer-ci-kafka", stack: "flink-checkpointer-ci", ports: [27094] },
    ];
    expect(dockerPreflightProblems(CFG, PREFIX, "hd2-a", facts({ publishers, portsInUse: [27081, 27094] }))).toEqual([
      "host port 127.0.0.1:27094 (kafkaExternalPort) is taken by container flink-checkpointer-ci-kafka (stack ci); stop that, " +
        "or give this stack another port: pulumi config set kafkaExternalPort <free port> --stack hd2-a",
    ]);
    expect(dockerPreflightProblems(CFG, PREFIX, "hd2-a", facts({ portsInUse: [27081] }))).toEqual([
      "host port 127.0.0.1:27081 (flinkRestPort) is taken by another process; stop that, " +
        "or give this stack another port: pulumi config set flinkRestPort <free port> --stack hd2-a",
    ]);
  });

  it("asks for room in Docker's data folder", () => {
    expect(dockerPreflightProblems(CFG, PREFIX, "hd2-a", facts({ freeBytes: DISK_NEEDED_BYTES - 1 }))).toEqual([
      "Docker's data folder /var/lib/docker has 3.0 GiB free; the stack's image builds need about 3.0 GiB: free space there " +
        "(`docker image ls` shows the images; remove the ones you no longer need), or move Docker's data-root",
    ]);
  });

  it("reads the host ports docker ps shows, and tells a remote engine from a local one", () => {
    expect(publishedPorts("127.0.0.1:18081->8081/tcp, 6123/tcp")).toEqual([18081]);
    expect(publishedPorts("0.0.0.0:9000-9002->9000-9002/tcp, [::]:9000-9002->9000-9002/tcp")).toEqual([9000, 9001, 9002]);
    expect(publishedPorts("8081/tcp")).toEqual([]);
    expect([undefined, "", "unix:///run/user/1000/docker.sock", "tcp://10.0.0.9:2375", "ssh://me@box"].map(isRemoteEngine)).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
  });
});

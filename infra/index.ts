import * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT, readBuildInputs } from "./buildInputs";
import { loadConfig } from "./config";
import { checkDockerEngine } from "./docker/preflight";
import { DockerStack } from "./docker/stack";
import { checkKindCluster } from "./kubernetes/preflight";
import { KindStack } from "./kubernetes/stack";

const config = loadConfig();
const buildInputs = readBuildInputs(config);
const namePrefix = `flink-checkpointer-${pulumi.getStack()}`;

// Each target's preflight runs before any resource is registered: what would fail half-way stops here, in one message.
if (config.target === "docker") checkDockerEngine(config, namePrefix, pulumi.getStack());
const stack =
  config.target === "docker"
    ? new DockerStack("flink-checkpointer", { config, namePrefix, buildInputs })
    : new KindStack("flink-checkpointer", { config, namePrefix, buildInputs, cluster: checkKindCluster(config, REPO_ROOT) });

// Every entry becomes a stack output; verify/ reads them (see README "Stack outputs", infra/contract.ts).
export = stack.outputs;

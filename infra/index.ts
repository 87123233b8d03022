import * as pulumi from "@pulumi/pulumi";
import { readBuildInputs } from "./buildInputs";
import { loadConfig } from "./config";
import { DockerStack } from "./docker/stack";
import { KindStack } from "./kubernetes/stack";

const config = loadConfig();
const buildInputs = readBuildInputs(config);
const namePrefix = `flink-checkpointer-${pulumi.getStack()}`;

const stack = config.target === "docker"
    ? new DockerStack("flink-checkpointer", { config, namePrefix, buildInputs })
    : new KindStack("flink-checkpointer", { config, namePrefix, buildInputs });

// Every entry becomes a stack output; verify/ reads them (see README "Stack outputs").
export = stack.outputs;

import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobManagerStandIn } from "../../lib/flink/restStandIn";
import { DEFAULT_FLINK_LINE, FLINK_LINES, VERSIONS } from "../../lib/versions";
import { parseStackConfig } from "../config";

const LINE = FLINK_LINES[DEFAULT_FLINK_LINE]!;

interface Created {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
}

const created: Created[] = [];
/** Resource name → names of what it explicitly depends on, recorded by a transformation on the stack component. */
const dependsOnByName = new Map<string, Promise<string[]>>();
/** Resource name → whether it is deleted before its replacement is created. */
const deleteBeforeReplaceByName = new Map<string, boolean>();

pulumi.runtime.setMocks(
  {
    newResource(args) {
      created.push({ type: args.type, name: args.name, inputs: args.inputs });
      const state =
        args.type === "docker:index/remoteImage:RemoteImage" ? { ...args.inputs, imageId: `sha256:${args.inputs.name}` } : args.inputs;
      return { id: `${args.name}_id`, state };
    },
    call: (args) => args.inputs,
  },
  "flink-checkpointer",
  "test",
  false,
);

function recordDependsOn(args: pulumi.ResourceTransformationArgs): undefined {
  // The stack passes dependsOn as a plain array of resources.
  const deps = (args.opts.dependsOn ?? []) as pulumi.Resource[];
  if (args.type === "docker:index/container:Container")
    deleteBeforeReplaceByName.set(args.name, (args.opts as pulumi.CustomResourceOptions).deleteBeforeReplace === true);
  dependsOnByName.set(
    args.name,
    Promise.all(deps.map((d) => new Promise<string>((resolve) => d.urn.apply((urn) => resolve(urn.split("::").pop() as string))))),
  );
  return undefined;
}

/** The JobManager the check that ends `pulumi up` asks (the mocks run no Flink). */
let flinkRest: JobManagerStandIn;
let checkpointing: ReturnType<typeof setInterval>;
beforeAll(async () => {
  flinkRest = await JobManagerStandIn.start();
  // The job the check that ends `pulumi up` finds running: it completes a checkpoint now and then.
  const job = flinkRest.addJob({ name: "visit-windows" });
  checkpointing = setInterval(() => flinkRest.checkpoint(job), 100);
});
afterAll(() => {
  clearInterval(checkpointing);
  return flinkRest.close();
});

async function deployDocker(raw: Record<string, string>, env: Record<string, string> = {}): Promise<Created[]> {
  const { DockerStack } = await import("./stack");
  const start = created.length;
  const stack = new DockerStack(
    "fc",
    {
      config: parseStackConfig({ flinkRestPort: String(flinkRest.port), ...raw }, env),
      namePrefix: "fc-test",
      buildInputs: { contextDigests: { flinkJob: "job-digest", generator: "generator-digest" } },
    },
    { transformations: [recordDependsOn] },
  );
  // Wait until every output, and so every child registration, has resolved.
  await new Promise<void>((resolve) => pulumi.output(stack.outputs).apply(() => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return created.slice(start);
}

const containers = (rs: Created[]) => rs.filter((r) => r.type === "docker:index/container:Container");
const byName = (rs: Created[], name: string): Created => {
  const r = containers(rs).find((c) => c.inputs.name === name);
  if (!r)
    throw new Error(
      `no container ${name} among ${containers(rs)
        .map((c) => c.inputs.name)
        .join(", ")}`,
    );
  return r;
};
const env = (c: Created): Record<string, string> =>
  Object.fromEntries((c.inputs.envs ?? []).map((e: string) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

describe("DockerStack", () => {
  let resources: Created[];
  beforeAll(async () => {
    resources = await deployDocker({ taskManagers: "2", checkpointIntervalMs: "15000", checkpointMode: "AT_LEAST_ONCE" });
  });

  it("replaces every container, all of fixed names, by deleting the old one first", () => {
    expect(deleteBeforeReplaceByName.size).toBeGreaterThanOrEqual(containers(resources).length);
    expect([...deleteBeforeReplaceByName].filter(([, first]) => !first).map(([name]) => name)).toEqual([]);
  });

  it("mounts the one checkpoint volume at /checkpoints_flink in the JobManager and every TaskManager", () => {
    const volumes = resources.filter((r) => r.type === "docker:index/volume:Volume" && r.inputs.name.endsWith("-checkpoints"));
    expect(volumes).toHaveLength(1);
    const flink = ["fc-test-jobmanager", "fc-test-taskmanager-1", "fc-test-taskmanager-2"].map((n) => byName(resources, n));
    for (const c of flink) {
      expect(c.inputs.volumes).toEqual([{ volumeName: "fc-test-checkpoints", containerPath: "/checkpoints_flink" }]);
    }
    expect(containers(resources).filter((c) => c.inputs.command?.[0] === "taskmanager")).toHaveLength(2);
  });

  it("gives checkpoint mode, interval and retention to the cluster and to the submitted job", () => {
    const props = env(byName(resources, "fc-test-jobmanager")).FLINK_PROPERTIES;
    expect(props).toContain("execution.checkpointing.interval: 15000ms");
    expect(props).toContain("execution.checkpointing.mode: AT_LEAST_ONCE");
    expect(props).toContain("execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION");
    expect(props).toContain("execution.checkpointing.dir: file:///checkpoints_flink");
    expect(env(byName(resources, "fc-test-taskmanager-1")).FLINK_PROPERTIES).toBe(props);
    const submit = [...byName(resources, "fc-test-submit").inputs.entrypoints, ...byName(resources, "fc-test-submit").inputs.command];
    expect(submit.slice(0, 2)).toEqual(["python3", "/opt/flink/usrlib/jobs/submit.py"]);
    expect(submit.join(" ")).toContain("--checkpoint-mode AT_LEAST_ONCE --checkpoint-interval-ms 15000");
    expect(submit.join(" ")).toContain("--retain-on-cancellation true");
    expect(submit).not.toContain("--restore-from");
  });

  it("mounts the checkpoint volume read-only in the submission, where restoreFrom latest looks", () => {
    expect(byName(resources, "fc-test-submit").inputs.volumes).toEqual([
      { volumeName: "fc-test-checkpoints", containerPath: "/checkpoints_flink", readOnly: true },
    ]);
  });

  it("creates the topics with their partitions in a one-shot container whose exit Pulumi waits for", () => {
    const topicsJob = byName(resources, "fc-test-kafka-topics");
    const script = topicsJob.inputs.command.join(" ");
    for (const topic of ["visits", "visit_windows", "visits_dlq"]) {
      expect(script).toContain(`--topic ${topic} --partitions 2`);
    }
    expect(topicsJob.inputs).toMatchObject({ attach: true, mustRun: false, restart: "no" });
  });

  it("publishes ports on 127.0.0.1 only", () => {
    const published = containers(resources).flatMap((c) => (c.inputs.ports ?? []).map((p: any) => ({ ...p, container: c.inputs.name })));
    expect(published).toEqual(
      [
        { internal: 9094, external: 9094, ip: "127.0.0.1", protocol: "tcp", container: "fc-test-kafka" },
        { internal: 8081, external: flinkRest.port, ip: "127.0.0.1", protocol: "tcp", container: "fc-test-jobmanager" },
      ].map((p) => expect.objectContaining({ internal: p.internal, external: p.external, ip: p.ip, container: p.container })),
    );
  });

  it("runs every container as a non-root user", () => {
    for (const c of containers(resources)) {
      expect(c.inputs.user, c.inputs.name).toMatch(/^[1-9]\d*:\d+$/);
    }
  });

  it("runs every container without capabilities or privilege gain, memory capped without swap, its log rotated", () => {
    for (const c of containers(resources)) {
      expect(c.inputs.capabilities, c.inputs.name).toEqual({ drops: ["ALL"] });
      expect(c.inputs.securityOpts, c.inputs.name).toEqual(["no-new-privileges:true"]);
      expect(c.inputs.memory, c.inputs.name).toBeGreaterThan(0);
      expect(c.inputs.memorySwap, c.inputs.name).toBe(c.inputs.memory);
      expect(c.inputs.logOpts, c.inputs.name).toEqual({ "max-size": "10m", "max-file": "3" });
    }
  });

  it("caps the Flink containers at their configured process size plus room for Python", async () => {
    const sized = await deployDocker({ jobManagerMemoryMb: "1536", taskManagerMemoryMb: "3072" });
    expect(byName(sized, "fc-test-jobmanager").inputs.memory).toBe(1536 + 512);
    expect(byName(sized, "fc-test-taskmanager-1").inputs.memory).toBe(3072 + 512);
    expect(env(byName(sized, "fc-test-taskmanager-1")).FLINK_PROPERTIES).toContain("taskmanager.memory.process.size: 3072m");
  });

  it("runs Kafka from the configured image, pulled only when it is not already local", () => {
    const remote = resources.filter((r) => r.type === "docker:index/remoteImage:RemoteImage" && r.inputs.build === undefined);
    expect(remote.map((r) => r.inputs)).toEqual([{ name: VERSIONS.kafka.officialImage, keepLocally: true }]);
    expect(byName(resources, "fc-test-kafka").inputs.image).toBe(`sha256:${VERSIONS.kafka.officialImage}`);
  });

  it("advertises the published Kafka port to host clients", () => {
    expect(env(byName(resources, "fc-test-kafka")).KAFKA_ADVERTISED_LISTENERS).toBe("PLAINTEXT://kafka:9092,EXTERNAL://127.0.0.1:9094");
  });

  it("builds the job and generator images from jobs/ on the configured base images, without pushing", () => {
    const images = resources.filter((r) => r.type === "docker:index/remoteImage:RemoteImage" && r.inputs.build !== undefined);
    expect(images.map((i) => [i.inputs.build.context.split("/").slice(-2).join("/"), i.inputs.build.buildArgs, i.inputs.triggers])).toEqual(
      [
        [
          "jobs/flink",
          { FLINK_IMAGE: LINE.officialImage, PYFLINK_VERSION: LINE.pyflink, FLINK_LINE: DEFAULT_FLINK_LINE },
          { contextDigest: "job-digest" },
        ],
        ["jobs/generator", { NODE_IMAGE: VERSIONS.node.officialImage }, { contextDigest: "generator-digest" }],
      ],
    );
    expect(resources.filter((r) => r.type === "docker:index/registryImage:RegistryImage")).toEqual([]);
    // Containers run the built image by id, so a rebuild replaces them.
    expect(byName(resources, "fc-test-jobmanager").inputs.image).toBe("sha256:flink-checkpointer/flink-job:fc-test");
  });

  it("orders the submission after the JobManager, the TaskManagers and the topics, and the generator after the topics", async () => {
    expect((await dependsOnByName.get("fc-job"))?.sort()).toEqual(
      ["fc-flink-jobmanager", "fc-flink-taskmanager-1", "fc-flink-taskmanager-2", "fc-kafka-topics"].sort(),
    );
    expect(await dependsOnByName.get("fc-visits")).toEqual(["fc-kafka-topics"]);
  });
});

describe("DockerStack with restoreFrom", () => {
  it("submits the job restoring from the configured checkpoint", async () => {
    const chk = "file:///checkpoints_flink/3f2c/chk-4";
    const resources = await deployDocker({ restoreFrom: chk });
    const submit = byName(resources, "fc-test-submit").inputs.command as string[];
    expect(submit[submit.indexOf("--restore-from") + 1]).toBe(chk);
  });

  it("passes latest on to the submission, which finds the checkpoint when it runs", async () => {
    const resources = await deployDocker({ restoreFrom: "latest" });
    const submit = byName(resources, "fc-test-submit").inputs.command as string[];
    expect(submit[submit.indexOf("--restore-from") + 1]).toBe("latest");
  });
});

describe("DockerStack on local image defaults", () => {
  it("builds and runs on the local equivalents of every image the stack does not set", async () => {
    const resources = await deployDocker({ nodeImage: "mine/node:22" }, { FLINK_CHECKPOINTER_IMAGES: "local" });
    const images = resources.filter((r) => r.type === "docker:index/remoteImage:RemoteImage");
    expect(images.map((i) => i.inputs.build?.buildArgs ?? i.inputs.name)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ FLINK_IMAGE: LINE.localImage }),
        { NODE_IMAGE: "mine/node:22" },
        VERSIONS.kafka.localImage,
      ]),
    );
    expect(images).toHaveLength(3);
  });
});

// The shared sequence and each fault's injection and recovery, run against stand-ins: the project's REST client
// talks to a stand-in JobManager over HTTP, the cycle reads and writes an in-memory broker, and the fault acts on a
// target that records what it did. A tick plays the stack: the generator writes visits, every RUNNING job completes
// a checkpoint, commits its source offsets and writes output. What the cycle gathered is checked, not judged (the
// judging's own tests do that).

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StackOutputs } from "../../infra/contract";
import { JOB_DEFAULTS, programArguments } from "../../jobs/flink/settings";
import { normalizeCheckpointPath } from "../../lib/checkpoints/paths";
import { FlinkRest } from "../../lib/flink/rest";
import { checkpointIdOf, JobManagerStandIn, type StandInJob } from "../../lib/flink/restStandIn";
import type { Connection } from "./connection";
import { type CycleOptions, DEFAULT_CYCLE_OPTIONS, runCycle } from "./cycle";
import type { CycleEvidence } from "./evidence";
import { runFault } from "./fault";
import { FAULTS, type FaultName, restoreFromUri } from "./faults";
import { KafkaStandIn, NodesStandIn, StackStandIn, TargetStandIn } from "./standIns";

const OPTIONS: CycleOptions = {
  ...DEFAULT_CYCLE_OPTIONS,
  checkpointTimeoutMs: 8_000,
  cancelTimeoutMs: 4_000,
  backlogMs: 0,
  restoreTimeoutMs: 8_000,
  outputTimeoutMs: 8_000,
  readTimeoutMs: 2_000,
  malformedRecords: 3,
};

const RECOVER_COMMAND = ["python3", "/opt/flink/usrlib/jobs/submit.py", "--restore-from", "latest"];

let jm: JobManagerStandIn;
let kafka: KafkaStandIn;
let target: TargetStandIn;
let ticking: ReturnType<typeof setInterval>;
let outputs: StackOutputs;

/** The stack at work: visits written, and every RUNNING job checkpointing, committing and writing output. */
function tick(): void {
  for (const p of [0, 1]) kafka.append("visits", p, JSON.stringify({ visit_id: `v${p}`, event_time: new Date().toISOString() }));
  for (const job of jm.jobs.values()) {
    if (job.state !== "RUNNING" || job.vertices.some((v) => v.status !== "RUNNING")) continue;
    jm.checkpoint(job);
    void kafka.endOffsets("visits").then((end) => kafka.commit(JOB_DEFAULTS.groupId, end));
    kafka.append("visit_windows", 0, JSON.stringify({ job: job.id }));
  }
}

beforeEach(async () => {
  jm = await JobManagerStandIn.start();
  kafka = new KafkaStandIn(["visits", "visit_windows", "visits_dlq"], 2);
  target = new TargetStandIn();
  // Listing a checkpoint's _metadata answers for every checkpoint the model completed, as `ls -l` would.
  target.on.run = (argv) => {
    if (argv[0] !== "ls") return "";
    const path = argv[argv.length - 1]!;
    const exists = [...jm.jobs.values()].some((job) =>
      [...job.checkpoints.filter((c) => c.status === "COMPLETED"), ...(job.savepoint ? [job.savepoint] : [])].some(
        (c) => `${c.externalPath.replace(/^file:/, "")}/_metadata` === path,
      ),
    );
    return exists ? `-rw-r--r-- 1 flink flink 30000 ${path}` : null;
  };
  outputs = {
    target: "docker",
    flinkLine: "1.20",
    flinkRestUrl: jm.url,
    kafkaBootstrap: "127.0.0.1:9094",
    visitsTopic: "visits",
    outputTopic: "visit_windows",
    dlqTopic: "visits_dlq",
    groupId: JOB_DEFAULTS.groupId,
    partitions: 2,
    checkpointDir: "file:///checkpoints_flink",
    checkpointMode: "EXACTLY_ONCE",
    checkpointIntervalMs: 100,
    checkpointTimeoutMs: 1000,
    jobName: JOB_DEFAULTS.jobName,
    jobSubmission: { entryClass: "org.apache.flink.client.python.PythonDriver", script: "/job.py", settings: JOB_DEFAULTS },
    checkpointStorage: { kind: "volume", name: "v", mountPath: "/checkpoints_flink" },
    processes: { target: "docker", jobManager: "jm", taskManagers: ["tm-1"], kafka: "kafka", generator: "gen" },
    recoverCommand: RECOVER_COMMAND,
    checkpointListing: ["python3", "/opt/checkpoints.py", "list"],
  };
  ticking = setInterval(tick, 60);
  inspectedWith = [];
});

afterEach(async () => {
  clearInterval(ticking);
  await jm.close();
});

/** The Flink line of the stack outputs the checkpoint inspector was asked to read a checkpoint with, in order. */
let inspectedWith: string[];

/**
 * The stand-ins as the cycle's connection (with the stack, when given); the checkpoint inspector's reading of a
 * source's offsets is a constant.
 */
const connection = (stack: StackStandIn | null = null): Connection => ({
  flink: new FlinkRest(jm.url, 2_000),
  kafka,
  target,
  stack,
  sourceOffsetsOf: async (current) => {
    inspectedWith.push(current.flinkLine);
    return { 0: 5, 1: 5 };
  },
  timing: { commitSettleMs: 0, restCacheMs: 0 },
});

/** The fault through the cycle on a running job of the stack's name. */
async function run(
  fault: FaultName,
  options = OPTIONS,
  stack: StackStandIn | null = null,
): Promise<{ evidence: CycleEvidence; job: StandInJob; after: StackOutputs }> {
  const job = jm.addJob({ name: JOB_DEFAULTS.jobName });
  const evidence: CycleEvidence = { notes: [], timings: {} };
  const after = await runCycle(connection(stack), outputs, FAULTS[fault], options, () => undefined, evidence);
  return { evidence, job, after };
}

/** What every completed cycle gathered, whatever the fault. */
function expectCompleteEvidence(evidence: CycleEvidence): void {
  expect(evidence.checkpointBeforeFault?.id).toBeGreaterThanOrEqual(2);
  expect(evidence.firstCheckpointAfterRestore).toBeGreaterThan(evidence.restored?.id ?? 0);
  expect(evidence.timings.faultToRunning).toBeGreaterThanOrEqual(0);
  expect(evidence.timings.faultToFirstCommittedOutput).toBeGreaterThanOrEqual(0);
  expect(evidence.timings.faultToCaughtUp).toBeGreaterThanOrEqual(0);
  expect(evidence.outputRecords?.length).toBeGreaterThan(0);
  expect(evidence.inputRecords?.length).toBeGreaterThan(0);
  expect(evidence.malformedSent).toHaveLength(OPTIONS.malformedRecords);
  expect(evidence.watermarkGenerators).toEqual([{ name: expect.stringContaining("Timestamps/Watermarks"), parallelism: 2 }]);
  expect(evidence.jobStateAtEnd).toBe("RUNNING");
}

describe("the cycle", () => {
  it("cancel-restore: cancels through REST, shows the retained checkpoint, resubmits from it and gathers everything", async () => {
    const { evidence, job } = await run("cancel-restore");
    expectCompleteEvidence(evidence);
    expect(job.state).toBe("CANCELED");
    expect(evidence.jobIdAtFault).toBe(job.id);
    expect(evidence.expectedRestore).toEqual({ id: expect.any(Number), path: expect.stringMatching(new RegExp(`${job.id}/chk-\\d+$`)) });
    expect(evidence.retained).toMatchObject({ inRestHistory: true, metadataListing: expect.stringContaining("_metadata") });
    expect(jm.runs).toEqual([
      {
        jarId: jm.jars[0]!.id,
        entryClass: outputs.jobSubmission.entryClass,
        programArgsList: programArguments(JOB_DEFAULTS),
        parallelism: JOB_DEFAULTS.parallelism,
        savepointPath: evidence.expectedRestore!.path,
      },
    ]);
    expect(evidence.recoveredJobId).not.toBe(job.id);
    expect(evidence.restored).toEqual(evidence.expectedRestore);
    expect(evidence.restoredSourceOffsets).toEqual({ 0: 5, 1: 5 });
  }, 30_000);

  it("rescale-down: resubmits at one less parallelism, in the run request and on the job's command line", async () => {
    await run("rescale-down");
    const request = jm.runs[0]!;
    expect(request.parallelism).toBe(JOB_DEFAULTS.parallelism - 1);
    expect(request.programArgsList).toEqual(programArguments({ ...JOB_DEFAULTS, parallelism: JOB_DEFAULTS.parallelism - 1 }));
  }, 30_000);

  it("the broken case resubmits without the checkpoint", async () => {
    const { evidence } = await run("cancel-restore", { ...OPTIONS, restoreFromEarliest: true });
    expect(jm.runs[0]!.savepointPath).toBeUndefined();
    expect(evidence.savepointPath).toBeNull();
    expect(evidence.restored).toBeNull();
  }, 30_000);

  it("taskmanager-crash: crashes the TaskManager running the job's tasks; Flink restores the same job by itself", async () => {
    target.on.crash = (role) => {
      const job = [...jm.jobs.values()][0]!;
      expect(role).toBe("taskmanager");
      job.state = "RESTARTING";
      setTimeout(() => {
        const latest = job.checkpoints.filter((c) => c.status === "COMPLETED").at(-1)!;
        job.restored = { id: latest.id, externalPath: latest.externalPath, atMs: Date.now() };
        job.restarts += 1;
        job.state = "RUNNING";
      }, 300);
    };
    const { evidence, job } = await run("taskmanager-crash");
    expectCompleteEvidence(evidence);
    expect(target.done).toContain("crash taskmanager tm-1");
    expect(evidence.recoveredJobId).toBe(job.id);
    expect(evidence.restartsAfter).toBe(1);
    expect(evidence.restored?.id).toBe(evidence.expectedRestore?.id);
    expect(jm.runs).toEqual([]);
  }, 30_000);

  it("jobmanager-crash: kills the JobManager, which loses the job; the stack's recovery command resubmits from the newest checkpoint", async () => {
    target.on.crash = (role) => {
      expect(role).toBe("jobmanager");
      // A dead JobManager completes no checkpoint; its job is gone once it answers again (no HA on docker).
      for (const job of jm.jobs.values()) job.state = "SUSPENDED";
      jm.answering = false;
      setTimeout(() => {
        jm.jobs.clear();
        jm.answering = true;
      }, 300);
    };
    const baseRun = target.on.run!;
    target.on.run = (argv) => {
      if (argv.join(" ") !== RECOVER_COMMAND.join(" ")) return baseRun(argv);
      // What submit.py --restore-from latest does: the newest complete checkpoint on the volume, resubmitted.
      const newest = [...jm.jobs.values(), ...lost].flatMap((j) => j.checkpoints.filter((c) => c.status === "COMPLETED")).at(-1)!;
      jm.addJob({ name: JOB_DEFAULTS.jobName, restored: { id: newest.id, externalPath: newest.externalPath, atMs: Date.now() } });
      return `submit: restoring from ${newest.externalPath} (newest complete)`;
    };
    const lost: StandInJob[] = [];
    const originalCrash = target.on.crash;
    target.on.crash = (role) => {
      lost.push(...jm.jobs.values());
      originalCrash(role);
    };
    const { evidence, job } = await run("jobmanager-crash");
    expectCompleteEvidence(evidence);
    expect(target.done).toEqual(expect.arrayContaining(["crash jobmanager", `run ${RECOVER_COMMAND.join(" ")}`]));
    expect(evidence.jobIdAtFault).toBe(job.id);
    expect(evidence.recoveredJobId).not.toBe(job.id);
    expect(evidence.restored?.id).toBe(evidence.expectedRestore?.id);
    expect(checkpointIdOf(evidence.expectedRestore!.path)).toBe(evidence.expectedRestore!.id);
  }, 30_000);

  it("crash-during-checkpoint: plants an incomplete chk-N, holds a checkpoint open by freezing a TaskManager, then kills the JobManager", async () => {
    target.on.crash = () => {
      for (const job of jm.jobs.values()) job.state = "SUSPENDED";
      jm.answering = false;
      setTimeout(() => {
        jm.jobs.clear();
        jm.answering = true;
      }, 300);
    };
    const baseRun = target.on.run!;
    target.on.run = (argv) => {
      if (argv.join(" ") !== RECOVER_COMMAND.join(" ")) return baseRun(argv);
      jm.addJob({ name: JOB_DEFAULTS.jobName, restored: { id: 1, externalPath: "file:/checkpoints_flink/x/chk-1", atMs: Date.now() } });
      return "submit: restoring from file:/checkpoints_flink/x/chk-1";
    };
    await run("crash-during-checkpoint").catch(() => undefined);
    const order = target.done.filter((d) => /^(run sh|freeze|crash|continue)/.test(d));
    expect(order[0]).toMatch(/^run sh -c mkdir -p '\/checkpoints_flink\/[0-9a-f]{32}\/chk-\d+'/);
    expect(order.slice(1, 4)).toEqual(["freeze tm-1", "crash jobmanager", "continue tm-1"]);
  }, 30_000);

  it("broker-restart: restarts the broker; the job may ride it out, so no restore is required", async () => {
    const { evidence } = await run("broker-restart");
    expect(target.done).toContain("restart broker");
    expect(evidence.expectedRestore).toBeNull();
    expect(evidence.recoveredJobId).toBe(evidence.jobIdAtFault);
    expect(jm.runs).toEqual([]);
  }, 30_000);

  it("object-store-outage: the job rides the store's outage out; a checkpoint that expired meanwhile counts when Flink records it after the store's return, as 2.2 does", async () => {
    let away = false;
    target.on.objectStoreOutage = (down) => {
      // While the store is away no checkpoint completes; the one it held up is recorded as failed once it is back.
      away = down;
      const job = [...jm.jobs.values()][0]!;
      if (!down) jm.checkpoint(job, "FAILED");
    };
    const checkpointing = jm.checkpoint.bind(jm);
    jm.checkpoint = (job, status) =>
      away && status !== "FAILED" ? job.checkpoints[job.checkpoints.length - 1]! : checkpointing(job, status);
    const { evidence } = await run("object-store-outage");
    expect(target.done).toEqual(expect.arrayContaining(["object store down", "object store back"]));
    expect(evidence.objectStoreOutage?.failedDuring).toBe(1);
    expect(evidence.objectStoreOutage?.backToCheckpointMs).toBeGreaterThanOrEqual(0);
    expect(evidence.expectedRestore).toBeNull();
    expect(jm.runs).toEqual([]);
  }, 30_000);

  describe("node-loss", () => {
    /** A control-plane and two workers, the job's TaskManager on the first worker, the standby on the second. */
    const kindCluster = () => {
      const node = (name: string, controlPlane = false) => ({ name, ready: true, readySinceMs: 0, controlPlane });
      const pod = (name: string, role: string, on: string) => ({
        name,
        role,
        node: on,
        createdAtMs: 0,
        ready: true,
        readySinceMs: 0,
        terminating: false,
      });
      const nodes = new NodesStandIn(
        [node("c-control-plane", true), node("c-worker"), node("c-worker2")],
        [pod("jm", "jobmanager", "c-control-plane"), pod("tm-a", "taskmanager", "c-worker"), pod("tm-b", "taskmanager", "c-worker2")],
      );
      target = new TargetStandIn([
        { name: "tm-a", addresses: ["10.244.1.5", "tm-a"] },
        { name: "tm-b", addresses: ["10.244.2.7", "tm-b"] },
      ]);
      target.nodes = nodes;
      const vertex = {
        id: "v1",
        name: "Source: visits source -> Timestamps/Watermarks",
        parallelism: 2,
        status: "RUNNING",
        hosts: ["10.244.1.5:6122"],
      };
      return { nodes, vertex };
    };

    it("stops the node of the job's TaskManager; Flink restores the job on the other node's standby; the node rejoins", async () => {
      const { nodes, vertex } = kindCluster();
      const job = jm.addJob({ name: JOB_DEFAULTS.jobName, vertices: [vertex] });
      nodes.on.stop = () => {
        job.state = "RESTARTING";
        setTimeout(() => {
          const latest = job.checkpoints.filter((c) => c.status === "COMPLETED").at(-1)!;
          job.restored = { id: latest.id, externalPath: latest.externalPath, atMs: Date.now() };
          job.restarts += 1;
          job.vertices[0]!.hosts = ["10.244.2.7:6122"];
          job.state = "RUNNING";
        }, 300);
      };
      const { report, incomplete } = await runFault({
        outputs: {
          ...outputs,
          checkpointDir: "s3://flink-checkpoints/checkpoints",
          checkpointStorage: {
            kind: "s3",
            endpoint: "http://s3:8333",
            bucket: "flink-checkpoints",
            pathStyle: true,
            inStack: true,
            credentialsFile: "/opt/flink/.aws/credentials",
          },
        },
        fault: "node-loss",
        options: OPTIONS,
        stack: null,
        reportPath: join(mkdtempSync(join(tmpdir(), "node-loss-")), "report.json"),
        log: () => undefined,
        connection: connection(),
      });
      expect(incomplete).toBe(false);
      expect(nodes.done).toEqual(["stop c-worker", "start c-worker", "replace taskmanager-new-1"]);
      expect(report.restored?.id).toBe(report.expectedRestore?.id);
      expect(report.nodeLoss).toMatchObject({
        node: "c-worker",
        taskManager: "tm-a",
        standbys: ["tm-b"],
        recoveredOn: [{ taskManager: "tm-b", node: "c-worker2" }],
        replacement: { pod: "taskmanager-new-1", node: "c-worker2" },
        rejoinProblems: [],
      });
      expect(report.nodeLoss?.placement.before).toContain("tm-a 1/1 c-worker");
      expect(report.checks.filter((c) => ["recoveredOnAnotherNode", "nodeRejoined"].includes(c.name)).map((c) => c.ok)).toEqual([
        true,
        true,
      ]);
    }, 30_000);

    it("refuses checkpoints on the volume, which the lost node would take with it, before stopping anything", async () => {
      const { nodes, vertex } = kindCluster();
      jm.addJob({ name: JOB_DEFAULTS.jobName, vertices: [vertex] });
      const evidence: CycleEvidence = { notes: [], timings: {} };
      await expect(runCycle(connection(), outputs, FAULTS["node-loss"], OPTIONS, () => undefined, evidence)).rejects.toThrow(
        "node-loss needs the checkpoints off the nodes, but they are at file:///checkpoints_flink",
      );
      expect(nodes.done).toEqual([]);
    }, 30_000);

    it("refuses a target without nodes", async () => {
      jm.addJob({ name: JOB_DEFAULTS.jobName });
      const evidence: CycleEvidence = { notes: [], timings: {} };
      await expect(runCycle(connection(), outputs, FAULTS["node-loss"], OPTIONS, () => undefined, evidence)).rejects.toThrow(
        "node-loss needs a target of several nodes",
      );
    }, 30_000);
  });

  it("stops with the JobManager's own words when no job of the stack's name runs", async () => {
    const evidence: CycleEvidence = { notes: [], timings: {} };
    await expect(runCycle(connection(), outputs, FAULTS["cancel-restore"], OPTIONS, () => undefined, evidence)).rejects.toThrow(
      `no running job named "${JOB_DEFAULTS.jobName}" on ${jm.url} (jobs there: none)`,
    );
    expect(target.done).toEqual([]);
  });
});

describe("the upgrade to the next Flink line", () => {
  /** The checkpoint a restoreFrom names: a chk-N by its number, a savepoint by the job that wrote it. */
  const restoredBy = (restoreFrom: string) => {
    const savepoint = [...jm.jobs.values()].find((j) => j.savepoint && restoreFromUri(j.savepoint.externalPath) === restoreFrom)?.savepoint;
    return { id: checkpointIdOf(restoreFrom) ?? savepoint!.id, externalPath: savepoint?.externalPath ?? restoreFrom, atMs: Date.now() };
  };

  /** A stack on 1.20 whose `pulumi up` is the new line's submission: a job restored from its restoreFrom. */
  const stackOn120 = () => {
    const stack = new StackStandIn({ target: "docker", flinkVersion: "1.20" });
    stack.onUp = (config) => {
      jm.addJob({ name: JOB_DEFAULTS.jobName, restored: restoredBy(config.restoreFrom!) });
      return { ...outputs, flinkLine: config.flinkVersion };
    };
    return stack;
  };

  it("upgrade-line: stops the job with a savepoint, brings the stack up on the next line restoring it, and puts restoreFrom back", async () => {
    const stack = stackOn120();
    const { evidence, job, after } = await run("upgrade-line", OPTIONS, stack);
    expectCompleteEvidence(evidence);
    expect(job.state).toBe("FINISHED");
    expect(evidence.expectedRestore).toEqual({ id: job.savepoint!.id, path: job.savepoint!.externalPath });
    expect(evidence.retained).toMatchObject({ inRestHistory: true, metadataListing: expect.stringContaining("savepoints/savepoint-") });
    const restoreFrom = restoreFromUri(job.savepoint!.externalPath);
    expect(stack.done).toEqual(["set flinkVersion=2.2", `set restoreFrom=${restoreFrom}`, "up", "remove restoreFrom"]);
    expect(stack.values).toEqual({ target: "docker", flinkVersion: "2.2" });
    expect(evidence.restored).toEqual(evidence.expectedRestore);
    expect(evidence.recoveredJobId).not.toBe(job.id);
    // Read after the upgrade with the new line's inspector, and the faults after it run on the new line's outputs.
    expect(inspectedWith).toEqual(["2.2"]);
    expect(after.flinkLine).toBe("2.2");
    expect(evidence.notes).toContainEqual(expect.stringMatching(/^upgraded from Flink 1\.20 to 2\.2 with pulumi up/));
    expect(jm.runs).toEqual([]);
  }, 30_000);

  it("upgrade-line-checkpoint: cancels, and restores the retained checkpoint on the next line", async () => {
    const stack = stackOn120();
    const { evidence, job } = await run("upgrade-line-checkpoint", OPTIONS, stack);
    expectCompleteEvidence(evidence);
    expect(job.state).toBe("CANCELED");
    expect(evidence.expectedRestore!.path).toMatch(new RegExp(`${job.id}/chk-\\d+$`));
    expect(stack.done).toContain(`set restoreFrom=${restoreFromUri(evidence.expectedRestore!.path)}`);
    expect(evidence.restored?.id).toBe(evidence.expectedRestore?.id);
    expect(normalizeCheckpointPath(evidence.restored!.path)).toBe(normalizeCheckpointPath(evidence.expectedRestore!.path));
  }, 30_000);

  it("a failed pulumi up puts the config back as found and ends the fault with what failed", async () => {
    const stack = new StackStandIn({ flinkVersion: "1.20", restoreFrom: "latest" });
    stack.onUp = () => {
      throw new Error("submit: FAILED: refusing to restore");
    };
    await expect(run("upgrade-line", OPTIONS, stack)).rejects.toThrow(
      /pulumi up of stack stand-in on Flink 2\.2, restoring file:\/\/\/checkpoints_flink\/savepoints\/savepoint-\S+, failed \(its config is back as found: flinkVersion 1\.20, restoreFrom latest\): submit: FAILED: refusing to restore/,
    );
    expect(stack.values).toEqual({ flinkVersion: "1.20", restoreFrom: "latest" });
  }, 30_000);

  it("refuses before it touches the job without the stack's name, or on the newest line", async () => {
    await expect(run("upgrade-line")).rejects.toThrow("give the stack's name (--stack), not an outputs file");
    const [first] = jm.jobs.values();
    expect(first!.state).toBe("RUNNING");
    first!.state = "CANCELED";
    outputs = { ...outputs, flinkLine: "2.2" };
    const stack = stackOn120();
    await expect(run("upgrade-line-checkpoint", OPTIONS, stack)).rejects.toThrow(
      "the stack runs Flink 2.2, the newest line of versions.json (1.20, 2.2): there is no line to upgrade it to",
    );
    expect([...jm.jobs.values()].at(-1)!.state).toBe("RUNNING");
    expect(stack.done).toEqual([]);
    expect(jm.runs).toEqual([]);
  }, 30_000);
});

import { describe, expect, it } from "vitest";
import { KindNodes, KindTarget, parseNodes, parsePods } from "./kind";

const target = new KindTarget({
  target: "kind",
  context: "kind-fc",
  namespace: "fc",
  jobManagerSelector: "app=flink,component=jobmanager",
  taskManagerSelector: "app=flink,component=taskmanager",
  kafkaSelector: "app=kafka",
  generatorSelector: "app=visit-generator",
});
const kubectl = (...args: string[]) => ({ file: "kubectl", args: ["--context", "kind-fc", "-n", "fc", ...args] });

describe("KindTarget", () => {
  it("crashes a pod by deleting it with no grace period: the named TaskManager, else every pod of the role", () => {
    expect(target.crashCommand("taskmanager")).toEqual(
      kubectl("delete", "pod", "-l", "app=flink,component=taskmanager", "--grace-period=0", "--force", "--wait=false"),
    );
    expect(target.crashCommand("taskmanager", "flink-taskmanager-abc")).toEqual(
      kubectl("delete", "pod", "flink-taskmanager-abc", "--grace-period=0", "--force", "--wait=false"),
    );
    expect(target.crashCommand("jobmanager").args).toContain("app=flink,component=jobmanager");
  });

  it("freezes the TaskManager's JVM as PID 1 inside its pod", () => {
    expect(target.freezeCommand("flink-taskmanager-abc", true)).toEqual(
      kubectl("exec", "flink-taskmanager-abc", "--", "kill", "-STOP", "1"),
    );
    expect(target.freezeCommand("flink-taskmanager-abc", false).args).toContain("-CONT");
  });

  it("restarts the broker by deleting its pod and waiting", () => {
    expect(target.brokerRestartCommand()).toEqual(kubectl("delete", "pod", "-l", "app=kafka", "--wait=true"));
  });

  it("finds the running JobManager pod by its selector", () => {
    expect(target.jobManagerLookupCommand().args).toEqual(
      expect.arrayContaining(["--context", "kind-fc", "-n", "fc", "-l", "app=flink,component=jobmanager", "status.phase=Running"]),
    );
  });

  it("takes the stack's own S3 server away by scaling its Deployment to none and back, and refuses without one", () => {
    const withStore = new KindTarget({
      target: "kind",
      context: "kind-fc",
      namespace: "fc",
      jobManagerSelector: "app=flink,component=jobmanager",
      taskManagerSelector: "app=flink,component=taskmanager",
      kafkaSelector: "app=kafka",
      generatorSelector: "app=visit-generator",
      objectStoreSelector: "app=s3",
    });
    expect(withStore.objectStoreOutageCommand(true)).toEqual(kubectl("scale", "deployment", "-l", "app=s3", "--replicas=0"));
    expect(withStore.objectStoreOutageCommand(false)).toEqual(kubectl("scale", "deployment", "-l", "app=s3", "--replicas=1"));
    expect(() => target.objectStoreOutageCommand(true)).toThrow("the stack runs no S3 server of its own");
  });
});

describe("parseNodes and parsePods", () => {
  // Trimmed from `kubectl get nodes -o json` and `kubectl get pods -o json` of a three-node cluster.
  const nodes = {
    items: [
      {
        metadata: {
          name: "kmn-control-plane",
          labels: { "kubernetes.io/hostname": "kmn-control-plane", "node-role.kubernetes.io/control-plane": "" },
        },
        status: { conditions: [{ lastTransitionTime: "2026-12-07T22:23:26Z", status: "True", type: "Ready" }] },
      },
      {
        metadata: { name: "kmn-worker", labels: { "kubernetes.io/hostname": "kmn-worker" } },
        status: {
          conditions: [
            { type: "MemoryPressure", status: "False" },
            { lastTransitionTime: "2026-12-07T22:44:15Z", status: "Unknown", type: "Ready" },
          ],
        },
      },
    ],
  };
  const pods = {
    items: [
      {
        metadata: {
          name: "flink-taskmanager-657bfd89f6-rbrk2",
          labels: { app: "flink", component: "taskmanager", "pod-template-hash": "657bfd89f6" },
          creationTimestamp: "2026-12-07T22:39:54Z",
          deletionTimestamp: "2026-12-07T22:45:02Z",
        },
        spec: { nodeName: "kmn-worker" },
        status: { conditions: [{ lastTransitionTime: "2026-12-07T22:41:21Z", status: "True", type: "Ready" }] },
      },
      {
        metadata: { name: "kafka-0", labels: { app: "kafka" }, creationTimestamp: "2026-12-07T22:35:04Z" },
        spec: {},
        status: { phase: "Pending" },
      },
    ],
  };

  it("read each node's readiness, since when, and whether it is the control-plane", () => {
    expect(parseNodes(JSON.stringify(nodes))).toEqual([
      { name: "kmn-control-plane", ready: true, readySinceMs: Date.parse("2026-12-07T22:23:26Z"), controlPlane: true },
      { name: "kmn-worker", ready: false, readySinceMs: Date.parse("2026-12-07T22:44:15Z"), controlPlane: false },
    ]);
  });

  it("read each pod's role, node, readiness and whether it is on its way out", () => {
    expect(parsePods(JSON.stringify(pods))).toEqual([
      {
        name: "flink-taskmanager-657bfd89f6-rbrk2",
        role: "taskmanager",
        node: "kmn-worker",
        createdAtMs: Date.parse("2026-12-07T22:39:54Z"),
        ready: true,
        readySinceMs: Date.parse("2026-12-07T22:41:21Z"),
        terminating: true,
      },
      {
        name: "kafka-0",
        role: "kafka",
        node: "",
        createdAtMs: Date.parse("2026-12-07T22:35:04Z"),
        ready: false,
        readySinceMs: null,
        terminating: false,
      },
    ]);
  });
});

describe("KindNodes", () => {
  it("stops and starts a node through scripts/kind-cluster.sh, which knows how this machine runs kind", () => {
    const nodes = new KindNodes("kind-fc", "fc", "/repo/scripts/kind-cluster.sh");
    expect(nodes.nodeCommand("stop-node", "fc-worker")).toEqual({
      file: "bash",
      args: ["/repo/scripts/kind-cluster.sh", "stop-node", "fc-worker"],
    });
    expect(nodes.nodeCommand("start-node", "fc-worker").args).toEqual(["/repo/scripts/kind-cluster.sh", "start-node", "fc-worker"]);
    expect(target.nodes).toBeInstanceOf(KindNodes);
  });
});

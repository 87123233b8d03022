/**
 * For tests: a real HTTP server on 127.0.0.1 answering as a Flink JobManager's REST API does, from a model of jobs,
 * checkpoints and jars that the test drives; the project's REST client talks to it as to Flink. It serves what the
 * stack's check and the verification ask (GET /overview, /jobs/overview, /jobs/:id and its checkpoints, vertices'
 * TaskManagers, metrics and exceptions; PATCH cancel; POST stop with a savepoint and GET its status; GET /jars and
 * POST /jars/:id/run; POST a checkpoint).
 */
import * as http from "node:http";

export interface StandInCheckpoint {
  readonly id: number;
  status: "COMPLETED" | "IN_PROGRESS" | "FAILED";
  readonly externalPath: string;
  readonly triggeredAtMs: number;
  completedAtMs: number | null;
}

export interface StandInVertex {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  status: string;
  /** host:port of the TaskManagers its subtasks run on. */
  hosts: string[];
}

export interface StandInJob {
  readonly id: string;
  readonly name: string;
  state: string;
  readonly startTimeMs: number;
  vertices: StandInVertex[];
  checkpoints: StandInCheckpoint[];
  restored: { readonly id: number; readonly externalPath: string; readonly atMs: number } | null;
  /** Its latest savepoint (a stop-with-savepoint's). */
  savepoint?: { readonly id: number; readonly externalPath: string };
  restarts: number;
  rootException: string;
}

/** What a POST /jars/:id/run asked for. */
export interface StandInRun {
  readonly jarId: string;
  readonly entryClass: string;
  readonly programArgsList: readonly string[];
  readonly parallelism: number;
  readonly savepointPath?: string;
}

/** An HTTP status and the JSON body that goes with it. */
type Answer = readonly [number, unknown];

/** The checkpoint id at the end of a chk-N path, or null. */
export const checkpointIdOf = (path: string): number | null => {
  const match = /chk-(\d+)\/?$/.exec(path);
  return match ? Number(match[1]) : null;
};

export class JobManagerStandIn {
  readonly jobs = new Map<string, StandInJob>();
  readonly jars = [{ id: "7f1e_flink-python-9.9.9.jar", name: "flink-python-9.9.9.jar", uploaded: 1 }];
  /** Every run request, in order. */
  readonly runs: StandInRun[] = [];
  flinkVersion = "9.9.9";
  taskManagers = 2;
  slotsTotal = 4;
  slotsAvailable = 2;
  /** False: every request is answered 503, as by a JobManager that is not the leader yet. */
  answering = true;
  /** What a run request starts (default: a RUNNING job of the script's --job-name, restored from savepointPath). */
  onRun: (run: StandInRun) => StandInJob = (run) => this.startedBy(run);
  /** What a cancel does (default: the job is CANCELED at once). */
  onCancel: (job: StandInJob) => void = (job) => {
    job.state = "CANCELED";
  };
  /** What a stop-with-savepoint does (default: a savepoint with the next checkpoint id, and the job FINISHED). */
  onStop: (job: StandInJob) => void = (job) => {
    const id = Math.max(0, job.restored?.id ?? 0, ...job.checkpoints.map((c) => c.id)) + 1;
    job.savepoint = {
      id,
      externalPath: `file:/checkpoints_flink/savepoints/savepoint-${job.id.slice(0, 6)}-${id.toString(16).padStart(12, "0")}`,
    };
    job.state = "FINISHED";
  };
  private readonly counts = new Map<string, number>();
  private nextJob = 1;

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  static async start(): Promise<JobManagerStandIn> {
    let standIn: JobManagerStandIn | undefined;
    const server = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        const [status, answer] = standIn!.answer(request.method ?? "GET", request.url ?? "/", body);
        response.statusCode = status;
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    standIn = new JobManagerStandIn(server, (server.address() as { port: number }).port);
    return standIn;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** How many requests asked for paths starting with `prefix`. */
  requests(prefix = "/"): number {
    return [...this.counts].filter(([path]) => path.startsWith(prefix)).reduce((sum, [, n]) => sum + n, 0);
  }

  /** A job in the model, RUNNING unless said otherwise, with one vertex per name given. */
  addJob(fields: Partial<StandInJob> & Pick<StandInJob, "name">): StandInJob {
    const job: StandInJob = {
      id: (this.nextJob++).toString(16).padStart(32, "0"),
      state: "RUNNING",
      startTimeMs: Date.now(),
      vertices: [
        { id: "v1", name: "Source: visits source -> Timestamps/Watermarks", parallelism: 2, status: "RUNNING", hosts: ["172.18.0.4:6122"] },
      ],
      checkpoints: [],
      restored: null,
      restarts: 0,
      rootException: "",
      ...fields,
    };
    this.jobs.set(job.id, job);
    return job;
  }

  /** Adds the job's next checkpoint, completed now (or in progress); returns it. */
  checkpoint(job: StandInJob, status: StandInCheckpoint["status"] = "COMPLETED"): StandInCheckpoint {
    const id = Math.max(job.restored?.id ?? 0, 0, ...job.checkpoints.map((c) => c.id)) + 1;
    const now = Date.now();
    const checkpoint = {
      id,
      status,
      externalPath: `file:/checkpoints_flink/${job.id}/chk-${id}`,
      triggeredAtMs: now,
      completedAtMs: status === "COMPLETED" ? now : null,
    };
    job.checkpoints.push(checkpoint);
    return checkpoint;
  }

  private startedBy(run: StandInRun): StandInJob {
    const args = run.programArgsList;
    const name = args[args.indexOf("--job-name") + 1] ?? "job";
    const savepoint = [...this.jobs.values()].find((j) => j.savepoint?.externalPath === run.savepointPath)?.savepoint;
    const restoredId = run.savepointPath ? (checkpointIdOf(run.savepointPath) ?? savepoint?.id ?? null) : null;
    return this.addJob({
      name,
      restored: restoredId === null ? null : { id: restoredId, externalPath: run.savepointPath!, atMs: Date.now() },
      vertices: [
        {
          id: "v1",
          name: "Source: visits source -> Timestamps/Watermarks",
          parallelism: run.parallelism,
          status: "RUNNING",
          hosts: ["172.18.0.4:6122"],
        },
      ],
    });
  }

  /** What the JobManager answers a request, from the model. */
  private answer(method: string, url: string, body: string): Answer {
    const path = url.split("?")[0]!;
    this.counts.set(path, (this.counts.get(path) ?? 0) + 1);
    if (!this.answering) return [503, { errors: ["Service temporarily unavailable due to an ongoing leader election."] }];
    const job = (id: string | undefined) => (id ? this.jobs.get(id) : undefined);
    const parts = path.split("/").filter(Boolean);
    if (method === "GET" && path === "/overview") {
      return [
        200,
        {
          "flink-version": this.flinkVersion,
          taskmanagers: this.taskManagers,
          "slots-total": this.slotsTotal,
          "slots-available": this.slotsAvailable,
        },
      ];
    }
    if (method === "GET" && path === "/jobs/overview") {
      return [
        200,
        {
          jobs: [...this.jobs.values()].map((j) => ({ jid: j.id, name: j.name, state: j.state, "start-time": j.startTimeMs })),
        },
      ];
    }
    if (method === "GET" && path === "/jars") return [200, { files: this.jars }];
    if (method === "POST" && parts[0] === "jars" && parts[2] === "run") {
      const request = JSON.parse(body || "{}") as Omit<StandInRun, "jarId">;
      const run = { jarId: decodeURIComponent(parts[1]!), ...request };
      this.runs.push(run);
      return [200, { jobid: this.onRun(run).id }];
    }
    const found = parts[0] === "jobs" ? job(parts[1]) : undefined;
    if (!found) return [404, { errors: [`Job ${parts[1]} not found`] }];
    if (method === "PATCH" && parts.length === 2) {
      this.onCancel(found);
      return [202, {}];
    }
    if (method === "GET" && parts.length === 2) {
      return [
        200,
        {
          jid: found.id,
          name: found.name,
          state: found.state,
          "start-time": found.startTimeMs,
          vertices: found.vertices.map((v) => ({ id: v.id, name: v.name, parallelism: v.parallelism, status: v.status })),
        },
      ];
    }
    if (method === "GET" && parts[2] === "checkpoints" && parts.length === 3) {
      const completed = found.checkpoints.filter((c) => c.status === "COMPLETED");
      const latest = completed[completed.length - 1];
      return [
        200,
        {
          counts: {
            completed: completed.length,
            in_progress: found.checkpoints.filter((c) => c.status === "IN_PROGRESS").length,
            failed: found.checkpoints.filter((c) => c.status === "FAILED").length,
          },
          latest: {
            completed: latest ? { id: latest.id, external_path: latest.externalPath } : null,
            restored: found.restored
              ? { id: found.restored.id, external_path: found.restored.externalPath, restore_timestamp: found.restored.atMs }
              : null,
            savepoint: found.savepoint ? { id: found.savepoint.id, is_savepoint: true, external_path: found.savepoint.externalPath } : null,
          },
          history: [
            // A savepoint is in the history too (is_savepoint), as Flink lists it.
            ...(found.savepoint
              ? [{ id: found.savepoint.id, status: "COMPLETED", is_savepoint: true, external_path: found.savepoint.externalPath }]
              : []),
            ...[...found.checkpoints].reverse().map((c) => ({
              id: c.id,
              status: c.status,
              external_path: c.externalPath,
              trigger_timestamp: c.triggeredAtMs,
              latest_ack_timestamp: c.completedAtMs,
              end_to_end_duration: c.completedAtMs === null ? null : c.completedAtMs - c.triggeredAtMs,
              state_size: 1000,
              checkpointed_size: 1000,
            })),
          ],
        },
      ];
    }
    if (method === "POST" && parts[2] === "stop" && parts.length === 3) {
      this.onStop(found);
      return [202, { "request-id": `stop-${found.id}` }];
    }
    if (method === "GET" && parts[2] === "savepoints" && parts.length === 4) {
      return found.savepoint
        ? [200, { status: { id: "COMPLETED" }, operation: { location: found.savepoint.externalPath } }]
        : [200, { status: { id: "IN_PROGRESS" }, operation: null }];
    }
    if (method === "POST" && parts[2] === "checkpoints" && parts.length === 3) {
      const checkpoint = this.checkpoint(found, "IN_PROGRESS");
      return [202, { "request-id": `trigger-${checkpoint.id}` }];
    }
    if (method === "GET" && parts[2] === "vertices" && parts[4] === "taskmanagers") {
      const vertex = found.vertices.find((v) => v.id === parts[3]);
      return [
        200,
        {
          taskmanagers: (vertex?.hosts ?? []).map((endpoint) => ({ endpoint, "status-counts": { RUNNING: 1 } })),
        },
      ];
    }
    if (method === "GET" && parts[2] === "metrics") return [200, [{ id: "numRestarts", value: String(found.restarts) }]];
    if (method === "GET" && parts[2] === "exceptions") return [200, { "root-exception": found.rootException }];
    return [404, { errors: [`${method} ${path} is not served by the stand-in`] }];
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

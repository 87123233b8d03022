// A small client of the Flink REST API (the JobManager's monitoring and submission endpoints) over fetch.
// Every error names the URL tried and what to do next.

import { sleep, type TransientError } from "../wait";

export class FlinkRestError extends Error {}

/** The JobManager answered a 5xx: the request reached it and it failed there. A wait tries again (TransientError). */
export class FlinkServerError extends FlinkRestError implements TransientError {
  readonly transient = true as const;
}

/** No answer: the connection failed or the request timed out. A wait tries again (TransientError). */
export class FlinkUnreachableError extends FlinkRestError implements TransientError {
  readonly transient = true as const;
}

const GET_ATTEMPTS = 3;

export interface ClusterOverview {
  flinkVersion: string;
  taskManagers: number;
  slotsTotal: number;
  slotsAvailable: number;
}

export interface JobSummary {
  id: string;
  name: string;
  state: string;
  startTime: number;
}

export interface JobDetail extends JobSummary {
  /** The state of every vertex (operator chain) of the job. */
  vertexStates: string[];
  /** Every vertex's id, name (its operators' names joined by " -> ") and parallelism, in the job graph's order. */
  vertices: { id: string; name: string; parallelism: number }[];
}

export interface CheckpointRecord {
  id: number;
  status: string;
  externalPath: string | null;
  /** When a completed checkpoint got its last acknowledgement (Flink's latest_ack_timestamp); null otherwise. */
  completedAtMs: number | null;
  /** When the JobManager triggered it (trigger_timestamp). */
  triggeredAtMs: number | null;
  /** Trigger to last acknowledgement (end_to_end_duration), for a completed checkpoint; null otherwise. */
  durationMs: number | null;
  /** The full state the checkpoint stands for (state_size), and what this one wrote (checkpointed_size). */
  stateSizeBytes: number | null;
  checkpointedSizeBytes: number | null;
}

export interface CheckpointStats {
  completedCount: number;
  /** Checkpoints that failed (expired, declined) since the job started: counts.failed. */
  failedCount: number;
  latestCompleted: { id: number; externalPath: string } | null;
  /** The checkpoint the job last restored, and when (Flink's restore_timestamp; null when not given). */
  restored: { id: number; externalPath: string; restoredAtMs: number | null } | null;
  /** The job's latest completed savepoint (a stop-with-savepoint's included): its checkpoint id and folder. */
  latestSavepoint: { id: number; externalPath: string } | null;
  history: CheckpointRecord[];
}

/** What one checkpoint cost (GET /jobs/:id/checkpoints/details/:checkpointId). */
export interface CheckpointFigures {
  id: number;
  status: string;
  /** Bytes of all the state the checkpoint holds. */
  stateSizeBytes: number;
  /** Bytes written for this checkpoint: the same as stateSizeBytes unless it is incremental. */
  checkpointedSizeBytes: number;
  /** From the trigger to the last acknowledgement. */
  durationMs: number;
  triggeredAtMs: number;
  /** State bytes per job vertex, by vertex id. */
  vertexStateBytes: Record<string, number>;
}

/** Where a checkpoint asked for through REST is: still running, taken (with its id), or failed (with why). */
export type CheckpointTrigger = { done: false } | { done: true; checkpointId: number } | { done: true; failure: string };

/** Where a savepoint asked for through REST is: still being taken, taken (with its folder), or failed (with why). */
export type SavepointTrigger = { done: false } | { done: true; location: string } | { done: true; failure: string };

export interface UploadedJar {
  id: string;
  name: string;
  uploaded: number;
}

export interface RunJarRequest {
  entryClass: string;
  programArgsList: string[];
  parallelism: number;
  /** A retained checkpoint or savepoint to restore from; absent for a fresh start. */
  savepointPath?: string;
}

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {});
const asNumber = (value: unknown): number => (typeof value === "number" ? value : Number.NaN);
const asString = (value: unknown): string => (typeof value === "string" ? value : "");
const orNull = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

/** Flink answers errors as {"errors": ["…", "<stack trace>"]}: keep the text, cut the traces short. */
export function flinkErrorText(body: string): string {
  try {
    const errors = asObject(JSON.parse(body)).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      return errors
        .map((e) => String(e))
        .join("\n")
        .slice(0, 4000);
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.slice(0, 4000);
}

export function parseCheckpointStats(body: unknown): CheckpointStats {
  const root = asObject(body);
  const latest = asObject(root.latest);
  const completed = latest.completed ? asObject(latest.completed) : null;
  const restored = latest.restored ? asObject(latest.restored) : null;
  const savepoint = latest.savepoint ? asObject(latest.savepoint) : null;
  const history = Array.isArray(root.history) ? root.history.map(asObject) : [];
  return {
    completedCount: asNumber(asObject(root.counts).completed) || 0,
    failedCount: asNumber(asObject(root.counts).failed) || 0,
    latestCompleted: completed ? { id: asNumber(completed.id), externalPath: asString(completed.external_path) } : null,
    restored: restored
      ? {
          id: asNumber(restored.id),
          externalPath: asString(restored.external_path),
          restoredAtMs: typeof restored.restore_timestamp === "number" ? restored.restore_timestamp : null,
        }
      : null,
    latestSavepoint: savepoint ? { id: asNumber(savepoint.id), externalPath: asString(savepoint.external_path) } : null,
    history: history.map((h) => ({
      id: asNumber(h.id),
      status: asString(h.status),
      externalPath: typeof h.external_path === "string" ? h.external_path : null,
      completedAtMs: h.status === "COMPLETED" && typeof h.latest_ack_timestamp === "number" ? h.latest_ack_timestamp : null,
      triggeredAtMs: orNull(h.trigger_timestamp),
      durationMs: h.status === "COMPLETED" ? orNull(h.end_to_end_duration) : null,
      stateSizeBytes: orNull(h.state_size),
      checkpointedSizeBytes: orNull(h.checkpointed_size),
    })),
  };
}

export function parseCheckpointFigures(body: unknown): CheckpointFigures {
  const root = asObject(body);
  const tasks = asObject(root.tasks);
  return {
    id: asNumber(root.id),
    status: asString(root.status),
    stateSizeBytes: asNumber(root.state_size),
    checkpointedSizeBytes: asNumber(root.checkpointed_size),
    durationMs: asNumber(root.end_to_end_duration),
    triggeredAtMs: asNumber(root.trigger_timestamp),
    vertexStateBytes: Object.fromEntries(Object.entries(tasks).map(([id, task]) => [id, asNumber(asObject(task).state_size)])),
  };
}

/** The failure of an asynchronous operation (a checkpoint or savepoint asked for through REST), in one line. */
function failureText(operation: Json): string | undefined {
  if (!operation.failureCause) return undefined;
  // The stack trace's first line names the failure; its serialized-throwable is base64 of the Java object.
  const cause = asObject(operation.failureCause);
  return asString(cause["stack-trace"]).split("\n")[0] || asString(cause.class) || "failed";
}

/** An answer of GET /jobs/:id/checkpoints/:triggerId, the status of a checkpoint asked for by POST /jobs/:id/checkpoints. */
export function parseCheckpointTrigger(body: unknown): CheckpointTrigger {
  const root = asObject(body);
  if (asString(asObject(root.status).id) !== "COMPLETED") return { done: false };
  const operation = asObject(root.operation);
  const failure = failureText(operation);
  return failure !== undefined ? { done: true, failure } : { done: true, checkpointId: asNumber(operation.checkpointId) };
}

/** An answer of GET /jobs/:id/savepoints/:triggerId, the status of a savepoint asked for (POST /jobs/:id/stop). */
export function parseSavepointTrigger(body: unknown): SavepointTrigger {
  const root = asObject(body);
  if (asString(asObject(root.status).id) !== "COMPLETED") return { done: false };
  const operation = asObject(root.operation);
  const failure = failureText(operation);
  return failure !== undefined ? { done: true, failure } : { done: true, location: asString(operation.location) };
}

/**
 * The hosts in answers of GET /jobs/:id/vertices/:vid/taskmanagers, busiest first: `endpoint` is host:port since
 * Flink 1.19, `host` before.
 */
export function taskManagerHostsOf(placements: readonly unknown[]): string[] {
  const tasks = new Map<string, number>();
  for (const placement of placements) {
    const managers = asObject(placement).taskmanagers;
    for (const manager of Array.isArray(managers) ? managers.map(asObject) : []) {
      const address = asString(manager.endpoint) || asString(manager.host);
      const host = address.replace(/:\d+$/, "");
      const counts = Object.values(asObject(manager["status-counts"])).map(asNumber).filter(Number.isFinite);
      if (host)
        tasks.set(
          host,
          (tasks.get(host) ?? 0) +
            Math.max(
              1,
              counts.reduce((a, b) => a + b, 0),
            ),
        );
    }
  }
  return [...tasks.entries()].sort((a, b) => b[1] - a[1]).map(([host]) => host);
}

/** The flink-python jar that carries the PythonDriver: the most recently uploaded one. */
export function findPythonJar(jars: readonly UploadedJar[]): UploadedJar | undefined {
  return jars.filter((j) => j.name.startsWith("flink-python")).sort((a, b) => b.uploaded - a.uploaded)[0];
}

export class FlinkRest {
  constructor(
    readonly baseUrl: string,
    private readonly requestTimeoutMs = 15_000,
  ) {}

  /**
   * A read that the JobManager failed with a 5xx is asked again (twice, after a short pause): Flink's REST handlers
   * have transient failures, such as the checkpoint statistics' histogram failing while a restored job's first
   * statistics are written (NullArgumentException "input array"). Writes are never repeated.
   */
  private async request(method: string, path: string, body?: unknown, timeoutMs = this.requestTimeoutMs): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.requestOnce(method, path, body, timeoutMs);
      } catch (error) {
        if (!(method === "GET" && error instanceof FlinkServerError && attempt < GET_ATTEMPTS)) throw error;
        await sleep(500 * attempt);
      }
    }
  }

  private async requestOnce(method: string, path: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new FlinkUnreachableError(
        `JobManager unreachable: ${method} ${url} failed (${reason}). Next: check that the stack is up (\`docker ps\` / \`kubectl get pods\`, else \`pulumi up\`) and that the address is right (--flink-url).`,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      const message = `${method} ${url} answered ${response.status}: ${flinkErrorText(text)}`;
      throw response.status >= 500 ? new FlinkServerError(message) : new FlinkRestError(message);
    }
    if (text.length === 0) return {};
    try {
      return JSON.parse(text);
    } catch {
      throw new FlinkRestError(
        `${method} ${url} answered something that is not JSON: ${text.slice(0, 200)}. Is ${this.baseUrl} the Flink REST address?`,
      );
    }
  }

  async overview(): Promise<ClusterOverview> {
    const body = asObject(await this.request("GET", "/overview"));
    return {
      flinkVersion: asString(body["flink-version"]),
      taskManagers: asNumber(body.taskmanagers),
      slotsTotal: asNumber(body["slots-total"]),
      slotsAvailable: asNumber(body["slots-available"]),
    };
  }

  async jobs(): Promise<JobSummary[]> {
    const body = asObject(await this.request("GET", "/jobs/overview"));
    const jobs = Array.isArray(body.jobs) ? body.jobs.map(asObject) : [];
    return jobs.map((j) => ({
      id: asString(j.jid),
      name: asString(j.name),
      state: asString(j.state),
      startTime: asNumber(j["start-time"]),
    }));
  }

  async job(jobId: string): Promise<JobDetail> {
    const body = asObject(await this.request("GET", `/jobs/${jobId}`));
    const vertices = Array.isArray(body.vertices) ? body.vertices.map(asObject) : [];
    return {
      id: asString(body.jid),
      name: asString(body.name),
      state: asString(body.state),
      startTime: asNumber(body["start-time"]),
      vertexStates: vertices.map((v) => asString(v.status)),
      vertices: vertices.map((v) => ({ id: asString(v.id), name: asString(v.name), parallelism: asNumber(v.parallelism) })),
    };
  }

  /**
   * The hosts (as the TaskManagers registered: an IP address, or a name) of the TaskManagers running the job's
   * tasks, from every vertex's placement, busiest first.
   */
  async jobTaskManagerHosts(jobId: string): Promise<string[]> {
    const body = asObject(await this.request("GET", `/jobs/${jobId}`));
    const vertices = Array.isArray(body.vertices) ? body.vertices.map(asObject) : [];
    const placements = await Promise.all(
      vertices.map(async (v) => asObject(await this.request("GET", `/jobs/${jobId}/vertices/${asString(v.id)}/taskmanagers`))),
    );
    return taskManagerHostsOf(placements);
  }

  /** The root exception of a failed job, for the error message. */
  async rootException(jobId: string): Promise<string> {
    const body = asObject(await this.request("GET", `/jobs/${jobId}/exceptions`));
    return asString(body["root-exception"]).slice(0, 4000);
  }

  async checkpoints(jobId: string): Promise<CheckpointStats> {
    return parseCheckpointStats(await this.request("GET", `/jobs/${jobId}/checkpoints`));
  }

  /** How often Flink restarted the job after failures (its numRestarts metric); 0 when not reported yet. */
  async restarts(jobId: string): Promise<number> {
    const body = await this.request("GET", `/jobs/${jobId}/metrics?get=numRestarts`);
    const metric = Array.isArray(body) ? body.map(asObject).find((m) => m.id === "numRestarts") : undefined;
    const value = Number(metric?.value);
    return Number.isFinite(value) ? value : 0;
  }

  /** Whether a checkpoint of the job is being taken right now. */
  async checkpointInProgress(jobId: string): Promise<boolean> {
    const counts = asObject(asObject(await this.request("GET", `/jobs/${jobId}/checkpoints`)).counts);
    return asNumber(counts.in_progress) > 0;
  }

  /** Asks for a checkpoint now, besides the periodic ones (Flink 1.19+); returns the trigger id to follow it by. */
  async triggerCheckpoint(jobId: string): Promise<string> {
    const body = asObject(await this.request("POST", `/jobs/${jobId}/checkpoints`, { checkpointType: "CONFIGURED" }));
    const triggerId = asString(body["request-id"]);
    if (!triggerId)
      throw new FlinkRestError(`POST ${this.baseUrl}/jobs/${jobId}/checkpoints answered without a request id: ${JSON.stringify(body)}`);
    return triggerId;
  }

  async checkpointTrigger(jobId: string, triggerId: string): Promise<CheckpointTrigger> {
    return parseCheckpointTrigger(await this.request("GET", `/jobs/${jobId}/checkpoints/${triggerId}`));
  }

  async checkpointFigures(jobId: string, checkpointId: number): Promise<CheckpointFigures> {
    return parseCheckpointFigures(await this.request("GET", `/jobs/${jobId}/checkpoints/details/${checkpointId}`));
  }

  async cancel(jobId: string): Promise<void> {
    await this.request("PATCH", `/jobs/${jobId}?mode=cancel`);
  }

  /**
   * Stops the job with a savepoint (POST /jobs/:id/stop, without draining: open windows stay open in the savepoint)
   * into the cluster's execution.checkpointing.savepoint-dir; returns the trigger id to follow it by.
   */
  async stopWithSavepoint(jobId: string): Promise<string> {
    const body = asObject(await this.request("POST", `/jobs/${jobId}/stop`, { drain: false }));
    const triggerId = asString(body["request-id"]);
    if (!triggerId)
      throw new FlinkRestError(`POST ${this.baseUrl}/jobs/${jobId}/stop answered without a request id: ${JSON.stringify(body)}`);
    return triggerId;
  }

  async savepointTrigger(jobId: string, triggerId: string): Promise<SavepointTrigger> {
    return parseSavepointTrigger(await this.request("GET", `/jobs/${jobId}/savepoints/${triggerId}`));
  }

  async jars(): Promise<UploadedJar[]> {
    const body = asObject(await this.request("GET", "/jars"));
    const files = Array.isArray(body.files) ? body.files.map(asObject) : [];
    return files.map((f) => ({ id: asString(f.id), name: asString(f.name), uploaded: asNumber(f.uploaded) }));
  }

  /**
   * Runs the PyFlink job through the uploaded flink-python jar (which the stack's submission uploads), from
   * `savepointPath` when given; returns the new job's id.
   */
  async runPythonJob(run: RunJarRequest): Promise<string> {
    const jars = await this.jars();
    const jar = findPythonJar(jars);
    if (!jar) {
      throw new FlinkRestError(
        `no flink-python jar is uploaded on the JobManager (GET ${this.baseUrl}/jars lists ${jars.map((j) => j.name).join(", ") || "nothing"}). Next: re-run the stack's submission with \`pulumi up\`; it uploads the jar.`,
      );
    }
    return this.runJar(jar.id, run);
  }

  /** Runs an uploaded jar; the PythonDriver builds the job graph in the JobManager, which takes a while. */
  async runJar(jarId: string, run: RunJarRequest, timeoutMs = 180_000): Promise<string> {
    const body = asObject(await this.request("POST", `/jars/${encodeURIComponent(jarId)}/run`, run, timeoutMs));
    const jobId = asString(body.jobid);
    if (!jobId) throw new FlinkRestError(`POST ${this.baseUrl}/jars/${jarId}/run answered without a job id: ${JSON.stringify(body)}`);
    return jobId;
  }
}

/**
 * For tests: a real HTTP server on 127.0.0.1 answering Flink's `GET /jobs/overview` with the jobs it is given,
 * standing in for a JobManager where the stack's tests run no Flink.
 */
import * as http from "node:http";
/** Flink's answer to `GET /jobs/overview`, as far as the stand-in serves it. */
export interface JobsOverview {
  readonly jobs: readonly { readonly jid: string; readonly name: string; readonly state: string }[];
}

export interface FlinkRestStandIn {
  readonly url: string;
  readonly port: number;
  /** How many times /jobs/overview was asked. */
  requests(): number;
  /** Replaces what /jobs/overview answers from now on. */
  answer(overview: JobsOverview): void;
  close(): Promise<void>;
}

export async function startFlinkRestStandIn(overview: JobsOverview): Promise<FlinkRestStandIn> {
  let current = overview;
  let requests = 0;
  const server = http.createServer((request, response) => {
    if (request.url !== "/jobs/overview") {
      response.statusCode = 404;
      response.end();
      return;
    }
    requests += 1;
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify(current));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: () => requests,
    answer: (next) => {
      current = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What a JobManager running the stack's job answers. */
export const RUNNING_JOB: JobsOverview = { jobs: [{ jid: "0f1e2d3c", name: "visit-windows", state: "RUNNING" }] };

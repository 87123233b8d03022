import { describe, expect, it } from "vitest";
import { pause, retryTransient, WaitTimeout, waitFor } from "./wait";

/** An error of the kind a JobManager that restarts gives for a moment. */
class Hiccup extends Error {
  readonly transient = true as const;
}

describe("waitFor", () => {
  it("returns what the probe found and reports while waiting", async () => {
    const lines: string[] = [];
    let calls = 0;
    const value = await waitFor(
      "the thing",
      2_000,
      async () => (++calls < 3 ? { done: false, status: `try ${calls}` } : { done: true, value: calls }),
      (l) => lines.push(l),
      { pollMs: 5, reportEveryMs: 0 },
    );
    expect(value).toBe(3);
    expect(lines[0]).toBe("… waiting for the thing (up to 2 s)");
    expect(lines[1]).toMatch(/still waiting for the thing: .* \(try 1\)/);
  });

  it("times out naming what it waited for, the last status and the next step", async () => {
    const waiting = waitFor(
      "a checkpoint",
      50,
      async () => ({ done: false, status: "0 completed" }),
      () => undefined,
      { pollMs: 10, next: "look at the UI" },
    );
    await expect(waiting).rejects.toThrow(WaitTimeout);
    await expect(waiting).rejects.toThrow(/waiting for a checkpoint; last seen: 0 completed\. Next: look at the UI/);
  });
});

describe("waitFor and pause, never silent", () => {
  it("report while a slow probe is still out, not only between probes", async () => {
    const lines: string[] = [];
    let calls = 0;
    await waitFor(
      "a slow answer",
      5_000,
      async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 120));
        return calls < 2 ? { done: false, status: "not yet" } : { done: true, value: calls };
      },
      (l) => lines.push(l),
      { pollMs: 5, reportEveryMs: 30 },
    );
    // Two probes of 120 ms each: a report every 30 ms while they ran.
    expect(lines.filter((l) => l.startsWith("… still waiting for a slow answer")).length).toBeGreaterThanOrEqual(4);
    const before = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(lines.length).toBe(before);
  });

  it("a pause says what it waits for and how long", async () => {
    const lines: string[] = [];
    await pause("letting the generator write", 30, (l) => lines.push(l));
    expect(lines).toEqual(["      letting the generator write for 0 s"]);
  });
});

describe("waitFor, when a probe fails", () => {
  it("counts a transient failure as not yet and goes on", async () => {
    const lines: string[] = [];
    let calls = 0;
    const value = await waitFor(
      "the job",
      2_000,
      async () => {
        calls++;
        if (calls < 3) throw new Hiccup("JobManager unreachable: GET http://127.0.0.1:1/jobs failed (ECONNREFUSED)");
        return { done: true, value: calls };
      },
      (l) => lines.push(l),
      { pollMs: 5, reportEveryMs: 0 },
    );
    expect(value).toBe(3);
    expect(lines[1]).toMatch(/still waiting for the job: .* \(the probe failed: JobManager unreachable: .*ECONNREFUSED\)/);
  });

  it("times out naming the last error when every probe failed", async () => {
    const waiting = waitFor(
      "the job",
      40,
      async () => {
        throw new Hiccup("GET http://jm/jobs answered 503: no leader");
      },
      () => undefined,
      { pollMs: 10 },
    );
    await expect(waiting).rejects.toThrow(
      /^timed out after .* waiting for the job; last seen: the probe failed: GET http:\/\/jm\/jobs answered 503: no leader\.$/,
    );
  });

  it("names the last error beside the last status when the probes answered again since", async () => {
    let calls = 0;
    const waiting = waitFor(
      "two checkpoints",
      40,
      async () => {
        if (++calls === 1) throw new Hiccup("answered 503");
        return { done: false, status: "1 of 2 completed" };
      },
      () => undefined,
      { pollMs: 5 },
    );
    await expect(waiting).rejects.toThrow("last seen: 1 of 2 completed; last error: answered 503.");
  });

  it("ends at once on an error that is not transient", async () => {
    let calls = 0;
    const waiting = waitFor(
      "the job",
      2_000,
      async () => {
        calls++;
        throw new Error("job ended as FAILED");
      },
      () => undefined,
      { pollMs: 5 },
    );
    await expect(waiting).rejects.toThrow("job ended as FAILED");
    expect(calls).toBe(1);
  });
});

describe("retryTransient", () => {
  it("makes the action again after transient failures, and ends at once on others", async () => {
    let calls = 0;
    expect(await retryTransient("listing the jobs", 1_000, async () => (++calls < 3 ? Promise.reject(new Hiccup("503")) : calls), 5)).toBe(
      3,
    );
    await expect(retryTransient("listing the jobs", 1_000, () => Promise.reject(new Error("404")), 5)).rejects.toThrow("404");
  });

  it("gives up at its deadline naming what it retried and the last error", async () => {
    await expect(retryTransient("listing the jobs", 30, () => Promise.reject(new Hiccup("ECONNREFUSED")), 5)).rejects.toThrow(
      /^listing the jobs still failed after .* s of retries; last error: ECONNREFUSED$/,
    );
  });
});

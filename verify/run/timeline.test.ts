import { describe, expect, it } from "vitest";
import { addCheckpoints, addSample, newTimeline, sampleDue } from "./timeline";

const topics = { input: "visits", output: "visit_windows" };

describe("the timeline recorder", () => {
  it("takes a sample once the spacing has passed since the last one", () => {
    const timeline = newTimeline(topics);
    expect(sampleDue(timeline, 0)).toBe(true);
    addSample(timeline, { atMs: 10_000, inputEnd: { 0: 5 } });
    expect(sampleDue(timeline, 10_500)).toBe(false);
    expect(sampleDue(timeline, 11_000)).toBe(true);
  });

  it("stays within its cap by dropping every other sample and doubling the spacing, keeping the first and the newest", () => {
    const timeline = newTimeline(topics);
    for (let i = 0; i < 11; i++) addSample(timeline, { atMs: i * 1000, inputEnd: { 0: i } }, 10);
    expect(timeline.samples.map((s) => s.atMs / 1000)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(timeline.sampleEveryMs).toBe(2000);
    for (let i = 11; i < 100; i++) addSample(timeline, { atMs: i * 1000 }, 10);
    expect(timeline.samples.length).toBeLessThanOrEqual(10);
    expect(timeline.samples[0]!.atMs).toBe(0);
    expect(timeline.samples[timeline.samples.length - 1]!.atMs).toBe(99_000);
  });

  it("records each completed checkpoint of a job once, in completion order, the newest within the cap", () => {
    const timeline = newTimeline(topics);
    addCheckpoints(timeline, "j1", [
      { id: 2, status: "COMPLETED", completedAtMs: 2000 },
      { id: 1, status: "COMPLETED", completedAtMs: 1000 },
      { id: 3, status: "FAILED", completedAtMs: null },
      { id: 4, status: "IN_PROGRESS", completedAtMs: null },
    ]);
    addCheckpoints(timeline, "j1", [{ id: 2, status: "COMPLETED", completedAtMs: 2000 }]);
    addCheckpoints(timeline, "j2", [{ id: 2, status: "COMPLETED", completedAtMs: 5000 }]);
    expect(timeline.checkpoints).toEqual([
      { jobId: "j1", id: 1, completedAtMs: 1000 },
      { jobId: "j1", id: 2, completedAtMs: 2000 },
      { jobId: "j2", id: 2, completedAtMs: 5000 },
    ]);
    addCheckpoints(timeline, "j2", [{ id: 3, status: "COMPLETED", completedAtMs: 6000 }], 2);
    expect(timeline.checkpoints.map((c) => `${c.jobId}/${c.id}`)).toEqual(["j2/2", "j2/3"]);
  });
});

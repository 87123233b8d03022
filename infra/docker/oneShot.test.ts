import { describe, expect, it } from "vitest";
import { exitedBadly, oneShotFailure } from "./oneShot";

describe("a one-shot container's end", () => {
  it("failed only with a known, non-zero exit code", () => {
    expect([0, 1, 2, undefined, null].map(exitedBadly)).toEqual([false, true, true, false, false]);
  });

  it("is named with its exit code, its last log lines and where the whole log is", () => {
    const logs = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    const message = oneShotFailure("fc-submit", 1, logs);
    expect(message).toMatch(/^fc-submit exited with code 1; its last log lines:\nline 10\n/);
    expect(message).not.toContain("line 9\n");
    expect(message).toMatch(/line 29\n\(full log: docker logs fc-submit\)$/);
  });
});

import { describe, expect, it } from "vitest";
import { WaitTimeout, waitFor } from "./wait";

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

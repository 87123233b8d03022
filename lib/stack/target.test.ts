import { describe, expect, it } from "vitest";
import { pickTaskManager, taskManagersOf } from "./target";

describe("pickTaskManager", () => {
  const processes = [
    { name: "s-taskmanager-1", addresses: ["172.18.0.4", "a1b2c3"] },
    { name: "s-taskmanager-2", addresses: ["172.18.0.5", "d4e5f6"] },
  ];

  it("picks the busiest TaskManager running the job's tasks, never an idle standby", () => {
    expect(pickTaskManager(processes, ["172.18.0.5", "172.18.0.4"])).toBe("s-taskmanager-2");
    expect(pickTaskManager(processes, ["10.0.0.9", "172.18.0.4"])).toBe("s-taskmanager-1");
    // As Flink on Docker names it: the container's name on its network.
    expect(
      pickTaskManager(
        [...processes, { name: "s-taskmanager-10", addresses: ["s-taskmanager-10"] }].map((tm) => ({
          ...tm,
          addresses: [...tm.addresses, tm.name],
        })),
        ["s-taskmanager-10.s-net"],
      ),
    ).toBe("s-taskmanager-10");
  });

  it("takes the only TaskManager when Flink knows it by another address", () => {
    expect(pickTaskManager(processes.slice(0, 1), ["10.0.0.9"])).toBe("s-taskmanager-1");
  });

  it("names the placements and the TaskManagers when none matches", () => {
    expect(() => pickTaskManager(processes, ["10.0.0.9"])).toThrow(
      "Flink places them on 10.0.0.9; the TaskManagers are s-taskmanager-1 (172.18.0.4, a1b2c3); s-taskmanager-2 (172.18.0.5, d4e5f6)",
    );
    expect(() => pickTaskManager(processes, [])).toThrow("Flink places them on no TaskManager");
  });
});

describe("taskManagersOf", () => {
  it("names every TaskManager that runs the job's tasks once, in Flink's order, leaving out hosts of none", () => {
    const processes = [
      { name: "tm-a", addresses: ["10.244.1.5", "tm-a"] },
      { name: "tm-b", addresses: ["10.244.2.7", "tm-b"] },
    ];
    expect(taskManagersOf(processes, ["10.244.2.7", "10.244.1.5", "10.244.2.7"])).toEqual(["tm-b", "tm-a"]);
    expect(taskManagersOf(processes, ["10.244.9.9"])).toEqual([]);
  });
});

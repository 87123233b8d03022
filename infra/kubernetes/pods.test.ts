import { describe, expect, it } from "vitest";
import { CONTAINER_SECURITY_CONTEXT, envVars, httpProbe, parseUser, podSecurityContext, podSpec, resources, tcpProbe } from "./pods";

const timing = { initialDelaySeconds: 1, periodSeconds: 2, failureThreshold: 3 };

describe("parseUser", () => {
  it("reads numeric uid:gid", () => {
    expect(parseUser("9999:9999")).toEqual({ uid: 9999, gid: 9999 });
    expect(parseUser("1000:1001")).toEqual({ uid: 1000, gid: 1001 });
  });

  it("refuses names, which runAsNonRoot cannot check, and root", () => {
    expect(() => parseUser("flink")).toThrow('user "flink" is not numeric uid:gid');
    expect(() => parseUser("0:0")).toThrow("is root");
  });
});

describe("podSecurityContext", () => {
  it("runs as the given non-root user and group and owns volumes through fsGroup", () => {
    expect(podSecurityContext("9999:9999")).toEqual({
      runAsUser: 9999,
      runAsGroup: 9999,
      fsGroup: 9999,
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
  });
});

describe("resources", () => {
  it("turns sizes into requests and limits", () => {
    expect(resources({ cpuRequestMillis: 200, cpuLimitMillis: 1000, memoryRequestMb: 256, memoryLimitMb: 512 })).toEqual({
      requests: { cpu: "200m", memory: "256Mi" },
      limits: { cpu: "1000m", memory: "512Mi" },
    });
  });

  it("refuses requests above limits", () => {
    expect(() => resources({ cpuRequestMillis: 1, cpuLimitMillis: 1, memoryRequestMb: 2, memoryLimitMb: 1 })).toThrow(
      "resource requests exceed limits",
    );
  });
});

describe("probes", () => {
  it("build tcp and http checks with the given timing", () => {
    expect(tcpProbe(9092, timing)).toEqual({ tcpSocket: { port: 9092 }, timeoutSeconds: 5, ...timing });
    expect(httpProbe("/overview", 8081, timing)).toEqual({ httpGet: { path: "/overview", port: 8081 }, timeoutSeconds: 5, ...timing });
  });
});

describe("podSpec", () => {
  const spec = podSpec({
    name: "c",
    image: "img",
    user: "1000:1000",
    command: ["sh", "-c", "true"],
    env: envVars({ A: "1", B: "two" }),
    resources: resources({ cpuRequestMillis: 1, cpuLimitMillis: 2, memoryRequestMb: 3, memoryLimitMb: 4 }),
    restartPolicy: "Never",
  });
  const container = (spec.containers as any[])[0];

  it("has one hardened non-root container", () => {
    expect(spec.containers).toHaveLength(1);
    expect(spec.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true });
    expect(container.securityContext).toEqual(CONTAINER_SECURITY_CONTEXT);
    expect(container.command).toEqual(["sh", "-c", "true"]);
    expect(container.env).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "two" },
    ]);
    expect(spec.restartPolicy).toBe("Never");
  });

  it("keeps service links out of the environment (they would leak KAFKA_PORT into the broker's settings)", () => {
    expect(spec.enableServiceLinks).toBe(false);
  });

  it("leaves out what was not asked for", () => {
    expect(container).not.toHaveProperty("args");
    expect(container).not.toHaveProperty("readinessProbe");
    expect(spec).not.toHaveProperty("volumes");
  });
});

import { describe, expect, it } from "vitest";
import { CONFIG_KEYS, ConfigError, parseStackConfig } from "./config";

function problemsOf(raw: Record<string, string>): string[] {
    try {
        parseStackConfig(raw);
    } catch (e) {
        if (e instanceof ConfigError) return [...e.problems];
        throw e;
    }
    throw new Error("expected a ConfigError");
}

describe("parseStackConfig", () => {
    it("gives the documented defaults for an empty stack config", () => {
        const cfg = parseStackConfig({});
        expect(cfg).toMatchObject({
            target: "docker",
            checkpointMode: "EXACTLY_ONCE",
            checkpointIntervalMs: 20000,
            checkpointDir: "file:///checkpoints_flink",
            retainOnCancellation: true,
            parallelism: 2,
            taskManagers: 1,
            taskSlots: 2,
            partitions: 2,
            visitsTopic: "visits",
            outputTopic: "visit_windows",
            dlqTopic: "visits_dlq",
            groupId: "visits_reader",
            flinkImage: "flink:1.20.3-scala_2.12-java17",
            kafkaImage: "apache/kafka:4.1.1",
            nodeImage: "node:22-bookworm-slim",
            flinkRestPort: 8081,
            kafkaExternalPort: 9094,
        });
        expect(cfg.flink.version).toBe("1.20");
        expect(cfg.restoreFrom).toBeUndefined();
    });

    it("documents a default for every key it defaults", () => {
        const cfg = parseStackConfig({}) as unknown as Record<string, unknown>;
        for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
            if (spec.default !== undefined && key !== "flinkVersion") {
                expect(String(cfg[key]), key).toBe(spec.default);
            }
        }
    });

    it("takes AT_LEAST_ONCE, a custom interval and the kafka image from its version", () => {
        const cfg = parseStackConfig({ checkpointMode: "AT_LEAST_ONCE", checkpointIntervalMs: "5000", kafkaVersion: "4.0.0" });
        expect(cfg.checkpointMode).toBe("AT_LEAST_ONCE");
        expect(cfg.checkpointIntervalMs).toBe(5000);
        expect(cfg.kafkaImage).toBe("apache/kafka:4.0.0");
    });

    it("names the key, the value and what is allowed", () => {
        expect(problemsOf({ checkpointMode: "EXACTLY_TWICE" })).toEqual([
            'checkpointMode: "EXACTLY_TWICE" is not allowed; use one of EXACTLY_ONCE, AT_LEAST_ONCE',
        ]);
        expect(problemsOf({ checkpointIntervalMs: "500" })).toEqual([
            'checkpointIntervalMs: "500" is not allowed; use a whole number from 1000 to 86400000',
        ]);
        expect(problemsOf({ flinkRestPort: "70000" })[0]).toContain("flinkRestPort: \"70000\" is not allowed; use a whole number from 1 to 65535");
        expect(problemsOf({ target: "minikube" })[0]).toContain("use one of docker, kind");
        expect(problemsOf({ flinkVersion: "1.17" })[0]).toContain('flinkVersion: "1.17" is not allowed; use one of 1.20');
    });

    it("rejects a parallelism above the total slots", () => {
        expect(problemsOf({ parallelism: "5", taskManagers: "2", taskSlots: "2" })).toEqual([
            "parallelism: 5 is more than the 4 task slots (taskManagers 2 × taskSlots 2); lower it or add slots",
        ]);
        expect(parseStackConfig({ parallelism: "4", taskManagers: "2", taskSlots: "2" }).parallelism).toBe(4);
    });

    it("reports every problem at once, in the thrown message too", () => {
        const raw = { checkpointMode: "x", parallelism: "zero", kafkaExternalPort: "-1", visitsTopic: "bad topic!" };
        const problems = problemsOf(raw);
        expect(problems.map(p => p.split(":")[0]).sort()).toEqual(
            ["checkpointMode", "kafkaExternalPort", "parallelism", "visitsTopic"].sort());
        expect(() => parseStackConfig(raw)).toThrow(/4 problems[\s\S]*flink-checkpointer:checkpointMode/);
    });

    it("rejects unknown keys, naming the known ones", () => {
        expect(problemsOf({ checkpointmode: "EXACTLY_ONCE" })[0]).toMatch(/^checkpointmode: unknown key; known keys are target, checkpointMode/);
    });

    it("keeps checkpoints on the shared volume", () => {
        expect(problemsOf({ checkpointDir: "s3://bucket/ckpt" })[0]).toContain("checkpointDir");
        expect(problemsOf({ checkpointDir: "file:///tmp/ckpt" })[0]).toContain("at or below /checkpoints_flink");
        expect(problemsOf({ checkpointDir: "file:///checkpoints_flink/../etc" })[0]).toContain("checkpointDir");
        expect(parseStackConfig({ checkpointDir: "file:///checkpoints_flink/visits/" }).checkpointDir)
            .toBe("file:///checkpoints_flink/visits");
    });

    it("accepts restoreFrom only for a retained checkpoint or savepoint under checkpointDir", () => {
        const chk = "file:///checkpoints_flink/0123456789abcdef0123456789abcdef/chk-7";
        expect(parseStackConfig({ restoreFrom: chk }).restoreFrom).toBe(chk);
        expect(parseStackConfig({ restoreFrom: `${chk}/` }).restoreFrom).toBe(chk);
        expect(problemsOf({ restoreFrom: "file:///elsewhere/chk-7" })[0]).toMatch(/^restoreFrom: .*under checkpointDir/);
        expect(problemsOf({ restoreFrom: "file:///checkpoints_flink/abc" })[0]).toContain("restoreFrom");
    });

    it("checks the generator's delay range and start time", () => {
        expect(problemsOf({ generatorDelayMinMs: "9000" })).toEqual([
            "generatorDelayMaxMs: 7000 is below generatorDelayMinMs 9000; the delay range needs min <= max",
        ]);
        expect(problemsOf({ generatorStartTime: "yesterday" })[0]).toContain("generatorStartTime");
        expect(parseStackConfig({ generatorStartTime: "2026-01-01T00:00:00Z", generatorSeed: "42" }))
            .toMatchObject({ generatorStartTime: "2026-01-01T00:00:00Z", generatorSeed: 42 });
    });

    it("requires three distinct topics and two distinct host ports", () => {
        expect(problemsOf({ outputTopic: "visits" })[0]).toContain("three different topics");
        expect(problemsOf({ kafkaExternalPort: "8081" })[0]).toContain("two different host ports");
    });
});

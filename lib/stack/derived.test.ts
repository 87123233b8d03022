import { describe, expect, it } from "vitest";
import { DERIVED_STACK_TAG, derivedConfig, derivedStackDecision, derivedStackName, modeVariant } from "./derived";

const NAME = derivedStackName("ci", modeVariant("AT_LEAST_ONCE"));
const nothing = { stack: false, tags: {}, configFile: false };

describe("derivedStackDecision", () => {
  it("creates the derived stack when nothing has its name", () => {
    expect(NAME).toBe("ci-at-least-once");
    expect(derivedStackDecision(NAME, "ci", nothing)).toEqual({ action: "create" });
  });

  it("reuses a stack this project marked as derived from the same base (a run stopped before removing it)", () => {
    expect(derivedStackDecision(NAME, "ci", { stack: true, tags: { [DERIVED_STACK_TAG]: "ci" }, configFile: true })).toEqual({
      action: "reuse",
    });
  });

  it("refuses a stack without the mark, naming it and what to do", () => {
    expect(derivedStackDecision(NAME, "ci", { stack: true, tags: { owner: "me" }, configFile: true })).toEqual({
      action: "refuse",
      reason:
        "stack ci-at-least-once exists and was not made as a derived stack of ci (it has no flink-checkpointer:derivedFrom tag), so it is not reconfigured or destroyed. Next: if it is yours and still needed, derive from a base stack with another name; if it is not needed, remove it (`pulumi destroy --stack ci-at-least-once`, then `pulumi stack rm ci-at-least-once`)",
    });
  });

  it("refuses a stack derived from another base that happens to give the same name", () => {
    // "ci-at" + "least-once" and "ci" + "at-least-once" name the same stack.
    const decision = derivedStackDecision(NAME, "ci", { stack: true, tags: { [DERIVED_STACK_TAG]: "ci-at" }, configFile: true });
    expect(decision).toMatchObject({ action: "refuse" });
    expect((decision as { reason: string }).reason).toMatch(
      /^stack ci-at-least-once was derived from stack ci-at, not from ci, so it is not/,
    );
  });

  it("refuses a config file of that name without a stack: making and removing the stack would overwrite and delete it", () => {
    const decision = derivedStackDecision(NAME, "ci", { ...nothing, configFile: true });
    expect(decision).toMatchObject({ action: "refuse" });
    expect((decision as { reason: string }).reason).toMatch(
      /^the derived stack ci-at-least-once cannot be made: Pulumi\.ci-at-least-once\.yaml exists without a stack of that name.* Next: rename or remove Pulumi\.ci-at-least-once\.yaml/,
    );
  });
});

describe("derivedConfig", () => {
  it("is the base stack's config with the variant's changes and both host ports moved", () => {
    expect(derivedConfig({ "flink-checkpointer:flinkRestPort": "18081", "other:key": "v" }, modeVariant("AT_LEAST_ONCE"))).toEqual({
      "flink-checkpointer:flinkRestPort": "18091",
      "flink-checkpointer:kafkaExternalPort": "9104",
      "flink-checkpointer:checkpointMode": "AT_LEAST_ONCE",
      "other:key": "v",
    });
  });
});

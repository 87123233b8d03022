import { describe, expect, it } from "vitest";
import {
  commandFailureMessage,
  controlPlaneNode,
  kindProviderName,
  loadCommands,
  loadedImageReference,
  missingClusterMessage,
  splitImageName,
} from "./imageLoad";

const id = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

describe("splitImageName", () => {
  it("separates repository and tag, also behind a registry port and before a digest", () => {
    expect(splitImageName("apache/kafka:4.1.1")).toEqual({ repository: "apache/kafka", tag: "4.1.1" });
    expect(splitImageName("localhost:5000/x/y:t")).toEqual({ repository: "localhost:5000/x/y", tag: "t" });
    expect(splitImageName("localhost:5000/x/y")).toEqual({ repository: "localhost:5000/x/y" });
    expect(splitImageName("busybox@sha256:abc")).toEqual({ repository: "busybox" });
  });
});

describe("loadedImageReference", () => {
  it("keeps name and tag and adds the image id's first 12 hex digits, so a new image is a new name", () => {
    expect(loadedImageReference("flink-checkpointer-local/kafka:4.1.1", id)).toBe("flink-checkpointer-local/kafka:4.1.1-0123456789ab");
    expect(loadedImageReference("busybox", id)).toBe("busybox:latest-0123456789ab");
    expect(loadedImageReference("x:y", id.replace("0123", "9999"))).not.toBe(loadedImageReference("x:y", id));
  });

  it("stays within Docker's 128 characters for a tag", () => {
    const tag = loadedImageReference(`x:${"t".repeat(200)}`, id).split(":")[1];
    expect(tag.length).toBeLessThanOrEqual(128);
    expect(tag.endsWith("-0123456789ab")).toBe(true);
  });

  it("refuses something that is not an image id", () => {
    expect(() => loadedImageReference("x:y", "flink:1.20")).toThrow('"flink:1.20" is not a Docker image id (sha256:<hex digits>)');
  });
});

describe("loadCommands", () => {
  it("tags the image with its loaded name, saves that to an archive and loads the archive into the named cluster", () => {
    const { clusters, steps } = loadCommands("dev", id, "x:y-0123456789ab", "/tmp/a/image.tar");
    expect(clusters).toEqual({ file: "kind", args: ["get", "clusters"] });
    expect(steps).toEqual([
      { file: "docker", args: ["image", "tag", id, "x:y-0123456789ab"] },
      { file: "docker", args: ["image", "save", "--output", "/tmp/a/image.tar", "x:y-0123456789ab"] },
      { file: "kind", args: ["load", "image-archive", "/tmp/a/image.tar", "--name", "dev"] },
    ]);
  });

  it("loads into the named nodes only, when told which", () => {
    const { steps } = loadCommands("dev", id, "x:y-0123456789ab", "/tmp/a/image.tar", [controlPlaneNode("dev")]);
    expect(steps.at(-1)!.args).toEqual(["load", "image-archive", "/tmp/a/image.tar", "--name", "dev", "--nodes", "dev-control-plane"]);
  });
});

describe("messages", () => {
  it("name kind's provider as the environment selects it", () => {
    expect(kindProviderName({ KIND_EXPERIMENTAL_PROVIDER: "podman" })).toBe("podman (KIND_EXPERIMENTAL_PROVIDER)");
    expect(kindProviderName({})).toBe("docker (KIND_EXPERIMENTAL_PROVIDER is unset)");
  });

  it("say how to create a missing cluster, under its own name", () => {
    expect(missingClusterMessage("flink-checkpointer", ["other"], {})).toBe(
      'kind lists no cluster "flink-checkpointer" (provider docker (KIND_EXPERIMENTAL_PROVIDER is unset); clusters: other). ' +
        "Create it: kind create cluster --config infra/kubernetes/kind-cluster.yaml, or set KIND_EXPERIMENTAL_PROVIDER to the provider that runs it",
    );
    expect(missingClusterMessage("dev", [], {})).toContain(
      "clusters: none). Create it: kind create cluster --config infra/kubernetes/kind-cluster.yaml --name dev",
    );
  });

  it("explain a missing program, a vanished image and any other failure", () => {
    const kind = { file: "kind", args: ["load", "image-archive", "a.tar"] };
    const save = { file: "docker", args: ["image", "save", "x"] };
    expect(commandFailureMessage(kind, "ENOENT", "")).toBe(
      "kind is not on PATH: install kind (https://kind.sigs.k8s.io), then run pulumi up again",
    );
    expect(commandFailureMessage(save, "ENOENT", "")).toContain("docker is not on PATH");
    expect(commandFailureMessage(save, 1, "Error response from daemon: reference does not exist\n")).toBe(
      "`docker image save x` failed: the image is not in the local Docker Engine any more (Error response from daemon: " +
        "reference does not exist); `pulumi refresh` notices that, then `pulumi up` builds or pulls it again",
    );
    expect(commandFailureMessage(kind, 1, 'ERROR: no nodes found for cluster "dev"\n')).toBe(
      '`kind load image-archive a.tar` failed (exit 1): ERROR: no nodes found for cluster "dev"',
    );
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FLINK_LINES, VERSIONS } from "../../lib/versions";
import { buildOrder } from "../engine";
import { type Setting, settingFromEnvironment } from "../group";
import { connectorsGroup, sameFiles } from "./connectors";
import { localImagesGroup } from "./images";
import { inspectorDir, inspectorGroup } from "./inspector";
import { containersConfText, kindEnvText, kubernetesLdflags } from "./kind";
import { imagesToBuild, kindStorageImages, kindStorageManifest } from "./kindNode";
import { ownTool } from "./toolchain";

/** The setting with a second Flink line beside the real one, as a new line adds it to versions.json. */
const twoLines: Setting = {
  ...settingFromEnvironment({ HOME: "/home/u", PATH: "/usr/bin" }),
  flinkLines: { ...FLINK_LINES, "9.9": { ...FLINK_LINES[VERSIONS.defaultFlinkLine]!, localImage: "flink-checkpointer-local/flink:9.9.1" } },
};

describe("the groups of pieces", () => {
  it("give every Flink line of versions.json its connector jars, local Flink image and inspector", () => {
    const lines = [...Object.keys(FLINK_LINES), "9.9"];
    expect(connectorsGroup(twoLines).targets).toEqual(lines.flatMap((line) => [`job-lib/${line}`, `job-plugins/${line}`]));
    expect(inspectorGroup(twoLines).targets).toEqual(lines.map((line) => `inspector/${line}`));
    const images = localImagesGroup(twoLines);
    expect(images.targets).toEqual(["images/kafka", ...lines.map((line) => `images/flink/${line}`), "images/node"]);
    expect(buildOrder(images.pieces, ["images/flink/9.9"]).map((piece) => piece.name)).toEqual([
      "docker-engine",
      "images/debian",
      "images/flink-wheels/9.9",
      "images/flink/9.9",
    ]);
  });

  it("name each inspector folder by its line and key", () => {
    expect(inspectorDir(twoLines, "9.9", "0123456789abcdef0123")).toBe(
      join(twoLines.cache, "checkpoint-inspector", "9.9-0123456789abcdef"),
    );
  });

  it("take the cache from FLINK_CHECKPOINTER_CACHE, else XDG_CACHE_HOME, else ~/.cache, as scripts/env.sh does", () => {
    expect(settingFromEnvironment({ HOME: "/h", FLINK_CHECKPOINTER_CACHE: "/c" }).cache).toBe("/c");
    expect(settingFromEnvironment({ HOME: "/h", XDG_CACHE_HOME: "/x" }).cache).toBe("/x/flink-checkpointer");
    expect(settingFromEnvironment({ HOME: "/h" }).cache).toBe("/h/.cache/flink-checkpointer");
  });
});

describe("the toolchain group", () => {
  const setting = settingFromEnvironment({ HOME: "/home/u", PATH: "/cache/toolchain/bin:/usr/local/bin:/usr/bin" });
  const withCache: Setting = { ...setting, cache: "/cache" };
  it("uses the user's own tool, on PATH outside the cache or among Pulumi's plugins", () => {
    const files = new Set([
      "/cache/toolchain/bin/pulumi",
      "/usr/local/bin/pulumi-language-nodejs",
      "/home/u/.pulumi/plugins/resource-docker-v4.5.0/pulumi-resource-docker",
    ]);
    const exists = (file: string) => files.has(file);
    const list = () => ["resource-docker-v4.5.0", "resource-kubernetes-v4.1.0"];
    expect(ownTool("pulumi", withCache, exists, list)).toBeUndefined();
    expect(ownTool("pulumi-language-nodejs", withCache, exists, list)).toBe("/usr/local/bin/pulumi-language-nodejs");
    expect(ownTool("pulumi-resource-docker", withCache, exists, list)).toBe(
      "/home/u/.pulumi/plugins/resource-docker-v4.5.0/pulumi-resource-docker",
    );
    expect(ownTool("pulumi-resource-kubernetes", withCache, exists, list)).toBeUndefined();
  });
});

describe("the connectors group", () => {
  it("copies again when the clone's folder differs from the resolved jars by name or size", () => {
    const dir = mkdtempSync(join(tmpdir(), "setup-jars-"));
    for (const side of ["cache", "clone"]) {
      mkdirSync(join(dir, side));
      writeFileSync(join(dir, side, "a.jar"), "12345");
    }
    expect(sameFiles(join(dir, "cache"), join(dir, "clone"))).toBe(true);
    writeFileSync(join(dir, "clone", ".fetched-by-the-old-script"), "");
    expect(sameFiles(join(dir, "cache"), join(dir, "clone"))).toBe(false);
    expect(sameFiles(join(dir, "cache"), join(dir, "missing"))).toBe(false);
  });
});

describe("the kind group", () => {
  it("writes how this machine runs kind", () => {
    const podman = kindEnvText({ provider: "podman" }, "/c/kind/bin", "/c/kind/containers.conf", "localhost/x:v1");
    expect(podman).toContain("export KIND_EXPERIMENTAL_PROVIDER=podman\n");
    expect(podman).toContain('export CONTAINERS_CONF="/c/kind/containers.conf"\n');
    expect(podman).toContain('export FC_KIND_NODE_IMAGE="localhost/x:v1"\n');
    expect(podman).toContain('case ":$PATH:" in *":/c/kind/bin:"*) ;; *) export PATH="/c/kind/bin:$PATH" ;; esac\n');
    expect(kindEnvText({ provider: "docker", ownKind: "/usr/bin/kind" }, "/b", "/c", "i")).not.toContain("export");
    expect(kindEnvText({ provider: "docker" }, "/b", "/c", "i")).not.toContain("KIND_EXPERIMENTAL_PROVIDER");
  });

  it("caps podman's limits at this machine's hard limits", () => {
    expect(containersConfText("20000", "unlimited")).toContain('default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]');
    expect(containersConfText("unlimited", "4096")).toContain('default_ulimits = ["nofile=1048576:1048576", "nproc=4096:4096"]');
    expect(containersConfText("1", "1")).toContain('runtime = "runc"');
  });

  it("stamps Kubernetes' binaries the way its own build does", () => {
    expect(kubernetesLdflags("v1.33.13")).toBe(
      "-s -w -X k8s.io/component-base/version.gitVersion=v1.33.13 -X k8s.io/component-base/version.gitMajor=1 " +
        "-X k8s.io/component-base/version.gitMinor=33 -X k8s.io/component-base/version.gitTreeState=clean " +
        "-X k8s.io/client-go/pkg/version.gitVersion=v1.33.13 -X k8s.io/client-go/pkg/version.gitMajor=1 " +
        "-X k8s.io/client-go/pkg/version.gitMinor=33 -X k8s.io/client-go/pkg/version.gitTreeState=clean",
    );
  });

  it("reads kind's default storage manifest and image names from its const_storage.go", () => {
    const constStorage = [
      "package nodeimage",
      'const storageProvisionerImage = "registry.example/kindest/local-path-provisioner:v1"',
      'const storageHelperImage = "registry.example/kindest/local-path-helper:v2"',
      "const defaultStorageManifest = `",
      "kind: StorageClass",
      "image: ` + storageProvisionerImage + `",
      "helperImage: ` + storageHelperImage + `",
      "`",
      "",
    ].join("\n");
    expect(kindStorageImages(constStorage)).toEqual({
      provisioner: "registry.example/kindest/local-path-provisioner:v1",
      helper: "registry.example/kindest/local-path-helper:v2",
    });
    expect(kindStorageManifest(constStorage)).toBe(
      "kind: StorageClass\nimage: registry.example/kindest/local-path-provisioner:v1\nhelperImage: registry.example/kindest/local-path-helper:v2\n",
    );
    expect(() => kindStorageManifest("package nodeimage\n")).toThrow("declares no storageProvisionerImage");
  });

  it("names each component image as kubeadm asks for it, and fails when versions.json's tags are not what it asks", () => {
    const listing = [
      "a.example/kube-apiserver:v1.33.13",
      "a.example/coredns/coredns:v1.12.0",
      "a.example/pause:3.10",
      "a.example/etcd:3.5.24-0",
      "",
    ].join("\n");
    const imageOf = imagesToBuild(listing, { etcd: "3.5.24-0", coredns: "v1.12.0", pause: "3.10" });
    expect(imageOf("coredns")).toBe("a.example/coredns/coredns:v1.12.0");
    expect(imageOf("kube-apiserver")).toBe("a.example/kube-apiserver:v1.33.13");
    expect(() => imageOf("kubelet")).toThrow("kubeadm asks for no kubelet image");
    expect(() => imagesToBuild(listing, { etcd: "3.5.21-0", coredns: "v1.12.0", pause: "3.10" })).toThrow(
      "kubeadm asks for a.example/etcd:3.5.24-0, but versions.json's kind.etcd.imageTag is 3.5.21-0: change the tag there",
    );
  });
});

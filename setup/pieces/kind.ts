// What the stack's kind target needs on this machine, and $FC_CACHE/kind/env saying how this machine runs kind
// (provider, podman config, node image, PATH), which scripts/env.sh and scripts/kind-cluster.sh source.
//
// With the user's own `kind` and a Docker that runs privileged containers, nothing is built (without a kind of the
// user's, only kind is). Otherwise (a Docker that cannot run kind's privileged node containers, no Docker, or
// FC_KIND_PODMAN=1) kind runs on podman with a node image built here from Debian packages and Go modules, as no
// registry may serve kind's node image nor the Kubernetes images: kind, kubectl, Kubernetes, etcd, CoreDNS,
// local-path-provisioner, pause and busybox at the versions of versions.json's "kind" (each says why). The node
// image is assembled in kindNode.ts; the recipes are in setup/recipes/kind/.

import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GO_WRAPPER_PINS } from "../../lib/versions";
import type { Piece } from "../engine";
import {
  askTool,
  checkPin,
  commandExists,
  debianPackageInstalled,
  type Group,
  goVersion,
  installDebianPackages,
  isRoot,
  recipe,
  type Setting,
  SetupError,
} from "../group";
import { fileHash, findOnPath, installExecutable, treeHash } from "../host";
import { componentImagesPiece, NODE_IMAGE_PIECE, nodeImagePiece, removeReplacedNodeImages } from "./kindNode";
import { containersConf, kindBin, kindDir, kindEnvFile, kindOut, kindWork, nodeImageName } from "./kindPaths";

// Debian packages of the node: kind's base image's list without the rootless, NFS and iSCSI extras, plus the
// container runtime and CNI plugins kind compiles for its own image.
const NODE_PACKAGES =
  "systemd,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,e2fsprogs,bash,ca-certificates,curl,jq,procps,containerd,runc,containernetworking-plugins";
const KUBE_PROXY_PACKAGES = "iptables,conntrack";
const HOST_PACKAGES = ["podman", "runc", "debootstrap", "gcc", "libc6-dev", "jq", "iptables"];
/** What a packed root filesystem leaves out: the packages' archives, apt's lists and the documentation. */
const ROOTFS_TRIMMED = ["var/cache/apt/archives/*.deb", "var/lib/apt/lists/*", "usr/share/doc", "usr/share/man"];

const KUBERNETES_BINARIES = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "kubelet", "kubeadm", "kubectl"];

/** The version ldflags Kubernetes' own build stamps into its binaries. */
export function kubernetesLdflags(version: string): string {
  const minor = version.replace(/^v1\./, "").split(".")[0];
  const stamps = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=1`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
  return ["-s -w", ...stamps].join(" ");
}

/** podman's containers.conf for kind's podman provider, from this machine's hard limits (ulimit -Hn, -Hu). */
export function containersConfText(hardNofile: string, hardNproc: string): string {
  const limit = (value: string, most: number) => (value === "unlimited" || Number(value) > most ? String(most) : value);
  const nofile = limit(hardNofile, 1048576);
  // podman lowers its own RLIMIT_NPROC to 32768 before it starts a container.
  const nproc = limit(hardNproc, 32768);
  return `# Written by the setup program (setup/pieces/kind.ts): podman's configuration for kind's podman provider here.
[containers]
# podman asks for nofile/nproc 1048576; a process without CAP_SYS_RESOURCE may not raise its hard
# limits, so containers get this machine's hard limits instead.
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
# crun (podman's default on Debian) refuses hybrid cgroup layouts; runc runs on them.
runtime = "runc"
`;
}

/** How this machine runs kind: the user's kind on Docker, kind built here on Docker, or on podman with our node image. */
export type KindWay = { readonly provider: "docker"; readonly ownKind?: string } | { readonly provider: "podman" };

/** $FC_CACHE/kind/env for the way this machine runs kind. */
export function kindEnvText(way: KindWay, bin: string, conf: string, nodeImage: string): string {
  const path = `case ":$PATH:" in *":${bin}:"*) ;; *) export PATH="${bin}:$PATH" ;; esac\n`;
  if (way.provider === "docker" && way.ownKind !== undefined)
    return `# Written by the setup program (kind group): this machine runs kind as it is, your kind\n# (${way.ownKind}) on Docker. Nothing to set.\n`;
  if (way.provider === "docker")
    return `# Written by the setup program (kind group): this machine runs kind on Docker, with kind built here.\n${path}`;
  return (
    "# Written by the setup program (kind group): this machine runs kind on podman with a node image\n" +
    "# built here (its Docker cannot run kind's privileged node containers, or there is none).\n" +
    "export KIND_EXPERIMENTAL_PROVIDER=podman\n" +
    `export CONTAINERS_CONF="${conf}"\n` +
    `export FC_KIND_NODE_IMAGE="${nodeImage}"\n${path}`
  );
}

/** A file whose content is its key: written when it differs. */
function filePiece(name: string, file: string, content: () => string, deps: readonly string[], from: string): Piece {
  return {
    name,
    deps,
    resource: "io",
    from,
    inputs: () => ({ content: content() }),
    outputs: () => [file],
    build: async () => {
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(`${file}.new`, content());
      renameSync(`${file}.new`, file);
    },
  };
}

function hostPackagesPiece(): Piece {
  const missing = () => HOST_PACKAGES.filter((name) => !debianPackageInstalled(name));
  return {
    name: "kind/host-packages",
    resource: "io",
    from: `Debian packages ${HOST_PACKAGES.join(" ")}`,
    // Checked on every run; nothing of it enters the keys of what is built with them.
    inputs: () => ({}),
    holds: async () => missing().length === 0,
    build: async (context) => {
      await installDebianPackages(context, missing());
    },
  };
}

/** `go install module@version` into a folder; for modules whose go.mod has no replace directives. */
function goInstallPiece(
  setting: Setting,
  name: string,
  module: string,
  version: string,
  install: (built: string) => void,
  outputs: string[],
): Piece {
  return {
    name: `kind/${name}`,
    resource: "cpu",
    from: `${module}@${version}`,
    inputs: () => ({
      module: `${module}@${version}`,
      go: goVersion(),
      goflags: askTool("go", ["env", "GOFLAGS"]),
      ldflags: "-s -w",
      cgo: "0",
    }),
    outputs: () => outputs,
    build: async (context) => {
      const gobin = kindWork(setting, `${name}-bin`);
      rmSync(gobin, { recursive: true, force: true });
      await context.run("go", ["install", "-v", "-trimpath", "-ldflags", "-s -w", `${module}@${version}`], {
        env: { GOBIN: gobin, CGO_ENABLED: "0", GOFLAGS: askTool("go", ["env", "GOFLAGS"]) },
      });
      install(join(gobin, module.split("/").pop()!));
      rmSync(gobin, { recursive: true, force: true });
    },
  };
}

function kubernetesPiece(setting: Setting): Piece {
  const wrapper = "setup/recipes/kind/kubernetes";
  const { version } = setting.versions.kind.kubernetes;
  const staging = version.replace(/^v1\./, "v0.");
  const ldflags = kubernetesLdflags(version);
  const out = kindOut(setting, "kubernetes");
  return {
    name: "kind/kubernetes",
    resource: "cpu",
    from: `k8s.io/kubernetes@${version} (${KUBERNETES_BINARIES.join(", ")})`,
    inputs: () => ({
      version,
      ldflags,
      binaries: KUBERNETES_BINARIES.join(","),
      go: goVersion(),
      goflags: askTool("go", ["env", "GOFLAGS"]),
      wrapper: treeHash(join(setting.repo, wrapper)),
    }),
    outputs: () => [...KUBERNETES_BINARIES.map((binary) => join(out, binary)), join(kindBin(setting), "kubectl")],
    build: async (context) => {
      checkPin(context, setting, wrapper, GO_WRAPPER_PINS[wrapper]!);
      const goMod = readFileSync(join(setting.repo, wrapper, "go.mod"), "utf8");
      const replaced = goMod
        .split("\n")
        .filter((line) => new RegExp(`=> k8s\\.io/[a-z-]+ ${staging.replace(/\./g, "\\.")}$`).test(line.trim()));
      if (replaced.length !== 31)
        throw new Error(`${wrapper}/go.mod must replace the 31 staging modules with ${staging}; it replaces ${replaced.length}`);
      rmSync(`${out}.partial`, { recursive: true, force: true });
      mkdirSync(`${out}.partial`, { recursive: true });
      await context.run(
        "go",
        [
          "build",
          "-v",
          "-trimpath",
          "-ldflags",
          ldflags,
          "-o",
          `${out}.partial/`,
          ...KUBERNETES_BINARIES.map((binary) => `k8s.io/kubernetes/cmd/${binary}`),
        ],
        {
          cwd: join(setting.repo, wrapper),
          env: { GOFLAGS: `${askTool("go", ["env", "GOFLAGS"])} -mod=readonly`.trim(), CGO_ENABLED: "0" },
        },
      );
      rmSync(out, { recursive: true, force: true });
      renameSync(`${out}.partial`, out);
      installExecutable(join(out, "kubectl"), join(kindBin(setting), "kubectl"));
    },
  };
}

function etcdPiece(setting: Setting): Piece {
  const wrapper = "setup/recipes/kind/etcd";
  const pin = GO_WRAPPER_PINS[wrapper]!;
  const out = kindOut(setting, "etcd", "etcd");
  return {
    name: "kind/etcd",
    resource: "cpu",
    from: `${pin.module}@${pin.version}`,
    inputs: () => ({
      module: `${pin.module}@${pin.version}`,
      go: goVersion(),
      goflags: askTool("go", ["env", "GOFLAGS"]),
      wrapper: treeHash(join(setting.repo, wrapper)),
    }),
    outputs: () => [out],
    build: async (context) => {
      checkPin(context, setting, wrapper, pin);
      mkdirSync(join(out, ".."), { recursive: true });
      await context.run("go", ["build", "-v", "-trimpath", "-ldflags", "-s -w", "-o", `${out}.partial`, pin.module], {
        cwd: join(setting.repo, wrapper),
        env: { GOFLAGS: `${askTool("go", ["env", "GOFLAGS"])} -mod=readonly`.trim(), CGO_ENABLED: "0" },
      });
      renameSync(`${out}.partial`, out);
    },
  };
}

/** Kubernetes' own pause, from the k8s.io/kubernetes module, as its Makefile builds it. */
function pausePiece(setting: Setting): Piece {
  const { kubernetes, pause } = setting.versions.kind;
  const out = kindOut(setting, "pause", "pause");
  return {
    name: "kind/pause",
    deps: ["kind/host-packages"],
    resource: "cpu",
    from: `k8s.io/kubernetes@${kubernetes.version} build/pause/linux/pause.c`,
    inputs: () => ({ kubernetes: kubernetes.version, tag: pause.imageTag, gcc: askTool("gcc", ["--version"]) }),
    outputs: () => [out],
    build: async (context) => {
      mkdirSync(kindWork(setting), { recursive: true });
      const json = await context.capture("go", ["mod", "download", "-json", `k8s.io/kubernetes@${kubernetes.version}`], {
        cwd: kindWork(setting),
        env: { GOFLAGS: "-mod=mod" },
      });
      const moduleDir = (JSON.parse(json) as { Dir: string }).Dir;
      mkdirSync(join(out, ".."), { recursive: true });
      await context.run("gcc", [
        "-Os",
        "-Wall",
        "-Werror",
        "-static",
        `-DVERSION=${pause.imageTag}`,
        "-o",
        `${out}.partial`,
        join(moduleDir, "build", "pause", "linux", "pause.c"),
      ]);
      renameSync(`${out}.partial`, out);
    },
  };
}

/** The busybox-static version apt offers, part of the busybox piece's key. */
const busyboxVersion = (): string => {
  const shown = askTool("sh", ["-c", "apt-cache show --no-all-versions busybox-static 2>/dev/null | sed -n 's/^Version: //p'"]);
  if (shown === "") throw new Error("apt-cache knows no busybox-static: run apt-get update");
  return shown;
};

function busyboxPiece(setting: Setting): Piece {
  const out = kindOut(setting, "busybox", "busybox");
  return {
    name: "kind/busybox",
    resource: "io",
    from: "Debian's busybox-static",
    inputs: () => ({ version: busyboxVersion() }),
    outputs: () => [out],
    build: async (context) => {
      const work = kindWork(setting, "busybox");
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work, { recursive: true });
      await context.run("apt-get", ["download", `busybox-static=${busyboxVersion()}`], { cwd: work });
      await context.run("sh", ["-c", "dpkg-deb -x busybox-static_*.deb root", "busybox"], { cwd: work });
      installExecutable(join(work, "root", "bin", "busybox"), out);
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** A minbase Debian root filesystem, packed into $FC_CACHE/kind/out/rootfs/<name>.tar without what ROOTFS_TRIMMED names. */
function rootfsPiece(setting: Setting, name: string, packages: string, customize?: string): Piece {
  const suite = setting.versions.kind.debianSuite;
  const out = kindOut(setting, "rootfs", `${name}.tar`);
  return {
    name: `kind/${name}`,
    deps: ["kind/host-packages"],
    resource: "io",
    from: `Debian ${suite} (debootstrap --variant=minbase) with ${packages}`,
    inputs: () => ({ suite, packages, trimmed: ROOTFS_TRIMMED.join(","), ...(customize ? { customize: fileHash(customize) } : {}) }),
    outputs: () => [out],
    build: async (context) => {
      const rootfs = kindWork(setting, name);
      const debs = join(kindDir(setting), "debootstrap-debs");
      rmSync(rootfs, { recursive: true, force: true });
      mkdirSync(debs, { recursive: true });
      await context.run("debootstrap", ["--variant=minbase", `--include=${packages}`, `--cache-dir=${debs}`, suite, rootfs], {
        nice: true,
      });
      if (customize) await context.run(customize, [rootfs]);
      await context.run("sh", ["-c", `cd "$1" && rm -rf ${ROOTFS_TRIMMED.join(" ")}`, "trim", rootfs]);
      mkdirSync(join(out, ".."), { recursive: true });
      await context.run("tar", ["-C", rootfs, "--numeric-owner", "-cf", `${out}.partial`, "."]);
      renameSync(`${out}.partial`, out);
      rmSync(rootfs, { recursive: true, force: true });
    },
  };
}

/** Whether Docker starts a privileged container, as kind's node containers are (see the notes on this machine). */
async function dockerRunsPrivileged(): Promise<boolean> {
  const run = (args: string[], input?: string) =>
    new Promise<number>((resolve) => {
      const child = execFile("docker", args, { timeout: 60_000 }, (error) => resolve(error ? ((error as { code?: number }).code ?? 1) : 0));
      if (input !== undefined) child.stdin?.end(input);
    });
  if (!commandExists("docker") || (await run(["info"])) !== 0) return false;
  const probe = "flink-checkpointer-probe:privileged";
  // A container of an empty image whose absent command fails with 127 only once runc got past the privileged setup.
  const emptyTar = Buffer.alloc(1024).toString("latin1");
  if ((await run(["import", "-", probe], emptyTar)) !== 0) return false;
  const status = await run(["run", "--rm", "--privileged", "--network", "none", probe, "/absent-command"]);
  await run(["rmi", probe]);
  return status === 127;
}

export async function kindGroup(setting: Setting): Promise<Group> {
  const force = setting.env.FC_KIND_PODMAN ?? "0";
  if (!["0", "1", ""].includes(force))
    throw new SetupError(`FC_KIND_PODMAN is '${force}'; allowed: 1 (kind on podman with a node image built here) or 0/unset`);
  const { kind } = setting.versions.kind;
  const bin = kindBin(setting);
  const envPiece = (way: KindWay, deps: string[]) =>
    filePiece(
      "kind/env",
      kindEnvFile(setting),
      () => kindEnvText(way, bin, containersConf(setting), nodeImageName(setting)),
      deps,
      "how this machine runs kind",
    );
  const kindPiece = () =>
    goInstallPiece(setting, "kind", kind.module, kind.version, (built) => installExecutable(built, join(bin, "kind")), [join(bin, "kind")]);

  if (force !== "1" && (await dockerRunsPrivileged())) {
    const notes: string[] = [];
    const ownKind = findOnPath("kind", setting.env.PATH, [bin]);
    if (!findOnPath("kubectl", setting.env.PATH, [bin]))
      notes.push("kind: note: kubectl is not on PATH; `kind-cluster.sh create` needs it");
    if (ownKind !== undefined) {
      notes.push(`kind: using your kind (${ownKind}) on Docker, which runs privileged containers; nothing to build`);
      return { pieces: [envPiece({ provider: "docker", ownKind }, [])], targets: ["kind/env"], notes };
    }
    if (!commandExists("go")) throw new SetupError(`Go is not installed; install kind ${kind.version} yourself or Go to build it`);
    notes.push(`kind: Docker runs privileged containers; building only kind ${kind.version} (it pulls its own node image)`);
    return { pieces: [kindPiece(), envPiece({ provider: "docker" }, ["kind/kind"])], targets: ["kind/env"], notes };
  }

  const reason = force === "1" ? "FC_KIND_PODMAN=1" : "no Docker here runs privileged containers, as kind's node containers are";
  if (!isRoot())
    throw new SetupError("building the node image needs root (debootstrap, chroot) and podman as root: run the kind setup as root");
  if (!commandExists("go"))
    throw new SetupError("Go is not installed; it builds kind and Kubernetes (setup/recipes/kind/*/go.mod say which Go)");
  const { coredns, localPathProvisioner } = setting.versions.kind;
  const pieces: Piece[] = [
    hostPackagesPiece(),
    kindPiece(),
    kubernetesPiece(setting),
    etcdPiece(setting),
    goInstallPiece(
      setting,
      "coredns",
      coredns.module,
      coredns.version,
      (built) => installExecutable(built, kindOut(setting, "coredns", "coredns")),
      [kindOut(setting, "coredns", "coredns")],
    ),
    goInstallPiece(
      setting,
      "local-path-provisioner",
      localPathProvisioner.module,
      localPathProvisioner.version,
      (built) => installExecutable(built, kindOut(setting, "local-path-provisioner", "local-path-provisioner")),
      [kindOut(setting, "local-path-provisioner", "local-path-provisioner")],
    ),
    pausePiece(setting),
    busyboxPiece(setting),
    rootfsPiece(setting, "kube-proxy-rootfs", KUBE_PROXY_PACKAGES, recipe(setting, "kind", "kube-proxy-rootfs.sh")),
    rootfsPiece(setting, "node-rootfs", NODE_PACKAGES),
    componentImagesPiece(setting),
    filePiece(
      "kind/podman-config",
      containersConf(setting),
      () => containersConfText(askTool("bash", ["-c", "ulimit -Hn"]), askTool("bash", ["-c", "ulimit -Hu"])),
      [],
      "this machine's hard limits (podman's containers.conf)",
    ),
    nodeImagePiece(setting),
    envPiece({ provider: "podman" }, ["kind/kind", NODE_IMAGE_PIECE, "kind/podman-config"]),
  ];
  return {
    pieces,
    targets: ["kind/env"],
    notes: [`kind: kind will run on podman with a node image built here (${reason})`],
    finish: async () => {
      // kind's podman provider mounts /lib/modules into the node; a machine without modules lacks it.
      mkdirSync("/lib/modules", { recursive: true });
      return removeReplacedNodeImages();
    },
  };
}

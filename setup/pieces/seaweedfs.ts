// The S3 server of `checkpointStorage: s3` when its official image is out of reach: SeaweedFS's `weed`, built from
// its Go module through the wrapper module setup/recipes/seaweedfs (its go.mod holds a replace directive that
// `go install pkg@version` refuses), then an image of it on the project's Debian base
// (setup/recipes/images/seaweedfs). versions.json's seaweedfs entry pins both; the binary is cached under
// $FC_CACHE/images/seaweedfs/<key>/ so a new image of the same binary needs no compiler.

import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { GO_WRAPPER_PINS } from "../../lib/versions";
import type { Piece } from "../engine";
import { checkPin, commandExists, type Group, goFlagsWithModMod, goVersion, recipe, type Setting, SetupError } from "../group";
import { treeHash } from "../host";
import { buildFromTar, INPUTS_LABEL, imagePiece, imagesCache } from "./images";

export const SEAWEEDFS_WRAPPER = "setup/recipes/seaweedfs";
const WEED_PACKAGE = "github.com/seaweedfs/seaweedfs/weed";

const weedDir = (setting: Setting): string => join(imagesCache(setting), "seaweedfs");

function weedPiece(setting: Setting): Piece {
  const pin = GO_WRAPPER_PINS[SEAWEEDFS_WRAPPER]!;
  const wrapperDir = join(setting.repo, SEAWEEDFS_WRAPPER);
  // Static, stripped, without the build paths: the binary runs on any base, and its key is what it is built from.
  const flags = ["-trimpath", "-ldflags", "-s -w"];
  return {
    name: "images/seaweedfs-weed",
    resource: "cpu",
    from: `${pin.module}@${pin.version} (weed ${setting.versions.seaweedfs.release})`,
    inputs: () => ({
      module: `${pin.module}@${pin.version}`,
      go: goVersion(),
      goflags: goFlagsWithModMod(),
      flags: flags.join(" "),
      wrapper: treeHash(wrapperDir),
    }),
    outputs: () => [join(weedDir(setting), "weed")],
    build: async (context) => {
      if (!commandExists("go"))
        throw new SetupError("Go is missing, and it builds SeaweedFS's weed here: install Go >= 1.26.6 and run again");
      checkPin(context, setting, SEAWEEDFS_WRAPPER, pin);
      const build = join(imagesCache(setting), "seaweedfs-build");
      rmSync(build, { recursive: true, force: true });
      mkdirSync(imagesCache(setting), { recursive: true });
      cpSync(wrapperDir, build, { recursive: true });
      await context.run("go", ["build", "-v", ...flags, "-o", join(build, "weed"), WEED_PACKAGE], {
        cwd: build,
        env: { GOFLAGS: goFlagsWithModMod(), CGO_ENABLED: "0" },
        nice: true,
      });
      const dir = weedDir(setting);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      renameSync(join(build, "weed"), join(dir, "weed"));
      rmSync(build, { recursive: true, force: true });
      if (!existsSync(join(dir, "weed"))) throw new Error(`the build left no weed binary in ${dir}`);
    },
  };
}

function seaweedfsImagePiece(setting: Setting): Piece {
  const { release, localImage } = setting.versions.seaweedfs;
  const recipeDir = recipe(setting, "images", "seaweedfs");
  return imagePiece({
    name: "images/seaweedfs",
    deps: ["images/debian", "images/seaweedfs-weed"],
    from: `setup/recipes/images/seaweedfs (weed ${release})`,
    image: localImage,
    inputs: () => ({ release, recipe: treeHash(recipeDir) }),
    make: (context) =>
      buildFromTar(
        context,
        ["-C", recipeDir, ".", "-C", weedDir(setting), "weed"],
        ["--label", `${INPUTS_LABEL}=${context.key}`, "--build-arg", `BASE_IMAGE=${setting.versions.debian.localImage}`, "-t", localImage],
      ),
  });
}

/** The weed binary and the local image of the S3 server; part of the local-images group (setup/cli.ts). */
export function seaweedfsGroup(setting: Setting): Group {
  return { pieces: [weedPiece(setting), seaweedfsImagePiece(setting)], targets: ["images/seaweedfs"], notes: [] };
}

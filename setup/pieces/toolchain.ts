// The Pulumi toolchain the stack needs, built from Go modules into $FC_CACHE/toolchain/bin (scripts/env.sh puts it
// on PATH): the `pulumi` CLI, `pulumi-language-nodejs` with Pulumi's host of dynamic providers, and the providers
// `pulumi-resource-kubernetes` and `pulumi-resource-docker`, at the pins of versions.json's "pulumi" (each entry says
// why that version). Each is built through a wrapper module in setup/recipes/toolchain/<name>/.
//
// A tool the user installed (on PATH outside the cache, or a provider among Pulumi's plugins) is used as it is and
// nothing is built for it; FC_FORCE_TOOLCHAIN=1 builds ours all the same.

import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { GO_WRAPPER_PINS, type GoPin } from "../../lib/versions";
import type { BuildContext, Piece } from "../engine";
import { checkPin, commandExists, type Group, goFlagsWithModMod, goModuleDir, goVersion, type Setting, SetupError } from "../group";
import { findOnPath, installExecutable, treeHash } from "../host";

/** The four tools the stack needs of Pulumi; a user who has all of them gets nothing built. */
type Tool = "pulumi" | "pulumi-language-nodejs" | "pulumi-resource-kubernetes" | "pulumi-resource-docker";

const toolchainBin = (setting: Setting): string => join(setting.cache, "toolchain", "bin");

/** The user's own `tool`: on PATH outside our cache, or for a provider in Pulumi's plugin folder. */
export function ownTool(
  tool: string,
  setting: Setting,
  exists: (file: string) => boolean = existsSync,
  list: (dir: string) => string[] = safeList,
): string | undefined {
  const onPath = findOnPath(tool, setting.env.PATH, [toolchainBin(setting)], exists);
  if (onPath !== undefined || !tool.startsWith("pulumi-resource-")) return onPath;
  const plugins = join(setting.env.PULUMI_HOME || join(setting.env.HOME ?? "/root", ".pulumi"), "plugins");
  const prefix = `resource-${tool.slice("pulumi-resource-".length)}-v`;
  const folder = list(plugins).find((name) => name.startsWith(prefix) && exists(join(plugins, name, tool)));
  return folder === undefined ? undefined : join(plugins, folder, tool);
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** FC_FORCE_TOOLCHAIN: 1 builds ours even beside the user's own tools. */
function forceToolchain(setting: Setting): boolean {
  const force = setting.env.FC_FORCE_TOOLCHAIN ?? "0";
  if (force !== "0" && force !== "1" && force !== "")
    throw new SetupError(`FC_FORCE_TOOLCHAIN is '${force}'; allowed: 1 (build even when you have your own) or 0/unset`);
  return force === "1";
}

type GoEnv = Readonly<Record<string, string>>;

interface GoTool {
  readonly tool: Tool;
  readonly wrapper: string;
  readonly pin: GoPin;
  /** The main package to build, from inside the wrapper module. */
  readonly packagePath: string;
  /** The version variable stamped with -X, and its value. */
  readonly versionVariable: string;
  readonly versionValue: string;
  readonly tags: string;
  /** Generates what the main package embeds, in the build copy of the wrapper (its commands go to the log). */
  readonly generate?: (context: BuildContext, buildDir: string, ldflags: string, env: GoEnv) => Promise<void>;
}

function goTools(setting: Setting): GoTool[] {
  const { pulumi } = setting.versions;
  const sdkVersionVariable = "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version";
  const kubernetesWrapper = "setup/recipes/toolchain/kubernetes";
  const dockerWrapper = "setup/recipes/toolchain/docker";
  return [
    {
      tool: "pulumi",
      wrapper: "setup/recipes/toolchain/pulumi",
      pin: pulumi.cli,
      packagePath: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
      versionVariable: sdkVersionVariable,
      versionValue: pulumi.cli.version,
      tags: "",
    },
    {
      tool: "pulumi-language-nodejs",
      wrapper: "setup/recipes/toolchain/language-nodejs",
      pin: pulumi.languageNodejs,
      packagePath: "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs",
      versionVariable: sdkVersionVariable,
      versionValue: pulumi.languageNodejs.version,
      tags: "",
    },
    {
      tool: "pulumi-resource-kubernetes",
      wrapper: kubernetesWrapper,
      pin: GO_WRAPPER_PINS[kubernetesWrapper]!,
      packagePath: ".",
      versionVariable: "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version",
      versionValue: pulumi.kubernetesProvider.release,
      tags: "",
      // The provider embeds a schema its own generate.go writes; the module zip has only its inputs, so they are
      // copied beside our main package and generate.go runs there.
      generate: async (context, buildDir, _ldflags, env) => {
        const module = pulumi.kubernetesProvider.module;
        await context.run("go", ["mod", "download", module], { cwd: buildDir, env });
        const moduleDir = (await context.capture("go", ["list", "-m", "-f", "{{.Dir}}", module], { cwd: buildDir, env })).trim();
        const command = join(moduleDir, "cmd", "pulumi-resource-kubernetes");
        for (const file of ["schema.json", "terraform-mapping.json"]) {
          copyFileSync(join(command, file), join(buildDir, file));
          chmodSync(join(buildDir, file), 0o644);
        }
        await context.run("go", ["run", join(command, "generate.go")], {
          cwd: buildDir,
          env: { ...env, VERSION: pulumi.kubernetesProvider.release },
        });
      },
    },
    {
      tool: "pulumi-resource-docker",
      wrapper: dockerWrapper,
      pin: GO_WRAPPER_PINS[dockerWrapper]!,
      packagePath: "./cmd/pulumi-resource-docker",
      versionVariable: "flink-checkpointer/toolchain/docker/bridge.Version",
      versionValue: pulumi.dockerProvider.versionStamp,
      // no_compose: leaves out the Terraform provider's docker_compose resource and its dependencies.
      tags: "no_compose",
      // The bridge imports the Terraform provider through a shim that has to live inside that provider's module (it
      // imports an internal package): a build copy of the module (the wrapper's replace points at ./upstream) gets
      // _shim as its package shim. Then the schema generator is built and writes the schema the provider embeds.
      generate: async (context, buildDir, ldflags, env) => {
        const { terraformProviderModule, terraformProviderVersion } = pulumi.dockerProvider;
        const moduleDir = await goModuleDir(context, terraformProviderModule, terraformProviderVersion, join(buildDir, ".."));
        const upstream = join(buildDir, "upstream");
        cpSync(moduleDir, upstream, { recursive: true });
        await context.run("chmod", ["-R", "u+w", upstream]);
        mkdirSync(join(upstream, "shim"));
        copyFileSync(join(buildDir, "_shim", "shim.go"), join(upstream, "shim", "shim.go"));
        await context.run(
          "go",
          [
            "build",
            "-v",
            "-tags",
            "no_compose",
            "-trimpath",
            "-ldflags",
            ldflags,
            "-o",
            "pulumi-tfgen-docker",
            "./cmd/pulumi-tfgen-docker",
          ],
          {
            cwd: buildDir,
            env,
          },
        );
        // Documentation is left out: turning its Terraform examples into Pulumi ones needs a pulumi CLI.
        await context.run("./pulumi-tfgen-docker", ["schema", "--skip-docs", "--skip-examples", "--out", "cmd/pulumi-resource-docker"], {
          cwd: buildDir,
        });
      },
    },
  ];
}

function goToolPiece(setting: Setting, spec: GoTool): Piece {
  const bin = toolchainBin(setting);
  const buildRoot = join(setting.cache, "toolchain", "build");
  const ldflags = `-s -w -X ${spec.versionVariable}=${spec.versionValue}`;
  const wrapperDir = join(setting.repo, spec.wrapper);
  return {
    name: `toolchain/${spec.tool}`,
    resource: "cpu",
    from: `${spec.pin.module}@${spec.pin.version}`,
    inputs: () => ({
      module: `${spec.pin.module}@${spec.pin.version}`,
      ldflags,
      tags: spec.tags,
      package: spec.packagePath,
      go: goVersion(),
      goflags: goFlagsWithModMod(),
      wrapper: treeHash(wrapperDir),
    }),
    outputs: () => [join(bin, spec.tool)],
    build: async (context) => {
      checkPin(context, setting, spec.wrapper, spec.pin);
      const buildDir = join(buildRoot, spec.tool);
      rmSync(buildDir, { recursive: true, force: true });
      mkdirSync(buildRoot, { recursive: true });
      cpSync(wrapperDir, buildDir, { recursive: true });
      const env = { GOFLAGS: goFlagsWithModMod() };
      if (spec.generate) await spec.generate(context, buildDir, ldflags, env);
      const tagArgs = spec.tags === "" ? [] : ["-tags", spec.tags];
      await context.run(
        "go",
        ["build", "-v", ...tagArgs, "-trimpath", "-ldflags", ldflags, "-o", join(buildDir, spec.tool), spec.packagePath],
        {
          cwd: buildDir,
          env,
        },
      );
      installExecutable(join(buildDir, spec.tool), join(bin, spec.tool));
      // The copies and generated files are large; the Go caches make them quick to redo.
      rmSync(buildDir, { recursive: true, force: true });
    },
  };
}

/** Pulumi's host of dynamic providers (the kind target loads its images with one): a script of the SDK module. */
function dynamicProviderHostPiece(setting: Setting): Piece {
  const name = "pulumi-resource-pulumi-nodejs";
  const { module, version } = setting.versions.pulumi.languageNodejs;
  return {
    name: `toolchain/${name}`,
    resource: "io",
    from: `${module}@${version} (nodejs/dist/${name})`,
    inputs: () => ({ module: `${module}@${version}` }),
    outputs: () => [join(toolchainBin(setting), name)],
    build: async (context) => {
      mkdirSync(join(setting.cache, "toolchain", "build"), { recursive: true });
      const moduleDir = await goModuleDir(context, module, version, join(setting.cache, "toolchain", "build"));
      const script = join(moduleDir, "nodejs", "dist", name);
      if (!existsSync(script)) throw new Error(`${module}@${version} has no nodejs/dist/${name}`);
      installExecutable(script, join(toolchainBin(setting), name));
    },
  };
}

export function toolchainGroup(setting: Setting): Group {
  const force = forceToolchain(setting);
  const notes: string[] = [];
  const wanted = goTools(setting).filter((spec) => {
    const own = force ? undefined : ownTool(spec.tool, setting);
    if (own !== undefined) notes.push(`toolchain/${spec.tool}: using yours at ${own}; not building`);
    return own === undefined;
  });
  if (wanted.length === 0) {
    notes.push("toolchain: your own Pulumi CLI and providers are used; nothing to build (FC_FORCE_TOOLCHAIN=1 builds ours)");
    return { pieces: [], targets: [], notes };
  }
  if (!commandExists("go"))
    throw new SetupError(
      "Go is missing, and it builds the Pulumi CLI and providers here: install Go >= 1.26.6 (or the Pulumi CLI, " +
        "pulumi-language-nodejs and the docker and kubernetes providers yourself) and run again",
    );
  const pieces = [...wanted.map((spec) => goToolPiece(setting, spec)), dynamicProviderHostPiece(setting)];
  return { pieces, targets: pieces.map((piece) => piece.name), notes };
}

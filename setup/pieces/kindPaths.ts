// Where the kind group keeps what it builds, under $FC_CACHE/kind (the same places the bash setup used).

import { join } from "node:path";
import type { Setting } from "../group";

export const kindDir = (setting: Setting): string => join(setting.cache, "kind");
export const kindBin = (setting: Setting): string => join(kindDir(setting), "bin");
export const kindOut = (setting: Setting, ...parts: string[]): string => join(kindDir(setting), "out", ...parts);
export const kindWork = (setting: Setting, ...parts: string[]): string => join(kindDir(setting), "work", ...parts);
export const kindEnvFile = (setting: Setting): string => join(kindDir(setting), "env");
export const containersConf = (setting: Setting): string => join(kindDir(setting), "containers.conf");
export const nodeImageName = (setting: Setting): string =>
  `localhost/flink-checkpointer-local/kind-node:${setting.versions.kind.kubernetes.version}`;

// Where the repository is: the Pulumi project (Pulumi.yaml), jobs/ and scripts/ are found from here, never from the
// working folder (Pulumi runs the program in infra/, npm in the root, a test wherever).

import { resolve } from "node:path";

export const REPO_ROOT = resolve(__dirname, "..");

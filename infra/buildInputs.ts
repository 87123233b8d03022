import * as fs from "fs";
import * as path from "path";
import { StackConfig } from "./config";

/** Repository root, where jobs/ lives (this file is in infra/). */
export const REPO_ROOT = path.resolve(__dirname, "..");
export const FLINK_JOB_CONTEXT = path.join(REPO_ROOT, "jobs", "flink");
export const GENERATOR_CONTEXT = path.join(REPO_ROOT, "jobs", "generator");

/** File name of the Kafka connector jar that the job image needs for this Flink release. */
export function connectorJarName(cfg: StackConfig): string {
    return `flink-sql-connector-kafka-${cfg.flink.kafkaConnectorVersion}.jar`;
}

/**
 * What is missing from the image build inputs, as messages saying how to fix it. Pure: takes the listing of the
 * job context's lib/ folder and whether the CA file exists.
 */
export function buildInputProblems(cfg: StackConfig, libFiles: readonly string[], caFileExists: boolean): string[] {
    const problems: string[] = [];
    const jar = connectorJarName(cfg);
    if (!libFiles.includes(jar)) {
        problems.push(`jobs/flink/lib/${jar} is missing: run scripts/fetch-connector-jars.sh ` +
            `(it downloads the connector with Maven; npm run up does it for you)`);
    }
    if (cfg.extraCaCertsFile !== undefined && !caFileExists) {
        problems.push(`flink-checkpointer:extraCaCertsFile: "${cfg.extraCaCertsFile}" does not exist; ` +
            "give the path of a PEM file or unset the key");
    }
    return problems;
}

/** Checks the build inputs on disk and returns the extra CA certificates (PEM text) to build with, if any. */
export function readBuildInputs(cfg: StackConfig): { extraCaCerts?: string } {
    const libDir = path.join(FLINK_JOB_CONTEXT, "lib");
    const libFiles = fs.existsSync(libDir) ? fs.readdirSync(libDir) : [];
    const caFileExists = cfg.extraCaCertsFile !== undefined && fs.existsSync(cfg.extraCaCertsFile);
    const problems = buildInputProblems(cfg, libFiles, caFileExists);
    if (problems.length > 0) throw new Error(`cannot build the stack's images:\n  - ${problems.join("\n  - ")}`);
    return caFileExists ? { extraCaCerts: fs.readFileSync(cfg.extraCaCertsFile as string, "utf8") } : {};
}

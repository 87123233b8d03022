import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { JOB_DEFAULTS, JOB_FLAGS, type JobSettings, jobArguments, programArguments } from "./settings";

/** Every option of the job's own argument parser (visits_logic.job_argument_parser): its flag, its dest and its default. */
function pythonOptions(): { flag: string; dest: string; default: unknown }[] {
  const script = [
    "import json, visits_logic",
    "actions = [a for a in visits_logic.job_argument_parser()._actions if a.option_strings and a.dest != 'help']",
    "print(json.dumps([{'flag': a.option_strings[0], 'dest': a.dest, 'default': a.default} for a in actions]))",
  ].join("\n");
  return JSON.parse(execFileSync("python3", ["-c", script], { cwd: __dirname, encoding: "utf8" }));
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe("the job's settings", () => {
  const options = pythonOptions();

  it("have exactly the flags of the job's own parser, each for the setting of that name", () => {
    expect(Object.values(JOB_FLAGS).sort()).toEqual(options.map((o) => o.flag).sort());
    for (const [key, flag] of Object.entries(JOB_FLAGS)) {
      expect(options.find((o) => o.flag === flag)?.dest, flag).toBe(snake(key));
    }
  });

  it("default as the job does", () => {
    for (const [key, flag] of Object.entries(JOB_FLAGS)) {
      expect(JOB_DEFAULTS[key as keyof JobSettings], flag).toEqual(options.find((o) => o.flag === flag)?.default);
    }
  });

  it("render every setting, changed fields included, and the script first for the PythonDriver", () => {
    const args = jobArguments({ ...JOB_DEFAULTS, parallelism: 1, windowSeconds: 30 });
    expect(args).toHaveLength(2 * Object.keys(JOB_FLAGS).length);
    expect(args.slice(args.indexOf("--parallelism"), args.indexOf("--parallelism") + 2)).toEqual(["--parallelism", "1"]);
    expect(args.slice(args.indexOf("--window-seconds"), args.indexOf("--window-seconds") + 2)).toEqual(["--window-seconds", "30"]);
    expect(args.slice(args.indexOf("--retain-on-cancellation"), args.indexOf("--retain-on-cancellation") + 2)).toEqual([
      "--retain-on-cancellation",
      "true",
    ]);
    expect(programArguments(JOB_DEFAULTS).slice(0, 2)).toEqual(["-py", "/opt/flink/usrlib/jobs/visit_windows_job.py"]);
  });

  it("render a command line the job's parser reads back to the same settings", () => {
    const settings: JobSettings = { ...JOB_DEFAULTS, checkpointMode: "AT_LEAST_ONCE", retainOnCancellation: false, sourceParallelism: 2 };
    const script = "import json, sys, visits_logic\nprint(json.dumps(vars(visits_logic.job_argument_parser().parse_args(sys.argv[1:]))))";
    const parsed = JSON.parse(execFileSync("python3", ["-c", script, ...jobArguments(settings)], { cwd: __dirname, encoding: "utf8" }));
    for (const [key, value] of Object.entries(settings)) expect(parsed[snake(key)], key).toEqual(value);
  });
});

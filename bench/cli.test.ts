import { describe, it } from "vitest";
import { isPath, isStackName } from "../lib/args";
import { argumentLists, assertArgumentsParseOrAreRefused } from "../lib/argumentsProperty";
import { type BenchArguments, BenchUsageError, parseBenchArguments } from "./cli";
import { RECOVERY_VARIANTS } from "./recovery";

const valid = (parsed: BenchArguments | "help"): boolean =>
  parsed === "help" ||
  ((parsed.recovery || parsed.throughput || parsed.latency || parsed.backlog || parsed.state) &&
    !(parsed.smoke && parsed.recovery) &&
    isStackName(parsed.stack) &&
    isPath(parsed.reports) &&
    Number.isInteger(parsed.runs) &&
    parsed.runs >= 1 &&
    parsed.runs <= 20 &&
    (parsed.backlogEvents === null ||
      (Number.isInteger(parsed.backlogEvents) && parsed.backlogEvents >= 1_000 && parsed.backlogEvents <= 2_000_000)) &&
    (parsed.settings === null ||
      (parsed.settings.length > 0 && parsed.settings.every((suffix) => RECOVERY_VARIANTS.some((v) => v.suffix === suffix)))));

describe("parseBenchArguments on arbitrary command lines", () => {
  it("returns valid arguments or throws its BenchUsageError, never anything else", () => {
    const words = [
      "--recovery",
      "--throughput",
      "--latency",
      "--backlog",
      "--state",
      "--smoke",
      "--stack",
      "--runs",
      "--settings",
      "--reports",
      "--backlog-events",
      "--help",
      "all",
      ...RECOVERY_VARIANTS.map((v) => v.suffix),
    ];
    assertArgumentsParseOrAreRefused(argumentLists(words), parseBenchArguments, BenchUsageError, valid);
  });
});

import { describe, expect, it } from "vitest";
import { argumentLists, assertArgumentsParseOrAreRefused } from "../../lib/argumentsProperty";
import { parseReportCheckArguments, ReportCheckUsageError } from "./reportCheck";

describe("npm run report-check arguments", () => {
  it("takes report pages and plots, in order", () => {
    expect(parseReportCheckArguments(["reports/faults.html", "reports/bench/recovery.svg"])).toEqual({
      help: false,
      paths: ["reports/faults.html", "reports/bench/recovery.svg"],
    });
    expect(parseReportCheckArguments(["--help"])).toEqual({ help: true });
  });

  it("names each argument that is neither, and an option it does not know", () => {
    expect(() => parseReportCheckArguments([])).toThrow(
      "no page or plot named; allowed: one or more of an HTML report page (.html) or a plot (.svg), such as reports/faults.html",
    );
    expect(() => parseReportCheckArguments(["reports/faults.json", "--fast", "ok.svg"])).toThrow(
      [
        '<page or plot> "reports/faults.json" is not allowed: an HTML report page (.html) or a plot (.svg), such as reports/faults.html',
        'unknown option "--fast"; allowed: --help, and the pages and plots to check',
      ].join("\n"),
    );
  });

  it("returns pages and plots or throws its ReportCheckUsageError on arbitrary command lines, never anything else", () => {
    assertArgumentsParseOrAreRefused(
      argumentLists(["--help", "-h", "--fast", "reports/faults.html", "plot.svg"]),
      parseReportCheckArguments,
      ReportCheckUsageError,
      (parsed) => parsed.help || (parsed.paths.length > 0 && parsed.paths.every((path) => /\.(html|svg)$/i.test(path))),
    );
  });
});

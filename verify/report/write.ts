// Writing the reports: JSON, with its HTML page beside it.

import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { htmlPathOf, renderFaultHtml } from "./html";
import type { VerifyReport } from "./model";

export const DEFAULT_REPORT_PATH = "reports/verify-latest.json";

/** Writes the JSON report to `path` and its HTML page beside it. */
export async function writeReport(path: string, report: VerifyReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(htmlPathOf(path), renderFaultHtml(report));
}

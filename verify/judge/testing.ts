// Inputs the judging's tests share: visits and firings of two windows, and the output judged from them.

import { JOB_DEFAULTS } from "../../jobs/flink/settings";
import { judgeOutput, type OutputJudgement, type OutputJudgementInput, windowModelOf } from "./output";
import { type Firing, type Visit, windowStartOf } from "./records";

/** The windows of the job's defaults: 45 s, a firing every 4 visits. */
export const MODEL = windowModelOf(JOB_DEFAULTS);
export const SIZE = MODEL.windowSizeMs;
export const W0 = windowStartOf(Date.UTC(2024, 4, 1, 10, 0, 0), SIZE);

// The generator produces each visit at its event time unless a test says otherwise.
export const visit = (partition: number, offset: number, visitId: string, second: number, producedAtSecond = second): Visit => ({
  partition,
  offset,
  producedAtMs: W0 + producedAtSecond * 1000,
  visitId,
  eventTimeMs: W0 + second * 1000,
});
export const firing = (partition: number, offset: number, visitId: string, count: number, window = 0): Firing => ({
  partition,
  offset,
  visitId,
  windowStartMs: W0 + window * SIZE,
  windowEndMs: W0 + (window + 1) * SIZE,
  count,
});

// "a": 9 visits of window 0 on partition 0 (offsets 0..8) → firings 4 and 8;
// "b": 4 visits of window 0 on partition 1 (offsets 0..3) → firing 4.
export const visits: Visit[] = [
  ...Array.from({ length: 9 }, (_, i) => visit(0, i, "a", i)),
  ...Array.from({ length: 4 }, (_, i) => visit(1, i, "b", i)),
];
export const all = { 0: 9, 1: 4 };
export const nothing = {};

export function judge(firings: Firing[], overrides: Partial<OutputJudgementInput> = {}): OutputJudgement {
  return judgeOutput({
    mode: "EXACTLY_ONCE",
    visits,
    firings,
    consumed: all,
    checkpointed: nothing,
    outputEndAtFault: nothing,
    model: MODEL,
    ...overrides,
  });
}

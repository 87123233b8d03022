import type { CheckpointMode } from "../../infra/contract";
import type { Check } from "./check";

/**
 * Bad input never stops the job and loses nothing: every malformed record written after the fault is in the
 * dead-letter topic (read read_committed: exactly once in EXACTLY_ONCE mode, at least once otherwise), and the
 * restored job that read them is still RUNNING.
 */
export function judgeDeadLetters(
  mode: CheckpointMode,
  sent: readonly string[],
  deadLetterRaws: readonly (string | undefined)[],
  jobStateAtEnd: string,
): Check {
  const count = (values: readonly (string | undefined)[]) => {
    const counts = new Map<string, number>();
    for (const v of values) if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
    return counts;
  };
  // A value sent k times (empty values carry no marker) must be there k times.
  const wanted = count(sent);
  const copies = count(deadLetterRaws);
  let absent = 0;
  let repeated = 0;
  for (const [raw, k] of wanted) {
    const got = copies.get(raw) ?? 0;
    absent += Math.max(0, k - got);
    repeated += Math.max(0, got - k);
  }
  const ok = jobStateAtEnd === "RUNNING" && absent === 0 && (mode === "AT_LEAST_ONCE" || repeated === 0);
  return {
    name: "malformedInputDeadLettered",
    ok,
    detail:
      `${sent.length} malformed records written after the fault: ${sent.length - absent} in the dead-letter topic, ${absent} absent, ` +
      `${repeated} extra copies${mode === "AT_LEAST_ONCE" && repeated > 0 ? " (allowed in AT_LEAST_ONCE)" : ""}; the recovered job is ${jobStateAtEnd} at the end`,
  };
}

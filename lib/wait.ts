// Waiting with progress: say what is awaited and for how long, then report now and then while waiting.

export type Log = (line: string) => void;

export class WaitTimeout extends Error {}

/** What a probe saw: the awaited value, or a status line for the progress output. */
export type Probe<T> = { done: true; value: T } | { done: false; status: string };

export interface WaitOptions {
  pollMs?: number;
  /** How often a "still waiting" line is printed. */
  reportEveryMs?: number;
  /** Appended to the timeout error: what to do about it. */
  next?: string;
}

export const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<Probe<T>>,
  log: Log,
  options: WaitOptions = {},
): Promise<T> {
  const pollMs = options.pollMs ?? 1_000;
  const reportEveryMs = options.reportEveryMs ?? 10_000;
  const started = Date.now();
  let lastReport = started;
  let status = "";
  log(`… waiting for ${what} (up to ${seconds(timeoutMs)})`);
  for (;;) {
    const seen = await probe();
    // `in`, not `done`: Pulumi compiles the program's modules without strictNullChecks, which narrows no boolean.
    if (!("status" in seen)) return seen.value;
    status = seen.status;
    const now = Date.now();
    if (now - started >= timeoutMs) {
      throw new WaitTimeout(
        `timed out after ${seconds(now - started)} waiting for ${what}; last seen: ${status}.${options.next ? ` Next: ${options.next}` : ""}`,
      );
    }
    if (now - lastReport >= reportEveryMs) {
      log(`… still waiting for ${what}: ${seconds(now - started)} of ${seconds(timeoutMs)} (${status})`);
      lastReport = now;
    }
    await sleep(Math.min(pollMs, Math.max(0, timeoutMs - (now - started))));
  }
}

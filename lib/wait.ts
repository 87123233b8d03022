// Waiting with progress: say what is awaited and for how long, then report now and then while waiting.

export type Log = (line: string) => void;

export class WaitTimeout extends Error {}

/**
 * An error that says "not yet" rather than "never": a server that is unreachable for a moment or answers 5xx (a
 * JobManager restarting, electing its leader, or failing a statistics handler). A wait goes on past it.
 */
export interface TransientError extends Error {
  readonly transient: true;
}

export const isTransient = (error: unknown): error is TransientError =>
  error instanceof Error && (error as Partial<TransientError>).transient === true;

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

/** How often a wait or a pause says it is still at it: below 10 s, so no step is silent longer, whatever a probe takes. */
export const REPORT_EVERY_MS = 9_000;

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<Probe<T>>,
  log: Log,
  options: WaitOptions = {},
): Promise<T> {
  const pollMs = options.pollMs ?? 1_000;
  const started = Date.now();
  let status = "waiting for the first answer";
  let lastError = "";
  log(`… waiting for ${what} (up to ${seconds(timeoutMs)})`);
  // A timer, not the poll loop, says "still waiting": a probe that takes long (a Kafka read, a slow REST answer) must not
  // make the wait silent.
  const reporter = setInterval(
    () => log(`… still waiting for ${what}: ${seconds(Date.now() - started)} of ${seconds(timeoutMs)} (${status})`),
    options.reportEveryMs ?? REPORT_EVERY_MS,
  );
  try {
    for (;;) {
      let seen: Probe<T>;
      try {
        seen = await probe();
      } catch (error) {
        // One failed probe is not the end of the wait: only the deadline is. Other errors mean "never".
        if (!isTransient(error)) throw error;
        lastError = error.message;
        seen = { done: false, status: `the probe failed: ${lastError}` };
      }
      // `in`, not `done`: Pulumi compiles the program's modules without strictNullChecks, which narrows no boolean.
      if (!("status" in seen)) return seen.value;
      status = seen.status;
      const now = Date.now();
      if (now - started >= timeoutMs) {
        const error = lastError && !status.includes(lastError) ? `; last error: ${lastError}` : "";
        throw new WaitTimeout(
          `timed out after ${seconds(now - started)} waiting for ${what}; last seen: ${status}${error}.${options.next ? ` Next: ${options.next}` : ""}`,
        );
      }
      await sleep(Math.min(pollMs, Math.max(0, timeoutMs - (now - started))));
    }
  } finally {
    clearInterval(reporter);
  }
}

/** `work` awaited with a line at least every REPORT_EVERY_MS while it is still out (a JVM, a long read): never silent. */
export async function reporting<T>(what: string, work: Promise<T>, log: Log): Promise<T> {
  const started = Date.now();
  const reporter = setInterval(() => log(`… still ${what}: ${seconds(Date.now() - started)}`), REPORT_EVERY_MS);
  try {
    return await work;
  } finally {
    clearInterval(reporter);
  }
}

/** A deliberate pause that says what it waits for, and again at least every REPORT_EVERY_MS while it lasts. */
export async function pause(what: string, ms: number, log: Log): Promise<void> {
  log(`      ${what} for ${seconds(ms)}`);
  const started = Date.now();
  const reporter = setInterval(() => log(`      … ${what}: ${seconds(Date.now() - started)} of ${seconds(ms)}`), REPORT_EVERY_MS);
  try {
    await sleep(ms);
  } finally {
    clearInterval(reporter);
  }
}

/**
 * `action`, made again after each transient failure until `timeoutMs` has passed since the first try; then a
 * WaitTimeout naming `what`, how long it was retried and the last failure. Other errors end it at once.
 */
export async function retryTransient<T>(what: string, timeoutMs: number, action: () => Promise<T>, pollMs = 1_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await action();
    } catch (error) {
      if (!isTransient(error)) throw error;
      const elapsed = Date.now() - started;
      if (elapsed >= timeoutMs)
        throw new WaitTimeout(`${what} still failed after ${seconds(elapsed)} of retries; last error: ${error.message}`);
      await sleep(Math.min(pollMs, timeoutMs - elapsed));
    }
  }
}

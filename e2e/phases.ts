// The end-to-end run's phases: each named as it starts, timed, and listed at the end with how it ended.

export type Log = (line: string) => void;

export interface PhaseResult {
  readonly name: string;
  readonly seconds: number;
  readonly ok: boolean;
  readonly error?: string;
}

export class Phases {
  readonly results: PhaseResult[] = [];

  constructor(private readonly log: Log) {}

  /** Runs a phase; a failure is recorded and thrown on, so the caller's teardown still runs. */
  async run<T>(name: string, action: () => Promise<T>): Promise<T> {
    this.log(`=== e2e: ${name}`);
    const started = Date.now();
    try {
      const value = await action();
      this.results.push({ name, seconds: Math.round((Date.now() - started) / 1000), ok: true });
      return value;
    } catch (error) {
      const message = (error as Error).message;
      this.results.push({ name, seconds: Math.round((Date.now() - started) / 1000), ok: false, error: message });
      this.log(`e2e: ${name} FAILED: ${message}`);
      throw error;
    }
  }

  get ok(): boolean {
    return this.results.every((r) => r.ok);
  }
}

/** The table of phases: name, seconds, and how each ended. */
export function phaseSummary(results: readonly PhaseResult[]): string {
  const width = Math.max(10, ...results.map((r) => r.name.length));
  return results.map((r) => `${r.name.padEnd(width)} ${String(r.seconds).padStart(5)} s  ${r.ok ? "ok" : "FAILED"}`).join("\n");
}

/** A check of the run that failed: its message says what was expected and where to look. */
export class E2eCheckFailed extends Error {}

/** Throws E2eCheckFailed with `message` unless `holds`. */
export function expectThat(holds: boolean, message: string): void {
  if (!holds) throw new E2eCheckFailed(message);
}

/**
 * Virtual time for concurrency tests: `sleep` parks a timer; `run` advances the clock to the
 * earliest timer whenever every caller is blocked, so minutes pass in milliseconds. A sleep
 * whose signal aborts leaves at once, like the real one, and its timer is dropped.
 */
export class VirtualTime {
  now = 0;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  readonly nowFn = (): number => this.now;
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const timer = {
        at: this.now + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(abortError(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.timers.push(timer);
    });

  /** Timers still waiting (a leak check: nothing should be left once the work is over). */
  get pending(): number {
    return this.timers.length;
  }

  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const settled = work.finally(() => {
      done = true;
    });
    while (!done) {
      await new Promise((r) => setImmediate(r));
      if (done) break;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) continue;
      this.now = Math.max(this.now, next.at);
      next.resolve();
    }
    return settled;
  }

  /** Advances the clock to `t`, firing every timer due by then (for tests that act mid-way). */
  async advanceTo(t: number): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > t) break;
      this.timers.shift();
      this.now = Math.max(this.now, next.at);
      next.resolve();
    }
    this.now = Math.max(this.now, t);
    await new Promise((r) => setImmediate(r));
  }
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error
    ? reason
    : new DOMException("The operation was aborted.", "AbortError");
}

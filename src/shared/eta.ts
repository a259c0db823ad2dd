/** Time left for long work, from how fast it went since it started. */

/**
 * Tracks done/total over time: `eta()` is the seconds left at the rate seen since the first
 * call (undefined until something was done or when the total is unknown).
 */
export function etaTracker(now: () => number = Date.now) {
  let start: { at: number; done: number } | undefined;
  return {
    eta(done: number, total: number | undefined): number | undefined {
      const at = now();
      start ??= { at, done };
      if (total === undefined || done <= start.done || at <= start.at) return undefined;
      const perMs = (done - start.done) / (at - start.at);
      return Math.max(0, Math.round((total - done) / perMs / 1000));
    },
  };
}

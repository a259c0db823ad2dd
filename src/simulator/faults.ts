import type { FaultOptions } from "./options.ts";
import { validateFaults } from "./options.ts";
import { createRng } from "./prng.ts";
import type { Rng } from "./prng.ts";

/** Seeded fault dice; replaced wholesale by `setFaults`. */
export class Faults {
  readonly options: FaultOptions;
  private readonly rng: Rng;
  private readonly alwaysFail: ReadonlySet<string>;

  constructor(options: FaultOptions = {}) {
    this.options = validateFaults({ ...options });
    this.rng = createRng(`faults:${options.seed ?? "faults"}`);
    this.alwaysFail = new Set(options.alwaysFailAccountIds ?? []);
  }

  /** Extra latency for this request in real ms (0 when off). */
  latency(): number {
    const l = this.options.latencyMs;
    if (l === undefined) return 0;
    if (typeof l === "number") return Math.max(0, l);
    return Math.max(0, l[0] + this.rng.next() * (l[1] - l[0]));
  }

  /** A status to fail with at random, or undefined. */
  randomError(): number | undefined {
    const rate = this.options.errorRate ?? 0;
    if (rate <= 0 || !this.rng.chance(rate)) return undefined;
    return this.rng.pick(
      this.options.statuses?.length ? this.options.statuses : [500, 502, 503, 504],
    );
  }

  /** Whether a request that carries a cursor should be told the cursor is stale. */
  staleCursor(): boolean {
    const rate = this.options.staleCursorRate ?? 0;
    return rate > 0 && this.rng.chance(rate);
  }

  failsUser(accountId: string | undefined): boolean {
    return accountId !== undefined && this.alwaysFail.has(accountId);
  }

  get html(): boolean {
    return this.options.htmlErrorBodies ?? false;
  }

  get lagMs(): number {
    return Math.max(0, this.options.readAfterWriteLagMs ?? 0);
  }
}

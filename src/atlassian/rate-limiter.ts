import type { Now, Sleep } from "./clock.ts";
import { abortReason } from "./clock.ts";

/** State of one pacing budget (one org's share of one rate limit). */
export interface BudgetStats {
  /** Configured ceiling, requests per minute. */
  limitPerMinute: number;
  /** HTTP attempts sent through this budget (retries included). */
  requests: number;
  /** 429 responses received. */
  rateLimited: number;
  inFlight: number;
  /** Callers waiting for a concurrency or pacing slot. */
  queued: number;
  /** Current pacing as a fraction of the target (drops after 429s, recovers on success). */
  pace: number;
  /** Epoch ms until which every caller is held (a 429 or `X-RateLimit-Remaining: 0`); 0 when not paused. */
  pausedUntil: number;
}

export interface LimiterOptions {
  limitPerMinute: number;
  maxConcurrency: number;
  /** Fraction of the ceiling to aim for; a little headroom absorbs network jitter. */
  targetUtilisation: number;
  now: Now;
  sleep: Sleep;
}

/** What one caller is willing to wait for. */
export interface AcquireOptions {
  signal?: AbortSignal | undefined;
  /** Longest server-ordered pause (429, remaining 0) this caller sits out; a longer one refuses it at once. */
  maxPauseMs: number;
  /** Epoch ms: a caller whose turn would come after this is refused at once. */
  deadlineAt?: number | undefined;
}

/**
 * Thrown by `acquire` instead of waiting when the wait would exceed what the caller accepts.
 * `reason` says which limit: the server's pause, or the caller's deadline.
 */
export class LimiterRefusal extends Error {
  constructor(
    readonly reason: "pause" | "deadline",
    /** How long the caller would have had to wait from now, ms. */
    readonly waitMs: number,
  ) {
    super(`rate limiter refused a wait of ${Math.ceil(waitMs)} ms (${reason})`);
    this.name = "LimiterRefusal";
  }
}

/** How far ahead an `X-RateLimit-Reset` may lie and still be trusted (the documented period is a minute). */
const MAX_TRUSTED_RESET_MS = 65_000;

/**
 * Turns a late timer may make up at once (see `serve`). At 0.97 of a 200-per-window ceiling
 * the schedule leaves 6 requests of headroom in any window; making up 3 keeps half of it for
 * jitter, and recovers the turns a short stall of the event loop (an embedded database's
 * commit) would otherwise lose when the limit is scaled up in tests and benchmarks.
 */
const MAX_CATCH_UP = 3;

/**
 * Requests of the server's stated room left unspent (see `roomAt`): one, for a server that
 * counts the request it is answering differently from the simulator and Atlassian's docs.
 */
const ROOM_MARGIN = 1;

interface Waiter {
  opts: AcquireOptions;
  grant: () => void;
  refuse: (e: Error) => void;
}

/**
 * Paces one budget — an org's share of one rate limit — to its ceiling and bounds its
 * concurrency. Shared by every caller of one client.
 *
 * While the server has said how many more requests its current window takes
 * (`X-RateLimit-Remaining` before `X-RateLimit-Reset`), that room is spent at once, as the
 * server allows, and nothing more is sent until the reset; what it has not answered yet is
 * counted against the room (see `roomAt`), so this never runs into a 429 from the server's
 * own count. Without that word (the first requests, a server that sends no such headers,
 * after a 429) pacing is a GCRA: request starts are spaced `interval` apart, so they never
 * bunch up, even after a stall. Callers wait in one FIFO queue served by a single timer, so
 * a caller that gives up (abort, deadline) leaves nothing behind: no reserved slot delays
 * the callers after it, and no timer keeps the process alive once the queue is empty. It
 * adapts to the server: a 429 pauses every caller until the server's wait is over and slows
 * the pace by 15% (recovering 2% per success); `X-RateLimit-Remaining: 0` pauses everyone
 * until `X-RateLimit-Reset`. A caller is never made to sit out a pause longer than it
 * accepts: it is refused at once (`LimiterRefusal`), so nobody waits and then fails.
 */
export class RateLimiter {
  private readonly opts: LimiterOptions;
  private nextAt = 0;
  private pausedUntil = 0;
  private pace = 1;
  private inFlight = 0;
  private readonly slotWaiters: Waiter[] = [];
  private readonly paceWaiters: Waiter[] = [];
  private pumping = false;
  /** When the pacing queue last went from empty to busy: turns are never scheduled before it. */
  private busyFrom = 0;
  private wake: AbortController | undefined;
  private counts = { requests: 0, rateLimited: 0 };
  /**
   * Requests granted a turn whose answer is not in yet (`inFlight` also counts those still
   * waiting for a turn).
   */
  private sent = 0;
  /**
   * The server's word on its current window: the lowest `X-RateLimit-Remaining` it answered
   * with before `resetAt` (an answer that overtook a later one on the way back cannot raise it).
   */
  private window:
    | {
        remaining: number;
        resetAt: number;
        /** What the configured limit allows from when the window was first heard of to its reset. */
        allowance: number;
        /** Turns granted since then. */
        granted: number;
      }
    | undefined;

  constructor(opts: LimiterOptions) {
    this.opts = opts;
  }

  /** Milliseconds between request starts at the current pace. */
  get intervalMs(): number {
    return 60_000 / (this.opts.limitPerMinute * this.opts.targetUtilisation * this.pace);
  }

  /**
   * Waits for a concurrency slot and the next pacing slot. Returns a release function that must
   * be called once the response (or failure) is in. Rejects with the signal's reason on abort,
   * and with LimiterRefusal when the wait would exceed `maxPauseMs` or `deadlineAt`.
   */
  async acquire(opts: AcquireOptions): Promise<() => void> {
    await this.takeConcurrency(opts);
    try {
      await this.takePace(opts);
    } catch (e) {
      this.releaseConcurrency();
      throw e;
    }
    this.counts.requests++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.sent--;
      this.releaseConcurrency();
      this.wake?.abort(); // the room this request held is free again
    };
  }

  /** Feed every response's rate-limit headers back in. */
  observe(
    status: number | undefined,
    remaining: number | undefined,
    resetAt: number | undefined,
  ): void {
    const now = this.opts.now();
    if (status !== undefined && status !== 429 && status < 500)
      this.pace = Math.min(1, this.pace + 0.02);
    if (
      status !== 429 &&
      remaining !== undefined &&
      resetAt !== undefined &&
      resetAt > now &&
      resetAt - now <= MAX_TRUSTED_RESET_MS
    ) {
      const w = this.window;
      if (w === undefined || w.resetAt <= now || resetAt > w.resetAt) {
        const allowance = Math.floor((this.opts.limitPerMinute * (resetAt - now)) / 60_000);
        this.window = { remaining, resetAt, allowance, granted: 0 };
      } else if (resetAt === w.resetAt && remaining < w.remaining) w.remaining = remaining;
      // (an answer about an earlier window, overtaken on the way back, says nothing new)
      if (remaining <= 0) this.pauseUntil(resetAt);
      this.wake?.abort();
    } else if (status !== 429 && this.window) {
      // an answer without the server's count (a network error, a bare 5xx): the request may
      // have been counted, so it is taken off the room
      this.window.remaining--;
    }
  }

  /**
   * A 429 arrived: pause all callers for the server's full `waitMs` and slow down. Waiting
   * callers that will not sit out that long are refused now rather than after the pause.
   */
  rateLimited(waitMs: number): void {
    this.counts.rateLimited++;
    this.window = undefined;
    this.pace = Math.max(0.3, this.pace * 0.85);
    this.pauseUntil(this.opts.now() + waitMs);
  }

  stats(): BudgetStats {
    return {
      limitPerMinute: this.opts.limitPerMinute,
      ...this.counts,
      inFlight: this.inFlight,
      queued: this.slotWaiters.length + this.paceWaiters.length,
      pace: this.pace,
      pausedUntil: this.pausedUntil > this.opts.now() ? this.pausedUntil : 0,
    };
  }

  private pauseUntil(t: number): void {
    if (t <= this.pausedUntil) return;
    this.pausedUntil = t;
    if (this.nextAt < t) this.nextAt = t;
    const now = this.opts.now();
    for (const queue of [this.slotWaiters, this.paceWaiters]) {
      for (const w of [...queue]) {
        const refusal = this.refusal(w.opts, now, t);
        if (refusal) this.drop(queue, w, refusal);
      }
    }
  }

  /** Why this caller must not wait for a turn at `turnAt`, or undefined when it may. */
  private refusal(opts: AcquireOptions, now: number, turnAt: number): LimiterRefusal | undefined {
    if (this.pausedUntil - now > opts.maxPauseMs)
      return new LimiterRefusal("pause", this.pausedUntil - now);
    if (opts.deadlineAt !== undefined && turnAt > opts.deadlineAt)
      return new LimiterRefusal("deadline", turnAt - now);
    return undefined;
  }

  private drop(queue: Waiter[], w: Waiter, e: Error): void {
    const i = queue.indexOf(w);
    if (i >= 0) queue.splice(i, 1);
    w.refuse(e);
    if (queue === this.paceWaiters && queue.length === 0) this.wake?.abort();
  }

  /** Queues the caller; `grant` runs when it may go on. Abort and refusals reject instead. */
  private enqueue(queue: Waiter[], opts: AcquireOptions, turnAt: number): Promise<void> {
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const refused = this.refusal(opts, this.opts.now(), turnAt);
    if (refused) return Promise.reject(refused);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => this.drop(queue, waiter, abortReason(signal));
      const waiter: Waiter = {
        opts,
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        refuse: (e) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(waiter);
    });
  }

  private takeConcurrency(opts: AcquireOptions): Promise<void> {
    if (opts.signal?.aborted) return Promise.reject(abortReason(opts.signal));
    const now = this.opts.now();
    const refused = this.refusal(opts, now, Math.max(now, this.pausedUntil));
    if (refused) return Promise.reject(refused);
    if (this.inFlight < this.opts.maxConcurrency) {
      this.inFlight++;
      return Promise.resolve();
    }
    return this.enqueue(this.slotWaiters, opts, Math.max(now, this.pausedUntil));
  }

  private releaseConcurrency(): void {
    const next = this.slotWaiters.shift();
    if (next)
      next.grant(); // the slot passes straight to the next waiter
    else this.inFlight--;
  }

  private takePace(opts: AcquireOptions): Promise<void> {
    const now = this.opts.now();
    if (this.paceWaiters.length === 0) this.busyFrom = now;
    const turnAt =
      Math.max(now, this.nextAt, this.pausedUntil) + this.paceWaiters.length * this.intervalMs;
    const p = this.enqueue(this.paceWaiters, opts, turnAt);
    this.pump();
    return p;
  }

  /**
   * Requests the server's current window still takes, or undefined when it has not said (or
   * its window has reset). Every request granted and not answered counts against it: whatever
   * the server counted after the answer with the lowest Remaining came from a request still
   * unanswered (an answered one would have reported less), so this never exceeds the truth.
   * Nor does it exceed the configured limit: a server that takes more than the client was
   * told to send (a lower limit set to leave room for other tools) is not given more.
   */
  private roomAt(now: number): number | undefined {
    const w = this.window;
    if (w === undefined || w.resetAt <= now) return undefined;
    return Math.min(w.remaining - this.sent - ROOM_MARGIN, w.allowance - w.granted);
  }

  /**
   * Whether the room is spent only by requests still unanswered, which may free some of it
   * before the reset. The configured limit's allowance is not given back by an answer.
   */
  private awaitingAnswers(now: number): boolean {
    const w = this.window;
    if (w === undefined || w.resetAt <= now) return false;
    return this.sent > 0 && w.remaining - ROOM_MARGIN > 0 && w.allowance - w.granted > 0;
  }

  /** Serves the pacing queue in order, one timer at a time, until it is empty. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.serve();
  }

  private async serve(): Promise<void> {
    for (;;) {
      const head = this.paceWaiters[0];
      if (!head) {
        // cleared synchronously: a caller arriving right now must start a new round
        this.pumping = false;
        return;
      }
      const now = this.opts.now();
      const room = this.roomAt(now);
      // Turns keep to the schedule, not to when a timer happened to fire: a late wake must not
      // push every later turn back. Only an idle spell (an empty queue) moves the schedule on,
      // so nobody bursts to catch up on time nobody wanted; and after a long stall (a busy
      // event loop) at most MAX_CATCH_UP turns are made up at once, well inside the headroom.
      // While the server's room is known it decides instead: a turn now while there is room,
      // none until the reset (or an answer) once it is spent.
      const scheduled = Math.max(
        this.busyFrom,
        this.nextAt,
        this.pausedUntil,
        now - MAX_CATCH_UP * this.intervalMs,
      );
      const at =
        room === undefined
          ? scheduled
          : room > 0
            ? Math.max(now, this.pausedUntil)
            : Math.max(this.window?.resetAt ?? now, this.pausedUntil);
      // Out of room only because answers are still out: they may free room before the reset,
      // so a caller's deadline is not judged against the reset yet.
      const awaitingAnswers = room !== undefined && room <= 0 && this.awaitingAnswers(now);
      const refused = this.refusal(head.opts, now, awaitingAnswers ? now : Math.max(now, at));
      if (refused) {
        this.drop(this.paceWaiters, head, refused);
        continue;
      }
      if (at > now) {
        // Sleep until the head's turn; a pause that grows meanwhile is seen on waking, and an
        // emptied queue wakes the timer so nothing keeps running for nobody.
        const wake = new AbortController();
        this.wake = wake;
        try {
          await this.opts.sleep(at - now, wake.signal);
        } catch {
          // woken early: re-evaluate
        } finally {
          if (this.wake === wake) this.wake = undefined;
        }
        continue;
      }
      this.paceWaiters.shift();
      this.nextAt = Math.max(this.nextAt, at + this.intervalMs);
      this.sent++;
      if (this.window) this.window.granted++;
      head.grant();
    }
  }
}

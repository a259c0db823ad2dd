import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../../src/atlassian/rate-limiter.ts";
import { VirtualTime } from "./virtual-time.ts";

/** A caller that sits out any pause. */
const ANY = { maxPauseMs: Number.POSITIVE_INFINITY };

function fakeTime() {
  const clock = { now: 0 };
  return {
    clock,
    now: () => clock.now,
    sleep: (ms: number) => {
      clock.now += ms;
      return Promise.resolve();
    },
  };
}

function limiter(t: ReturnType<typeof fakeTime>, limitPerMinute = 200, maxConcurrency = 100) {
  return new RateLimiter({
    limitPerMinute,
    maxConcurrency,
    targetUtilisation: 1,
    now: t.now,
    sleep: t.sleep,
  });
}

describe("RateLimiter pacing", () => {
  it("spaces request starts evenly at the ceiling (200/min → 300 ms)", async () => {
    const t = fakeTime();
    const l = limiter(t);
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const release = await l.acquire(ANY);
      starts.push(t.clock.now);
      release();
    }
    expect(starts).toEqual([0, 300, 600, 900, 1200]);
  });

  it("concurrent callers share one schedule and never exceed the ceiling in any minute", async () => {
    const vt = new VirtualTime();
    const l = new RateLimiter({
      limitPerMinute: 200,
      maxConcurrency: 8,
      targetUtilisation: 1,
      now: vt.nowFn,
      sleep: vt.sleep,
    });
    const starts: number[] = [];
    await vt.run(
      Promise.all(
        Array.from({ length: 450 }, async () => {
          const release = await l.acquire(ANY);
          starts.push(vt.now);
          await vt.sleep(700); // a slow response holds the concurrency slot
          release();
        }),
      ),
    );
    starts.sort((a, b) => a - b);
    for (let i = 0; i + 200 < starts.length; i++) {
      // any 200 consecutive starts span at least one minute minus one interval
      expect(starts[i + 200]! - starts[i]!).toBeGreaterThanOrEqual(60_000);
    }
    // and it runs at the ceiling: 450 requests in ~449 intervals
    expect(starts.at(-1)! - starts[0]!).toBeLessThanOrEqual(449 * 300 + 1);
  });

  it("after a stall makes up 3 turns, never running ahead of its schedule", async () => {
    const t = fakeTime();
    let sleeps = 0;
    // The second timer fires 10 intervals late (a busy event loop). Time moves on only once
    // the callers granted before the timer have seen the clock (setImmediate: no real wait).
    const sleep = (ms: number) =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          t.clock.now += ms + (++sleeps === 2 ? 3_000 : 0);
          resolve();
        }),
      );
    const l = new RateLimiter({
      limitPerMinute: 200,
      maxConcurrency: 100,
      targetUtilisation: 1,
      now: t.now,
      sleep,
    });
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const release = await l.acquire(ANY);
        starts.push(t.clock.now);
        release();
      }),
    );
    starts.sort((a, b) => a - b);
    starts.forEach((s, i) => expect(s).toBeGreaterThanOrEqual(i * 300)); // never ahead
    // the turn due at 600 and 3 made up, granted at once when the late timer fired at 3,600
    expect(starts.filter((s) => s === 3_600)).toHaveLength(4);
  });

  /**
   * A server with fixed windows of `windowMs` that take `limit` requests each: it counts a
   * request when it arrives (1 ms after its start) and answers `latency(i)` ms later with its
   * count, as the simulator and Atlassian do, so answers overtake each other.
   */
  async function againstWindowedServer(opts: {
    requests: number;
    limit: number;
    windowMs: number;
    concurrency: number;
    latency: (i: number) => number;
    headers?: (i: number) => boolean;
  }) {
    const vt = new VirtualTime();
    const l = new RateLimiter({
      limitPerMinute: (opts.limit * 60_000) / opts.windowMs,
      maxConcurrency: opts.concurrency,
      targetUtilisation: 0.97,
      now: vt.nowFn,
      sleep: vt.sleep,
    });
    const counted = new Map<number, number>(); // window start → requests counted
    let overLimit = 0;
    await vt.run(
      Promise.all(
        Array.from({ length: opts.requests }, async (_, i) => {
          const release = await l.acquire(ANY);
          await vt.sleep(1);
          const start = Math.floor(vt.now / opts.windowMs) * opts.windowMs;
          const n = (counted.get(start) ?? 0) + 1;
          counted.set(start, n);
          if (n > opts.limit) overLimit++;
          await vt.sleep(opts.latency(i));
          release();
          if (opts.headers?.(i) === false) l.observe(500, undefined, undefined);
          else l.observe(200, opts.limit - n, start + opts.windowMs);
        }),
      ),
    );
    return { overLimit, perWindow: [...counted.values()] };
  }

  /** 50 a second, 8 at once, answers 5–64 ms late and so out of order. */
  const OUT_OF_ORDER = {
    limit: 50,
    windowMs: 1_000,
    concurrency: 8,
    latency: (i: number) => 5 + ((i * 37) % 60),
  };

  it("spends the room the server states at once, counting answers still out, and never more", async () => {
    const { overLimit, perWindow } = await againstWindowedServer({
      ...OUT_OF_ORDER,
      requests: 1_000,
    });
    expect(overLimit).toBe(0); // no request the server would have refused
    // every full window takes the server's limit less the margin of one, not 0.97 of it
    for (const n of perWindow.slice(1, -1)) expect(n).toBe(49);
  });

  it("takes an answer without the server's count off the room, and still never exceeds it", async () => {
    const { overLimit, perWindow } = await againstWindowedServer({
      ...OUT_OF_ORDER,
      requests: 600,
      headers: (i) => i % 3 !== 0, // a third of the answers carry no rate-limit headers
    });
    expect(overLimit).toBe(0);
    for (const n of perWindow.slice(1, -1)) expect(n).toBeGreaterThanOrEqual(45);
  });

  /** A limiter configured for 10 a second, told by the server it would take 500 more. */
  function roomBeyondTheConfiguredLimit() {
    const vt = new VirtualTime();
    const l = new RateLimiter({
      limitPerMinute: 600, // 10 a second
      maxConcurrency: 100,
      targetUtilisation: 1,
      now: vt.nowFn,
      sleep: vt.sleep,
    });
    l.observe(200, 500, vt.now + 1_000); // the server would take 500 more this second
    return { vt, l };
  }

  it("never spends more of the server's room than its own configured limit allows", async () => {
    const { vt, l } = roomBeyondTheConfiguredLimit();
    const starts: number[] = [];
    await vt.run(
      Promise.all(
        Array.from({ length: 30 }, async () => {
          const release = await l.acquire(ANY);
          starts.push(vt.now);
          release();
        }),
      ),
    );
    expect(starts.filter((s) => s < 1_000)).toHaveLength(10);
  });

  it("refuses a caller at once whose deadline comes before the reset, once the configured limit is spent", async () => {
    const { vt, l } = roomBeyondTheConfiguredLimit();
    const inFlight = await vt.run(Promise.all(Array.from({ length: 10 }, () => l.acquire(ANY))));
    // The 10 still out cannot give the configured limit back: no answer makes room before
    // the reset at 1 s, so a caller who must start within 100 ms is told now, not at 1 s.
    const late = l.acquire({ ...ANY, deadlineAt: vt.now + 100 }).then(
      () => "granted",
      (e: Error) => `${e.name} at ${vt.now}`,
    );
    expect(await vt.run(late)).toBe("LimiterRefusal at 0");
    for (const release of inFlight) release();
  });

  it("waits for the reset once the stated room is spent, not for its schedule", async () => {
    const t = fakeTime();
    const l = limiter(t); // one turn every 300 ms
    l.observe(200, 4, 10_000); // 4 more before the window resets at 10 s
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const release = await l.acquire(ANY);
      starts.push(t.clock.now);
      release();
      l.observe(200, undefined, undefined); // answers that do not repeat the count
    }
    // 3 at once (4 less the margin), then nothing until the reset
    expect(starts).toEqual([0, 0, 0, 10_000, 10_000]);
  });

  it("does not burst to catch up after an idle period", async () => {
    const t = fakeTime();
    const l = limiter(t);
    (await l.acquire(ANY))();
    t.clock.now += 10_000;
    const a = t.clock.now;
    (await l.acquire(ANY))();
    (await l.acquire(ANY))();
    expect(t.clock.now - a).toBe(300);
  });

  it("pauses everyone after a 429 and slows down, then recovers on success", async () => {
    const t = fakeTime();
    const l = limiter(t);
    (await l.acquire(ANY))();
    l.rateLimited(5_000);
    expect(l.stats().pace).toBeCloseTo(0.85);
    (await l.acquire(ANY))();
    expect(t.clock.now).toBeGreaterThanOrEqual(5_000);
    for (let i = 0; i < 20; i++) l.observe(200, 100, undefined);
    expect(l.stats().pace).toBe(1);
    expect(l.stats().rateLimited).toBe(1);
  });

  it("pauses until X-RateLimit-Reset when Remaining hits 0", async () => {
    const t = fakeTime();
    const l = limiter(t);
    (await l.acquire(ANY))();
    l.observe(200, 0, 42_000);
    (await l.acquire(ANY))();
    expect(t.clock.now).toBe(42_000);
  });

  it("ignores a reset too far away to be the documented one-minute window", async () => {
    const t = fakeTime();
    const l = limiter(t);
    (await l.acquire(ANY))();
    l.observe(200, 0, 3_600_000);
    (await l.acquire(ANY))();
    expect(t.clock.now).toBe(300);
  });

  it("bounds concurrency and hands slots over in order", async () => {
    const t = fakeTime();
    const l = limiter(t, 6_000_000, 2);
    const r1 = await l.acquire(ANY);
    const r2 = await l.acquire(ANY);
    let third = false;
    const p3 = l.acquire(ANY).then((r) => {
      third = true;
      return r;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(third).toBe(false);
    expect(l.stats().inFlight).toBe(2);
    r1();
    r1(); // double release is harmless
    const r3 = await p3;
    expect(third).toBe(true);
    r2();
    r3();
    expect(l.stats().inFlight).toBe(0);
  });

  it("a waiter that aborts leaves the queue", async () => {
    const t = fakeTime();
    const l = limiter(t, 6_000_000, 1);
    const r1 = await l.acquire(ANY);
    const ac = new AbortController();
    const p = l.acquire({ ...ANY, signal: ac.signal });
    ac.abort(new Error("stop"));
    await expect(p).rejects.toThrow("stop");
    r1();
    expect(l.stats().inFlight).toBe(0);
  });
});

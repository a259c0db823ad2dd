import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../../src/simulator/rate-limiter.ts";

const limits = { "last-active": 2, events: 1, default: 3 };

describe("RateLimiter", () => {
  it("admits up to the limit per fixed window, then resets at the window boundary", () => {
    const rl = new RateLimiter(limits, 60_000);
    const t = 120_000 + 10;
    expect(rl.take("o", "last-active", t)).toEqual({
      allowed: true,
      limit: 2,
      remaining: 1,
      resetAt: 180_000,
    });
    expect(rl.take("o", "last-active", t + 1).remaining).toBe(0);
    expect(rl.take("o", "last-active", t + 2).allowed).toBe(false);
    expect(rl.take("o", "last-active", 180_000)).toMatchObject({
      allowed: true,
      remaining: 1,
      resetAt: 240_000,
    });
  });

  it("keeps orgs and classes apart", () => {
    const rl = new RateLimiter(limits, 60_000);
    expect(rl.take("a", "events", 0).allowed).toBe(true);
    expect(rl.take("a", "events", 0).allowed).toBe(false);
    expect(rl.take("b", "events", 0).allowed).toBe(true);
    expect(rl.take("a", "default", 0).allowed).toBe(true);
  });

  it("peek reports without counting", () => {
    const rl = new RateLimiter(limits, 1000);
    expect(rl.peek("a", "default", 0).remaining).toBe(3);
    expect(rl.peek("a", "default", 0).remaining).toBe(3);
    expect(rl.take("a", "default", 0).remaining).toBe(2);
  });
});

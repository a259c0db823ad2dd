import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../../src/simulator/cursor.ts";
import { createRng } from "../../../src/simulator/prng.ts";

describe("cursors", () => {
  it("round-trip the payload for the same org and kind", () => {
    const c = encodeCursor("org-1", "users", { off: 40, q: { status: ["active"] } });
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor("org-1", "users", c)).toEqual({ off: 40, q: { status: ["active"] } });
  });

  it("reject another org, another endpoint and garbage", () => {
    const c = encodeCursor("org-1", "users", { off: 1 });
    expect(decodeCursor("org-2", "users", c)).toBeUndefined();
    expect(decodeCursor("org-1", "groups", c)).toBeUndefined();
    expect(decodeCursor("org-1", "users", "!!!")).toBeUndefined();
    expect(
      decodeCursor("org-1", "users", Buffer.from("[1]").toString("base64url")),
    ).toBeUndefined();
  });
});

describe("seeded rng", () => {
  it("repeats for a seed and differs across seeds", () => {
    const a = createRng("s");
    const b = createRng("s");
    const c = createRng("t");
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it("makes UUID-shaped ids and bounded integers", () => {
    const r = createRng(42);
    expect(r.uuid()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    for (let i = 0; i < 100; i++) {
      const n = r.int(3, 5);
      expect(n >= 3 && n <= 5).toBe(true);
    }
  });
});

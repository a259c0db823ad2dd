import { describe, expect, it } from "vitest";
import { readAhead } from "../../../src/shared/read-ahead.ts";

/** A source that logs when each item is produced and when it is closed. */
function source(items: number, log: string[], failAt?: number): AsyncIterable<number> {
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (let i = 0; i < items; i++) {
          await Promise.resolve();
          if (i === failAt) throw new Error(`page ${i} failed`);
          log.push(`fetched ${i}`);
          yield i;
        }
      } finally {
        log.push("closed");
      }
    },
  };
}

describe("readAhead", () => {
  it("reads at most `depth` items ahead of the caller (default 2)", async () => {
    let fetched = 0;
    let stored = 0;
    let mostAhead = 0;
    const counting: AsyncIterable<number> = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 20; i++) {
          await Promise.resolve();
          fetched++;
          mostAhead = Math.max(mostAhead, fetched - stored - 1); // minus the one being stored
          yield i;
        }
      },
    };
    const seen: number[] = [];
    for await (const i of readAhead(counting)) {
      await new Promise((r) => setImmediate(r));
      seen.push(i);
      stored++;
    }
    expect(seen).toEqual([...Array(20).keys()]);
    expect(mostAhead).toBe(2);
  });

  it("produces the next item while the caller works on the current one", async () => {
    const log: string[] = [];
    for await (const i of readAhead(source(3, log), 1)) {
      await new Promise((r) => setImmediate(r)); // the caller's work (a store) takes a while
      log.push(`stored ${i}`);
    }
    expect(log).toEqual([
      "fetched 0",
      "fetched 1",
      "stored 0",
      "fetched 2",
      "stored 1",
      "closed", // the end of the source is read ahead too
      "stored 2",
    ]);
  });

  it("surfaces a failure of the read ahead after the items before it were handled", async () => {
    const log: string[] = [];
    const run = async () => {
      for await (const i of readAhead(source(3, log, 1), 1)) {
        await new Promise((r) => setImmediate(r));
        log.push(`stored ${i}`);
      }
    };
    await expect(run()).rejects.toThrow("page 1 failed");
    expect(log).toEqual(["fetched 0", "closed", "stored 0"]);
  });

  it("closes the source when the caller stops early", async () => {
    const log: string[] = [];
    const run = async () => {
      for await (const i of readAhead(source(5, log), 1)) {
        if (i === 1) throw new Error("store failed");
      }
    };
    await expect(run()).rejects.toThrow("store failed");
    expect(log).toEqual(["fetched 0", "fetched 1", "fetched 2", "closed"]);
  });
});

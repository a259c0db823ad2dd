/**
 * Nothing hangs: a caller's AbortSignal cancels every queued request (in the rate limiter or a
 * backoff sleep) and every in-flight one at once, nothing is sent after the abort, and no timer
 * is left to keep the process alive.
 */
import { describe, expect, it } from "vitest";
import type { AtlassianClientOptions } from "../../../src/atlassian/index.ts";
import { createAtlassianClient, getLastActiveDates, getOrg } from "../../../src/atlassian/index.ts";
import { API_KEY, json } from "./stub-fetch.ts";
import { VirtualTime } from "./virtual-time.ts";

const LAD = { data: { product_access: [] } };
const ORG = { data: { id: "o1", type: "orgs", attributes: { name: "Acme" } } };

/** A client whose fetch answers like a real one: it honours the request's abort signal. */
function setup(
  answer: (n: number) => Response | "hang",
  opts: Partial<AtlassianClientOptions> = {},
  vt: VirtualTime | undefined = new VirtualTime(),
) {
  const sent: { at: number; path: string }[] = [];
  const client = createAtlassianClient({
    apiKey: API_KEY,
    baseUrl: "https://api.example.test",
    ...(vt ? { now: vt.nowFn, sleep: vt.sleep } : {}),
    random: () => 0.5,
    fetch: ((input: string, init?: RequestInit) => {
      sent.push({ at: vt?.now ?? Date.now(), path: new URL(input).pathname });
      const a = answer(sent.length);
      if (a !== "hang") return Promise.resolve(a);
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener("abort", () =>
          reject(new DOMException("This operation was aborted", "AbortError")),
        );
      });
    }) as typeof fetch,
    ...opts,
  });
  return { client, sent, vt };
}

const settle = (ps: Promise<unknown>[]) =>
  Promise.allSettled(ps).then((rs) =>
    rs.map((r) => (r.status === "rejected" ? (r.reason as Error).message : "resolved")),
  );

describe("abort cancels everything at once", () => {
  it("many callers queued behind a slow budget: after abort all reject at once and the server receives nothing more", async () => {
    const vt = new VirtualTime();
    const { client, sent } = setup(
      () => json(200, LAD),
      {
        rateLimits: { lastActivePerMinute: 6 }, // one every ~10.3 s at 97%
        maxConcurrency: 4,
      },
      vt,
    );
    const ac = new AbortController();
    const calls = Array.from({ length: 50 }, (_, i) =>
      getLastActiveDates(client, { orgId: "o1", accountId: `u${i}`, signal: ac.signal }),
    );
    await vt.advanceTo(25_000); // three have gone out by now
    expect(sent).toHaveLength(3);
    const abortedAt = vt.now;
    ac.abort(new Error("crawl failed: stop"));
    const outcomes = await settle(calls);
    expect(vt.now).toBe(abortedAt); // no virtual time had to pass
    expect(outcomes.filter((o) => o === "resolved")).toHaveLength(3);
    expect(outcomes.filter((o) => o === "crawl failed: stop")).toHaveLength(47);
    await vt.advanceTo(abortedAt + 3_600_000);
    expect(sent).toHaveLength(3);
    expect(vt.pending).toBe(0); // no limiter timer left behind
    expect(client.stats()[0]).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it("an in-flight request is cancelled with the caller's reason", async () => {
    const { client, sent } = setup(() => "hang");
    const ac = new AbortController();
    const p = getOrg(client, { orgId: "o1", signal: ac.signal });
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1);
    ac.abort(new Error("user pressed ctrl-c"));
    await expect(p).rejects.toThrow("user pressed ctrl-c");
    expect(sent).toHaveLength(1);
  });

  it("a caller in a backoff sleep leaves it at once and does not retry", async () => {
    const vt = new VirtualTime();
    const { client, sent } = setup(() => json(503, { code: 503, message: "down" }), {}, vt);
    const ac = new AbortController();
    const p = getOrg(client, { orgId: "o1", signal: ac.signal });
    await vt.advanceTo(100); // the first attempt failed; the 750 ms backoff is running
    expect(sent).toHaveLength(1);
    ac.abort(new Error("stop"));
    await expect(p).rejects.toThrow("stop");
    await vt.advanceTo(60_000);
    expect(sent).toHaveLength(1);
    expect(vt.pending).toBe(0);
  });

  it("a slot handed over in the tick the caller aborts is never used to send", async () => {
    const ac = new AbortController();
    let t = 0;
    const { client, sent } = setup(
      () => json(200, ORG),
      {
        maxConcurrency: 1,
        // every reading of the clock is a second later: the second caller's pacing slot is
        // due by the time it has the concurrency slot, so nothing but that slot holds it
        now: () => (t += 1000),
        // the first call's success is reported after it released its slot to the second caller
        onRequest: () => ac.abort(new Error("fatal elsewhere")),
      },
      undefined,
    );
    const first = getOrg(client, { orgId: "o1", signal: ac.signal });
    const second = getOrg(client, { orgId: "o1", signal: ac.signal });
    expect(await settle([first, second])).toEqual(["resolved", "fatal elsewhere"]);
    expect(sent).toHaveLength(1);
  });

  it("an already aborted signal sends nothing", async () => {
    const { client, sent } = setup(() => json(200, ORG));
    await expect(
      getOrg(client, { orgId: "o1", signal: AbortSignal.abort(new Error("too late")) }),
    ).rejects.toThrow("too late");
    expect(sent).toHaveLength(0);
  });

  it("with real timers: queued callers reject within milliseconds and no timer keeps the process alive", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const { client, sent } = setup(
      () => json(200, LAD),
      { rateLimits: { lastActivePerMinute: 2 }, maxConcurrency: 2 }, // 31 s between calls
      undefined,
    );
    const ac = new AbortController();
    const calls = Array.from({ length: 20 }, (_, i) =>
      getLastActiveDates(client, { orgId: "o1", accountId: `u${i}`, signal: ac.signal }),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toHaveLength(1);
    const t0 = performance.now();
    ac.abort(new Error("stop"));
    const outcomes = await settle(calls);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(outcomes.filter((o) => o === "stop")).toHaveLength(19);
    expect(timers()).toBeLessThanOrEqual(before);
    expect(sent).toHaveLength(1);
  });
});

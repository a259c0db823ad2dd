import { afterEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../../src/simulator/index.ts";
import type { RunningSimulator, SimulatorOptions } from "../../../src/simulator/index.ts";
import type { OrgModel, Page } from "./api-types.ts";
import { client } from "./sim-client.ts";

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const running: RunningSimulator[] = [];
async function start(opts: SimulatorOptions): Promise<RunningSimulator> {
  const sim = await startSimulator({ orgs: [{ users: 30, seed: "auth", now: T0 }], ...opts });
  running.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

describe("authentication", () => {
  it("answers 401 gateway bodies for a missing, wrong or Basic credential", async () => {
    const sim = await start({});
    const path = `/admin/v1/orgs`;
    const none = await client(sim, "").get(path);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 401 });
    expect(typeof none.body.message).toBe("string");
    const wrong = await client(sim, "not-the-key").get(path);
    expect(wrong.status).toBe(401);
    const basic = await client(sim, "").get(path, {
      Authorization: `Basic ${Buffer.from(`me@example.com:${sim.apiKey}`).toString("base64")}`,
    });
    expect(basic.status).toBe(401);
    expect(basic.body.code).toBe(401);
    expect(basic.headers.get("x-ratelimit-limit")).not.toBeNull();
    expect(sim.stats.unauthorized).toBe(3);
  });

  it("uses the user-management 401 shape on /users/{id}/manage", async () => {
    const sim = await start({});
    const r = await client(sim, "nope").get(`/users/${sim.orgs[0]!.users[0]!.accountId}/manage`);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ key: "unauthorized" });
  });

  it("scopes each key to its own org", async () => {
    const sim = await start({
      orgs: [
        { users: 5, seed: "a" },
        { users: 5, seed: "b" },
      ],
    });
    const [a, b] = sim.orgs;
    const asA = client(sim, a!.apiKey);
    expect((await asA.get<Page<OrgModel>>("/admin/v1/orgs")).body.data[0]?.id).toBe(a!.id);
    const asB = client(sim, b!.apiKey);
    expect((await asB.get<Page<OrgModel>>("/admin/v1/orgs")).body.data[0]?.id).toBe(b!.id);
    const cross = await asA.get(`/admin/v1/orgs/${b!.id}`);
    expect(cross.status).toBe(404);
  });

  it("answers 404 for unknown paths", async () => {
    const sim = await start({});
    expect((await client(sim).get("/admin/v3/whatever")).status).toBe(404);
  });
});

describe("rate limiting", () => {
  it("sends X-RateLimit headers on every response and 429 past the limit, then resets", async () => {
    let now = T0 + 5_000;
    const sim = await start({ clock: () => now, rateLimits: { defaultPerMinute: 3 } });
    const api = client(sim);
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api.get("/admin/v1/orgs");
      expect(r.status).toBe(200);
      expect(r.headers.get("x-ratelimit-limit")).toBe("3");
      expect(r.headers.get("x-ratelimit-reset")).toBe(new Date(T0 + 60_000).toISOString());
      remaining.push(r.headers.get("x-ratelimit-remaining")!);
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const limited = await api.get("/admin/v1/orgs");
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ code: 429, message: "Rate limit exceeded" });
    expect(limited.headers.get("retry-after")).toBe("55");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(sim.stats.rateLimited).toBe(1);

    now = T0 + 60_000; // the next window
    const after = await api.get("/admin/v1/orgs");
    expect(after.status).toBe(200);
    expect(after.headers.get("x-ratelimit-remaining")).toBe("2");
  });

  it("gives last-active-dates its own 200/min budget per org", async () => {
    const now = T0;
    const sim = await start({
      clock: () => now,
      rateLimits: { lastActivePerMinute: 2, defaultPerMinute: 100 },
    });
    const api = client(sim);
    const org = sim.orgs[0]!;
    const path = `/admin/v1/orgs/${org.id}/directory/users/${org.users[0]!.accountId}/last-active-dates`;
    expect((await api.get(path)).headers.get("x-ratelimit-limit")).toBe("2");
    expect((await api.get(path)).status).toBe(200);
    expect((await api.get(path)).status).toBe(429);
    // Other endpoint classes are unaffected.
    const other = await api.get("/admin/v1/orgs");
    expect(other.status).toBe(200);
    expect(other.headers.get("x-ratelimit-limit")).toBe("100");
    expect(sim.stats.byRateClass["last-active"]).toBe(2);
    expect(sim.stats.byRoute["lastActive.get"]).toBe(3);
  });

  it("defaults last-active to 200/min and events to 10/min", async () => {
    const sim = await start({});
    const api = client(sim);
    const org = sim.orgs[0]!;
    const la = await api.get(
      `/admin/v1/orgs/${org.id}/directory/users/${org.users[0]!.accountId}/last-active-dates`,
    );
    expect(la.headers.get("x-ratelimit-limit")).toBe("200");
    const ev = await api.get(`/admin/v1/orgs/${org.id}/events`);
    expect(ev.headers.get("x-ratelimit-limit")).toBe("10");
  });

  it("omits Retry-After when switched off", async () => {
    const sim = await start({
      clock: () => T0,
      rateLimits: { defaultPerMinute: 1 },
      retryAfterHeader: false,
    });
    const api = client(sim);
    await api.get("/admin/v1/orgs");
    const limited = await api.get("/admin/v1/orgs");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBeNull();
    expect(limited.headers.get("x-ratelimit-reset")).toBe(new Date(T0 + 60_000).toISOString());
  });

  it("can send X-RateLimit-Reset at the observed minute precision, rounded up", async () => {
    let now = T0 + 5_000;
    const sim = await start({
      clock: () => now,
      rateLimitResetFormat: "minute",
      rateLimits: { defaultPerMinute: 1 },
    });
    const api = client(sim);
    const ok = await api.get("/admin/v1/orgs");
    expect(ok.headers.get("x-ratelimit-reset")).toBe("2026-11-28T12:01Z");
    const limited = await api.get("/admin/v1/orgs");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-ratelimit-reset")).toBe("2026-11-28T12:01Z");
    expect(limited.headers.get("retry-after")).toBe("55");
    const unauthorized = await client(sim, "nope").get("/admin/v1/orgs");
    expect(unauthorized.headers.get("x-ratelimit-reset")).toBe("2026-11-28T12:01Z");

    const fast = await start({ clock: () => now, timeScale: 60, rateLimitResetFormat: "minute" });
    now = T0 + 61_500; // a one-second window ending at 12:01:02 is reported as 12:02
    expect((await client(fast).get("/admin/v1/orgs")).headers.get("x-ratelimit-reset")).toBe(
      "2026-11-28T12:02Z",
    );
    await expect(startSimulator({ rateLimitResetFormat: "seconds" as "iso" })).rejects.toThrow(
      /rateLimitResetFormat/,
    );
  });

  it("shrinks the window with timeScale", async () => {
    let now = T0;
    const sim = await start({
      clock: () => now,
      timeScale: 60,
      rateLimits: { defaultPerMinute: 1 },
    });
    const api = client(sim);
    expect((await api.get("/admin/v1/orgs")).headers.get("x-ratelimit-reset")).toBe(
      new Date(T0 + 1000).toISOString(),
    );
    const limited = await api.get("/admin/v1/orgs");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    now = T0 + 1000;
    expect((await api.get("/admin/v1/orgs")).status).toBe(200);
  });

  it("keeps separate budgets per org", async () => {
    const sim = await start({
      clock: () => T0,
      rateLimits: { defaultPerMinute: 1 },
      orgs: [
        { seed: "x", users: 3 },
        { seed: "y", users: 3 },
      ],
    });
    expect((await client(sim, sim.orgs[0]!.apiKey).get("/admin/v1/orgs")).status).toBe(200);
    expect((await client(sim, sim.orgs[1]!.apiKey).get("/admin/v1/orgs")).status).toBe(200);
    expect((await client(sim, sim.orgs[0]!.apiKey).get("/admin/v1/orgs")).status).toBe(429);
  });
});

import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../../src/simulator/index.ts";
import type { RunningSimulator, SimulatorOptions } from "../../../src/simulator/index.ts";
import type { Page, V2User } from "./api-types.ts";
import { client } from "./sim-client.ts";

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const running: RunningSimulator[] = [];
async function start(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({ orgs: [{ users: 60, seed: "faults", now: T0 }], ...opts });
  running.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

describe("fault injection", () => {
  it("is off by default", async () => {
    const sim = await start();
    const api = client(sim);
    for (let i = 0; i < 20; i++) expect((await api.get("/admin/v1/orgs")).status).toBe(200);
    expect(sim.stats.faults).toBe(0);
  });

  it("fails requests at the configured rate with the configured statuses", async () => {
    const sim = await start({ faults: { errorRate: 1, statuses: [503] } });
    const r = await client(sim).get("/admin/v1/orgs");
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ code: 503, message: "Service Unavailable" });
    expect(r.headers.get("x-ratelimit-limit")).not.toBeNull();
    const e500 = await start({ faults: { errorRate: 1, statuses: [500] } });
    const s = await client(e500).post(
      `/admin/v2/orgs/${e500.orgId}/directories/-/users/search`,
      {},
    );
    expect(s.status).toBe(500);
    expect(s.body.errors?.[0]?.code).toBe("ADMIN-500-1");
    expect(e500.stats.faults).toBe(1);
  });

  it("fails a fraction of requests, deterministically for a fault seed", async () => {
    const statuses = async () => {
      const sim = await start({ faults: { errorRate: 0.3, seed: 7 } });
      const api = client(sim);
      const out: number[] = [];
      for (let i = 0; i < 60; i++) out.push((await api.get("/admin/v1/orgs")).status);
      return out;
    };
    const a = await statuses();
    const failures = a.filter((s) => s >= 500).length;
    expect(failures).toBeGreaterThan(5);
    expect(failures).toBeLessThan(40);
    expect(a.every((s) => [200, 500, 502, 503, 504].includes(s))).toBe(true);
    expect(await statuses()).toEqual(a);
  });

  it("sends HTML bodies on 429 and 5xx when asked", async () => {
    const sim = await start({
      clock: () => T0,
      rateLimits: { defaultPerMinute: 1 },
      faults: { htmlErrorBodies: true },
    });
    const api = client(sim);
    expect((await api.get("/admin/v1/orgs")).status).toBe(200);
    const limited = await api.get("/admin/v1/orgs");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toMatch(/text\/html/);
    expect(limited.text).toMatch(/^<!DOCTYPE html>/);
    const other = await start({ faults: { htmlErrorBodies: true, errorRate: 1, statuses: [502] } });
    const bad = await client(other).get("/admin/v1/orgs");
    expect(bad.status).toBe(502);
    expect(bad.body).toBeUndefined();
    expect(bad.text).toMatch(/<html>/);
  });

  it("makes cursors stale", async () => {
    const sim = await start({ faults: { staleCursorRate: 1 } });
    const api = client(sim);
    const path = `/admin/v2/orgs/${sim.orgId}/directories/-/users/search`;
    const first = await api.post<Page<unknown>>(path, { limit: 10 });
    expect(first.status).toBe(200);
    const second = await api.post(path, { cursor: first.body.links?.next });
    expect(second.status).toBe(400);
    expect(second.body.errors?.[0]?.code).toBe("ADMIN-400-1");
    sim.setFaults({});
    expect((await api.post(path, { cursor: first.body.links?.next })).status).toBe(200);
  });

  it("always fails reads of chosen accounts", async () => {
    const probe = await start();
    const [bad, good] = probe.orgs[0]!.users;
    const sim = await start({ faults: { alwaysFailAccountIds: [bad!.accountId] } });
    const api = client(sim);
    const la = (id: string) =>
      api.get(`/admin/v1/orgs/${sim.orgId}/directory/users/${id}/last-active-dates`);
    expect((await la(bad!.accountId)).status).toBe(500);
    expect((await la(bad!.accountId)).status).toBe(500);
    expect((await la(good!.accountId)).status).toBe(200);
    expect(
      (await api.get(`/admin/v2/orgs/${sim.orgId}/directories/-/users/${bad!.accountId}`)).status,
    ).toBe(500);
  });

  it("lags reads behind writes on the injected clock", async () => {
    let now = T0;
    const sim = await start({ clock: () => now, faults: { readAfterWriteLagMs: 30_000 } });
    const api = client(sim);
    const org = sim.orgs[0]!;
    const dir = org.directories[0]!.directoryId;
    const u = org.users.find(
      (x) =>
        x.memberships[dir] === "active" && x.accountStatus === "active" && !x.deletionScheduledAt,
    )!;
    const read = async () =>
      (
        await api.get<{ data: V2User }>(
          `/admin/v2/orgs/${org.id}/directories/-/users/${u.accountId}`,
        )
      ).body.data.membershipStatus;
    expect(
      (await api.post(`/admin/v2/orgs/${org.id}/directories/${dir}/users/${u.accountId}/suspend`))
        .status,
    ).toBe(204);
    expect(u.memberships[dir]).toBe("suspended"); // ground truth changes at once
    expect(await read()).toBe("active");
    now = T0 + 29_999;
    expect(await read()).toBe("active");
    now = T0 + 30_000;
    expect(await read()).toBe("suspended");
  });

  it("adds latency without changing answers", async () => {
    const sim = await start({ faults: { latencyMs: 150 } });
    const started = performance.now();
    const r = await client(sim).get<Page<{ id: string }>>("/admin/v1/orgs");
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(r.status).toBe(200);
    expect(r.body.data[0]?.id).toBe(sim.orgId);
    sim.setFaults({ latencyMs: [60, 80] });
    const again = performance.now();
    expect((await client(sim).get("/admin/v1/orgs")).status).toBe(200);
    expect(performance.now() - again).toBeGreaterThanOrEqual(55);
  });

  it("counts requests in flight, and ends one whose client left before sending its body", async () => {
    const sim = await start({ faults: { latencyMs: 50 } });
    const until = (n: number) =>
      new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (sim.stats.inFlight === n) {
            clearInterval(poll);
            resolve();
          }
        }, 5);
      });
    const answered = client(sim).get("/admin/v1/orgs");
    await until(1);
    await answered;
    expect(sim.stats.inFlight).toBe(0);
    const url = new URL(`/admin/v2/orgs/${sim.orgId}/directories/-/users/search`, sim.url);
    const req = request(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${sim.apiKey}`,
        "content-type": "application/json",
        "content-length": "100",
      },
    });
    req.on("error", () => {});
    req.write('{"limit":');
    await until(1);
    req.destroy();
    await until(0);
    expect(sim.stats.inFlight).toBe(0);
  });

  it("rejects invalid fault rates", async () => {
    await expect(startSimulator({ faults: { errorRate: 2 } })).rejects.toThrow(/errorRate/);
  });
});

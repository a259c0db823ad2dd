import { afterEach, describe, expect, it, vi } from "vitest";
import { CATALOG_ROUTES, routeTable, startSimulator } from "../../../src/simulator/index.ts";
import type { FaultOptions, RunningSimulator } from "../../../src/simulator/index.ts";
import type { ErrorBody, Page, V2User } from "./api-types.ts";
import { SpecValidator } from "./openapi-validator.ts";
import { client } from "./sim-client.ts";

/**
 * Flow faults (issue 14 cases 4-5): stalls, endless cursors, 500s on catalog reads, users
 * deleted mid-crawl. No real-time waits: stalls are observed through `stats.stalls` and the
 * request is then aborted.
 */
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const validator = new SpecValidator(new URL("../../fixtures/openapi/", import.meta.url));
const running: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function start(faults: FaultOptions = {}, users = 80): Promise<RunningSimulator> {
  const sim = await startSimulator({
    orgs: [{ users, seed: "flow-faults", now: NOW }],
    clock: () => NOW,
    faults,
  });
  running.push(sim);
  return sim;
}

const search = (sim: RunningSimulator) => `/admin/v2/orgs/${sim.orgId}/directories/-/users/search`;

/** Starts a request that must not complete; resolves once the simulator has stalled it. */
async function stalled(sim: RunningSimulator, path: string, body?: unknown) {
  const before = sim.stats.stalls;
  const abort = new AbortController();
  const settled = vi.fn();
  const pending = fetch(`${sim.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { Authorization: `Bearer ${sim.apiKey}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: abort.signal,
  }).then(
    (res) => {
      settled("response");
      return res;
    },
    (err: unknown) => {
      settled("error");
      throw err;
    },
  );
  await vi.waitFor(() => expect(sim.stats.stalls).toBe(before + 1), { timeout: 5000 });
  return { pending, abort, settled };
}

describe("stall", () => {
  it("no-response: the request never gets a status line", async () => {
    const sim = await start({ stall: { routes: ["users.search"] } });
    const { pending, abort, settled } = await stalled(sim, search(sim), { limit: 5 });
    // Other routes answer normally meanwhile.
    expect((await client(sim).get("/admin/v1/orgs")).status).toBe(200);
    expect(settled).not.toHaveBeenCalled();
    abort.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    expect(sim.stats.faults).toBe(1);
  });

  it("partial-body: 200 and headers, then a body that never ends", async () => {
    const sim = await start({ stall: { routes: ["lastActive.get"], mode: "partial-body" } });
    const u = sim.orgs[0]!.users[0]!;
    const { pending, abort } = await stalled(
      sim,
      `/admin/v1/orgs/${sim.orgId}/directory/users/${u.accountId}/last-active-dates`,
    );
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit")).not.toBeNull();
    const body = res.text();
    abort.abort();
    await expect(body).rejects.toThrow(/abort/i);
  });

  it("stalls a share of requests, every route by default, and stops when cleared", async () => {
    const sim = await start({ stall: { rate: 0.5 }, seed: 1 });
    const abort = new AbortController();
    const answered: number[] = [];
    const paths = ["/admin/v1/orgs", `/admin/v2/orgs/${sim.orgId}/directories`];
    for (let i = 0; i < 12; i++) {
      void fetch(`${sim.url}${paths[i % 2]!}`, {
        headers: { Authorization: `Bearer ${sim.apiKey}` },
        signal: abort.signal,
      }).then(
        (r) => answered.push(r.status),
        () => undefined,
      );
    }
    await vi.waitFor(() => expect(answered.length + sim.stats.stalls).toBe(12), { timeout: 5000 });
    expect(sim.stats.stalls).toBeGreaterThan(0);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.every((s) => s === 200)).toBe(true);
    abort.abort();
    sim.setFaults({});
    expect((await client(sim).get("/admin/v1/orgs")).status).toBe(200);
  });
});

describe("endless cursors", () => {
  it("keeps handing out fresh cursors with empty pages after the last real page", async () => {
    const sim = await start({ endlessCursors: true });
    const api = client(sim);
    const seen: string[] = [];
    const cursors = new Set<string>();
    let body: Record<string, unknown> = { limit: 50 };
    let empty = 0;
    for (let page = 0; page < 40; page++) {
      const r = await api.post<Page<V2User>>(search(sim), body);
      expect(r.status).toBe(200);
      expect(
        validator.check({
          spec: "org2026",
          method: "POST",
          template: "/v2/orgs/{orgId}/directories/{directoryId}/users/search",
          status: r.status,
          body: r.body,
          text: r.text,
          headers: r.headers,
        }),
      ).toEqual([]);
      seen.push(...r.body.data.map((u) => u.accountId));
      if (r.body.data.length === 0) empty++;
      const next = r.body.links?.next;
      expect(next).toBeDefined();
      expect(cursors.has(next!)).toBe(false);
      cursors.add(next!);
      body = { cursor: next };
    }
    expect(seen).toEqual(sim.directoryUsers().map((u) => u.accountId));
    expect(empty).toBeGreaterThan(30);
    // The deprecated GET list is endless too; with the fault off the walk ends.
    const list = await api.get<Page<V2User>>(
      `/admin/v2/orgs/${sim.orgId}/directories/-/users?limit=100`,
    );
    expect(list.body.data.length).toBe(sim.directoryUsers().length);
    expect(list.body.links?.next).toBeDefined();
    sim.setFaults({});
    const last = await api.post<Page<V2User>>(search(sim), body);
    expect(last.body.data).toEqual([]);
    expect(last.body.links?.next).toBeUndefined();
  });
});

describe("server errors on catalog reads", () => {
  const catalog = routeTable().filter((r) => CATALOG_ROUTES.includes(r.name));
  const pathOf = (sim: RunningSimulator, template: string) => {
    const g = sim.orgs[0]!.groups[0]!;
    return template
      .replace("{orgId}", sim.orgId)
      .replace("{directoryId}", "-")
      .replace("{groupId}", g.id);
  };

  it("routeErrorRates.catalog fails every catalog read with the spec's 500 body; users still answer", async () => {
    expect(catalog.map((r) => r.name).sort()).toEqual([...CATALOG_ROUTES].sort());
    const sim = await start({ routeErrorRates: { catalog: 1 }, statuses: [500] });
    const api = client(sim);
    for (const r of catalog) {
      const reply = await api.call<ErrorBody>(
        r.method,
        pathOf(sim, r.template),
        r.method === "POST" ? {} : undefined,
      );
      expect(reply.status, r.name).toBe(500);
      const problems = validator.check({
        spec: "org2026",
        method: r.method,
        template: r.template.slice(6),
        status: 500,
        body: reply.body,
        text: reply.text,
        headers: reply.headers,
      });
      expect(problems).toEqual([]);
      const detail = reply.body.errors?.[0]?.detail ?? (reply.body as { detail?: string }).detail;
      expect(detail).toMatch(/Try again later/);
    }
    expect((await api.post(search(sim), {})).status).toBe(200);
    expect(sim.stats.faults).toBe(catalog.length);
  });

  it("errorRate (--fault-rate) reaches catalog reads too, and a per-route rate overrides it", async () => {
    const sim = await start({
      errorRate: 1,
      statuses: [500],
      routeErrorRates: { "users.search": 0 },
    });
    const api = client(sim);
    for (const r of catalog) {
      const reply = await api.call(
        r.method,
        pathOf(sim, r.template),
        r.method === "POST" ? {} : undefined,
      );
      expect(reply.status, r.name).toBe(500);
    }
    expect((await api.post(search(sim), {})).status).toBe(200);
    expect((await api.get("/admin/v1/orgs")).status).toBe(500);
  });
});

describe("users deleted mid-crawl", () => {
  it("deleteUsers removes accounts after N requests: 404 per user, gone from lists, no walk shifted", async () => {
    const probe = await start();
    const people = probe.directoryUsers();
    const doomed = [people[12]!.accountId, people[30]!.accountId];
    const sim = await start({ deleteUsers: { accountIds: doomed, afterRequests: 2 } });
    const api = client(sim);
    const la = (id: string) =>
      api.get(`/admin/v1/orgs/${sim.orgId}/directory/users/${id}/last-active-dates`);
    // Requests 1 and 2: a first page of 10 and a per-user read still see everyone.
    const first = await api.post<Page<V2User>>(search(sim), { limit: 10 });
    expect((await la(doomed[1]!)).status).toBe(200);
    // From request 3 on, the accounts are gone.
    const rest: V2User[] = [];
    let cursor = first.body.links?.next;
    while (cursor) {
      const r = await api.post<Page<V2User>>(search(sim), { cursor });
      rest.push(...r.body.data);
      cursor = r.body.links?.next;
    }
    const walked = [...first.body.data, ...rest].map((u) => u.accountId);
    expect(walked).toEqual(people.map((u) => u.accountId).filter((id) => !doomed.includes(id)));
    for (const id of doomed) {
      const details = await api.get(`/admin/v2/orgs/${sim.orgId}/directories/-/users/${id}`);
      expect(details.status).toBe(404);
      expect(details.body.errors?.[0]?.code).toBe("ADMIN-404-8");
      expect(
        validator.check({
          spec: "org2026",
          method: "GET",
          template: "/v2/orgs/{orgId}/directories/{directoryId}/users/{userId}",
          status: 404,
          body: details.body,
          text: details.text,
          headers: details.headers,
        }),
      ).toEqual([]);
      expect((await la(id)).status).toBe(404);
      expect(
        (await api.get(`/admin/v2/orgs/${sim.orgId}/directories/-/users/${id}/role-assignments`))
          .status,
      ).toBe(404);
      expect(sim.orgs[0]!.users.some((u) => u.accountId === id)).toBe(false);
    }
    expect(sim.auditEvents()).toEqual([]); // not an API write
  });

  it("deleteUser does the same on demand, between two pages", async () => {
    const sim = await start();
    const api = client(sim);
    const people = sim.directoryUsers().map((u) => u.accountId);
    const first = await api.post<Page<V2User>>(search(sim), {
      limit: 20,
      sortBy: [{ field: "nick_name", direction: "asc" }],
    });
    const onPage = first.body.data[5]!.accountId;
    const later = people.find((id) => !first.body.data.some((u) => u.accountId === id))!;
    expect(sim.deleteUser(0, onPage)).toBe(true);
    expect(sim.deleteUser(sim.orgId, later)).toBe(true);
    expect(sim.deleteUser(0, later)).toBe(false);
    const rest: string[] = [];
    let cursor = first.body.links?.next;
    while (cursor) {
      const r = await api.post<Page<V2User>>(search(sim), { cursor });
      rest.push(...r.body.data.map((u) => u.accountId));
      cursor = r.body.links?.next;
    }
    // Sorted walk: nobody skipped, nobody twice, only the deleted one missing.
    const all = [...first.body.data.map((u) => u.accountId), ...rest];
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(people.filter((id) => id !== later).sort());
    expect(
      (await api.get(`/admin/v2/orgs/${sim.orgId}/directories/-/users/${onPage}`)).status,
    ).toBe(404);
  });
});

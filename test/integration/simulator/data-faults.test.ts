import { afterEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../../src/simulator/index.ts";
import type { FaultOptions, RunningSimulator } from "../../../src/simulator/index.ts";
import type { LastActivePage, Page, V1UserPage, V2User } from "./api-types.ts";
import { SpecValidator } from "./openapi-validator.ts";
import { client } from "./sim-client.ts";
import type { SimReply } from "./sim-client.ts";

/**
 * Data faults: spec-valid but awkward payloads (issue 14 cases 1-3). Every reply is validated
 * against the 2026-09-24 spec, so each fault stays inside what Atlassian may send.
 */
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const validator = new SpecValidator(new URL("../../fixtures/openapi/", import.meta.url));
const running: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function start(faults: FaultOptions): Promise<RunningSimulator> {
  const sim = await startSimulator({
    orgs: [{ users: 120, seed: "data-faults", now: NOW }],
    clock: () => NOW,
    faults,
  });
  running.push(sim);
  return sim;
}

const SEARCH = "/v2/orgs/{orgId}/directories/{directoryId}/users/search";

function valid<T>(r: SimReply<T>, method: string, template: string): SimReply<T> {
  expect(r.status).toBe(200);
  const problems = validator.check({
    spec: "org2026",
    method,
    template,
    status: r.status,
    body: r.body,
    text: r.text,
    headers: r.headers,
  });
  expect(problems).toEqual([]);
  return r;
}

/** Every user of a `-` search with all expansions, each page validated. */
async function searchAll(sim: RunningSimulator): Promise<V2User[]> {
  const api = client(sim);
  const out: V2User[] = [];
  let body: Record<string, unknown> = {
    limit: 100,
    expand: ["productAccess", "groups", "platformRoles", "counts.resources"],
  };
  for (;;) {
    const r = valid(
      await api.post<Page<V2User>>(`/admin/v2/orgs/${sim.orgId}/directories/-/users/search`, body),
      "POST",
      SEARCH,
    );
    out.push(...r.body.data);
    if (!r.body.links?.next) return out;
    body = { cursor: r.body.links.next };
  }
}

describe("data faults", () => {
  it("are all off by default", async () => {
    const users = await searchAll(await start({}));
    const entries = users.flatMap((u) => u.productAccess ?? []);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((p) => typeof p.lastActiveTimestamp === "string")).toBe(true);
    expect(users.every((u) => Array.isArray(u.groups) && typeof u.name === "string")).toBe(true);
    expect(users.every((u) => u.groups!.every((g) => typeof g.name === "string"))).toBe(true);
    expect(users.every((u) => u.addedToOrg.includes("T"))).toBe(true);
  });

  it("productAccessWithoutTimestamp drops lastActiveTimestamp, the same entries on every read", async () => {
    const sim = await start({ productAccessWithoutTimestamp: 0.4, seed: 3 });
    const first = await searchAll(sim);
    const missing = (users: V2User[]) =>
      users.flatMap((u) =>
        (u.productAccess ?? [])
          .filter((p) => p.lastActiveTimestamp === undefined)
          .map((p) => `${u.accountId} ${p.id}`),
      );
    const gone = missing(first);
    const all = first.flatMap((u) => u.productAccess ?? []).length;
    expect(gone.length).toBeGreaterThan(all * 0.2);
    expect(gone.length).toBeLessThan(all * 0.6);
    expect(missing(await searchAll(sim))).toEqual(gone);
    // The entry keeps its key and id; last-active-dates still has the activity.
    const [accountId, resourceId] = gone[0]!.split(" ");
    const entry = first
      .find((u) => u.accountId === accountId)!
      .productAccess!.find((p) => p.id === resourceId)!;
    expect(entry).toEqual({ key: expect.any(String), id: resourceId });
    const la = await client(sim).get<LastActivePage>(
      `/admin/v1/orgs/${sim.orgId}/directory/users/${accountId}/last-active-dates`,
    );
    expect(la.body.data.product_access.map((p) => p.id)).toContain(resourceId);
  });

  it("productAccessWithoutTimestamp with account ids drops every entry of those users", async () => {
    const probe = await start({});
    const heavy = probe.directoryUsers().find((u) => u.activity.length > 2)!;
    const sim = await start({ productAccessWithoutTimestamp: [heavy.accountId] });
    const users = await searchAll(sim);
    const item = users.find((u) => u.accountId === heavy.accountId)!;
    expect(item.productAccess).toHaveLength(sim.visibleActivity(0, heavy.accountId).length);
    expect(item.productAccess!.every((p) => p.lastActiveTimestamp === undefined)).toBe(true);
    const others = users.filter((u) => u.accountId !== heavy.accountId);
    expect(others.flatMap((u) => u.productAccess ?? []).every((p) => p.lastActiveTimestamp)).toBe(
      true,
    );
  });

  it("omitGroupsExpansion leaves out groups although expand asked for them", async () => {
    const sim = await start({ omitGroupsExpansion: true });
    const users = await searchAll(sim);
    expect(users.length).toBeGreaterThan(50);
    expect(users.every((u) => u.groups === undefined)).toBe(true);
    expect(users.some((u) => (u.productAccess ?? []).length > 0)).toBe(true); // other expansions stay
    const partial = await start({ omitGroupsExpansion: 0.5 });
    const some = await searchAll(partial);
    const without = some.filter((u) => u.groups === undefined).length;
    expect(without).toBeGreaterThan(0);
    expect(without).toBeLessThan(some.length);
  });

  it("nullGroupNames shows name and description null in the users' groups expansion only", async () => {
    const probe = await start({});
    const group = probe.orgs[0]!.groups.find(
      (g) => probe.directoryUsers().filter((u) => u.groupIds.includes(g.id)).length > 3,
    )!;
    const sim = await start({ nullGroupNames: [group.id] });
    const users = await searchAll(sim);
    const refs = users.flatMap((u) => u.groups ?? []);
    const nulled = refs.filter((g) => g.id === `ari:cloud:identity::group/${group.id}`);
    expect(nulled.length).toBeGreaterThan(3);
    expect(nulled.every((g) => g.name === null && g.description === null)).toBe(true);
    expect(refs.filter((g) => !nulled.includes(g)).every((g) => typeof g.name === "string")).toBe(
      true,
    );
    // Group search keeps the name: the spec makes MultiDirectoryGroup.name a plain string.
    const gs = valid(
      await client(sim).post<Page<{ id: string; name: string }>>(
        `/admin/v2/orgs/${sim.orgId}/directories/-/groups/search`,
        { groupIds: [group.id] },
      ),
      "POST",
      "/v2/orgs/{orgId}/directories/{directoryId}/groups/search",
    );
    expect(gs.body.data[0]?.name).toBe(group.name);
  });

  it("omitUserFields drops name, accountType and membershipStatus (by default) from v2 reads", async () => {
    const probe = await start({});
    const victim = probe.directoryUsers()[3]!;
    const sim = await start({ omitUserFields: { accounts: [victim.accountId] } });
    const users = await searchAll(sim);
    const item = users.find((u) => u.accountId === victim.accountId)!;
    for (const f of ["name", "accountType", "membershipStatus"] as const)
      expect(item).not.toHaveProperty(f);
    expect(item.status).toBeDefined();
    expect(users.filter((u) => u.name === undefined)).toHaveLength(1);
    const details = valid(
      await client(sim).get<{ data: V2User }>(
        `/admin/v2/orgs/${sim.orgId}/directories/-/users/${victim.accountId}`,
      ),
      "GET",
      "/v2/orgs/{orgId}/directories/{directoryId}/users/{userId}",
    );
    expect(details.body.data).not.toHaveProperty("accountType");
    const chosen = await start({
      omitUserFields: { accounts: true, fields: ["email", "addedToOrg"] },
    });
    const all = await searchAll(chosen);
    expect(all.every((u) => !("email" in u) && !("addedToOrg" in u) && "name" in u)).toBe(true);
  });

  it("lowercaseTimestamps writes t and z in every timestamp the account's reads carry", async () => {
    const probe = await start({});
    const u = probe
      .directoryUsers()
      .find((x) => x.activity.length > 0 && x.claimStatus === "managed")!;
    const sim = await start({ lowercaseTimestamps: [u.accountId] });
    const api = client(sim);
    const item = (await searchAll(sim)).find((x) => x.accountId === u.accountId)!;
    const lower = /^\d{4}-\d\d-\d\dt[\d:.]+z$/;
    expect(item.addedToOrg).toMatch(lower);
    expect(item.productAccess!.length).toBeGreaterThan(0);
    for (const p of item.productAccess!) expect(p.lastActiveTimestamp).toMatch(lower);
    const la = valid(
      await api.get<LastActivePage>(
        `/admin/v1/orgs/${sim.orgId}/directory/users/${u.accountId}/last-active-dates`,
      ),
      "GET",
      "/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates",
    );
    expect(la.body.data.added_to_org_timestamp).toMatch(lower);
    for (const p of la.body.data.product_access) expect(p.last_active_timestamp).toMatch(lower);
    // v1 /users pages until the account shows up.
    let next: string | undefined = `/admin/v1/orgs/${sim.orgId}/users`;
    let found: V1UserPage["data"][number] | undefined;
    while (next && !found) {
      const page: SimReply<V1UserPage> = valid(
        await api.get<V1UserPage>(next),
        "GET",
        "/v1/orgs/{orgId}/users",
      );
      found = page.body.data.find((x) => x.account_id === u.accountId);
      next = page.body.links.next;
    }
    expect(found?.last_active).toMatch(lower);
    const other = (await searchAll(sim)).find((x) => x.accountId !== u.accountId)!;
    expect(other.addedToOrg).toMatch(/T.*Z$/);
  });

  it("rejects shares outside 0..1", async () => {
    await expect(start({ productAccessWithoutTimestamp: 1.5 })).rejects.toThrow(
      /productAccessWithoutTimestamp/,
    );
    await expect(start({ stall: { rate: -1 } })).rejects.toThrow(/stall\.rate/);
    await expect(start({ routeErrorRates: { catalog: 2 } })).rejects.toThrow(/catalog/);
    await expect(start({ writeDelayMs: -5 })).rejects.toThrow(/writeDelayMs/);
  });
});

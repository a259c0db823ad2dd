import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../../src/simulator/index.ts";
import type { RunningSimulator, SimOrg, SimUser } from "../../../src/simulator/index.ts";
import type { LastActivePage, Page, V2User } from "./api-types.ts";
import { SpecValidator } from "./openapi-validator.ts";
import { client } from "./sim-client.ts";

/**
 * The 2026-09-24 spec's v2 `AccountType` is `atlassian` only. By default app (bot) and JSM
 * customer accounts are therefore not v2 directory users; `accountTypes: "legacy"` brings back
 * the old listing with `app`/`customer`.
 */
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const validator = new SpecValidator(new URL("../../fixtures/openapi/", import.meta.url));
const seed = { users: 400, seed: "account-types", now: NOW };
let spec: RunningSimulator;
let legacy: RunningSimulator;
let org: SimOrg;

beforeAll(async () => {
  spec = await startSimulator({ orgs: [seed], clock: () => NOW });
  legacy = await startSimulator({ orgs: [seed], clock: () => NOW, accountTypes: "legacy" });
  org = spec.orgs[0]!;
});
afterAll(async () => {
  await spec.close();
  await legacy.close();
});

/** Every user of a `-` search with the spec problems of each page. */
async function searchAll(sim: RunningSimulator): Promise<{ users: V2User[]; problems: string[] }> {
  const api = client(sim);
  const path = `/admin/v2/orgs/${sim.orgId}/directories/-/users/search`;
  const out: V2User[] = [];
  const problems: string[] = [];
  let body: Record<string, unknown> = { limit: 100, expand: ["productAccess", "groups"] };
  for (;;) {
    const r = await api.post<Page<V2User>>(path, body);
    expect(r.status).toBe(200);
    problems.push(
      ...validator.check({
        spec: "org2026",
        method: "POST",
        template: "/v2/orgs/{orgId}/directories/{directoryId}/users/search",
        status: r.status,
        body: r.body,
        text: r.text,
        headers: r.headers,
      }),
    );
    out.push(...r.body.data);
    if (!r.body.links?.next) return { users: out, problems };
    body = { cursor: r.body.links.next };
  }
}

const pick = (type: SimUser["accountType"]) => {
  const u = org.users.find((x) => x.accountType === type && Object.keys(x.memberships).length > 0);
  if (!u) throw new Error(`seed lacks an ${type} account`);
  return u;
};

describe("accountTypes: spec (default)", () => {
  it("lists only atlassian accounts, spec-valid, and counts agree", async () => {
    expect(spec.accountTypes).toBe("spec");
    const { users, problems } = await searchAll(spec);
    expect(problems).toEqual([]);
    expect(new Set(users.map((u) => u.accountType))).toEqual(new Set(["atlassian"]));
    const people = spec.directoryUsers();
    expect(users.map((u) => u.accountId)).toEqual(people.map((u) => u.accountId));
    expect(people.length).toBeLessThan(org.users.length); // apps and customers exist in the org
    const api = client(spec);
    const count = await api.get<{ count: number }>(
      `/admin/v2/orgs/${org.id}/directories/-/users/count`,
    );
    expect(count.body.count).toBe(users.length);
    const stats = await api.get<{ accountStatus: { count: number }[] }>(
      `/admin/v2/orgs/${org.id}/directories/-/users/stats`,
    );
    expect(stats.body.accountStatus.reduce((n, s) => n + s.count, 0)).toBe(users.length);
  });

  it("answers 404 for app and customer accounts on v2 reads and writes", async () => {
    const api = client(spec);
    const v2 = `/admin/v2/orgs/${org.id}/directories`;
    const dir = org.directories[0]!.directoryId;
    const group = org.groups.find((g) => !g.externalSynced && g.directoryId === dir)!;
    for (const u of [pick("app"), pick("customer")]) {
      const ud = Object.keys(u.memberships)[0]!;
      for (const r of [
        await api.get(`${v2}/-/users/${u.accountId}`),
        await api.get(`${v2}/-/users/${u.accountId}/role-assignments`),
        await api.post(`${v2}/${ud}/users/${u.accountId}/suspend`),
        await api.del(`${v2}/${ud}/users/${u.accountId}`),
        await api.post(`${v2}/${dir}/groups/${group.id}/memberships`, { accountId: u.accountId }),
      ]) {
        expect(r.status).toBe(404);
        expect(r.body.errors?.[0]?.code).toMatch(/^ADMIN-404-/);
      }
      const search = await api.post<Page<V2User>>(`${v2}/-/users/search`, {
        accountIds: [u.accountId],
      });
      expect(search.body.data).toEqual([]);
      expect(Object.values(u.memberships)).not.toContain("suspended");
    }
    expect(spec.auditEvents()).toEqual([]);
  });

  it("still answers v1 per-account reads and writes for them", async () => {
    const api = client(spec);
    const bot = pick("app");
    const la = await api.get<LastActivePage>(
      `/admin/v1/orgs/${org.id}/directory/users/${bot.accountId}/last-active-dates`,
    );
    expect(la.status).toBe(200);
    expect(la.body.data.product_access.map((p) => p.id)).toEqual(
      spec.visibleActivity(0, bot.accountId).map((a) => a.workspaceId),
    );
    const ws = org.workspaces.find((w) => !bot.directRoles.some((r) => r.resourceId === w.id))!;
    const assign = await api.post(`/admin/v1/orgs/${org.id}/users/${bot.accountId}/roles/assign`, {
      role: "atlassian/user",
      resource: ws.id,
    });
    expect(assign.status).toBe(204);
    const [event] = spec.auditEvents();
    expect(event).toMatchObject({ action: "user_role_assigned", targetId: bot.accountId });
  });
});

describe("accountTypes: legacy", () => {
  it("lists apps and customers in v2 with their own accountType (outside the 2026 enum)", async () => {
    expect(legacy.accountTypes).toBe("legacy");
    const { users, problems } = await searchAll(legacy);
    // The validator has no accountType exception: legacy pages are outside the 2026 spec.
    expect(problems.join("\n")).toMatch(/accountType.*allowed values/s);
    const types = new Set(users.map((u) => u.accountType));
    expect(types).toEqual(new Set(["atlassian", "app", "customer"]));
    const bot = legacy.orgs[0]!.users.find((u) => u.accountType === "app")!;
    const d = await client(legacy).get<{ data: V2User }>(
      `/admin/v2/orgs/${legacy.orgId}/directories/-/users/${bot.accountId}`,
    );
    expect(d.body.data.accountType).toBe("app");
    expect(legacy.directoryUsers().length).toBe(users.length);
  });

  it("rejects an unknown mode", async () => {
    await expect(startSimulator({ accountTypes: "bots" as unknown as "spec" })).rejects.toThrow(
      /accountTypes/,
    );
  });
});

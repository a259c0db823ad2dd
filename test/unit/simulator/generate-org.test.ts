import { describe, expect, it } from "vitest";
import { generateOrg, OrgState } from "../../../src/simulator/index.ts";
import type { SimOrg } from "../../../src/simulator/index.ts";

const NOW = Date.UTC(2026, 10, 28, 0, 0, 0);
const DAY = 86_400_000;

describe("generateOrg determinism", () => {
  it("gives the same org for the same seed and reference time", () => {
    const a = generateOrg({ users: 2000, seed: "same", now: NOW });
    const b = generateOrg({ users: 2000, seed: "same", now: NOW });
    expect(b).toEqual(a);
  });

  it("gives a different org for another seed", () => {
    const a = generateOrg({ users: 200, seed: 1, now: NOW });
    const b = generateOrg({ users: 200, seed: 2, now: NOW });
    expect(b.id).not.toBe(a.id);
    expect(b.users.map((u) => u.accountId)).not.toEqual(a.users.map((u) => u.accountId));
  });

  it("anchors a missing `now` to the start of the UTC day", () => {
    const morning = generateOrg({ users: 100, seed: "day" }, NOW + 3_600_000);
    const evening = generateOrg({ users: 100, seed: "day" }, NOW + 20 * 3_600_000);
    expect(evening).toEqual(morning);
    expect(morning.generatedAt).toBe(NOW);
  });

  it("honours explicit id, name and key", () => {
    const org = generateOrg({
      users: 3,
      orgId: "8a130dbc-06bc-1a05-jjk7-9822046115j1",
      name: "Acme",
      apiKey: "k",
    });
    expect(org).toMatchObject({
      id: "8a130dbc-06bc-1a05-jjk7-9822046115j1",
      name: "Acme",
      apiKey: "k",
    });
  });
});

describe("generateOrg realism", () => {
  const org: SimOrg = generateOrg({ users: 5000, seed: "mix", now: NOW });
  const state = new OrgState(org);
  const share = (pred: (u: SimOrg["users"][number]) => boolean) =>
    org.users.filter(pred).length / org.users.length;

  it("has unique, well-formed account ids", () => {
    const ids = org.users.map((u) => u.accountId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[a-zA-Z0-9_|:-]{1,128}$/.test(id))).toBe(true);
    expect(ids.some((id) => id.startsWith("557057:"))).toBe(true);
  });

  it("mixes statuses, claim states, sources and account types", () => {
    expect(share((u) => Object.values(u.memberships).includes("suspended"))).toBeGreaterThan(0.03);
    expect(share((u) => u.accountStatus === "inactive")).toBeGreaterThan(0.03);
    expect(share((u) => u.claimStatus === "unmanaged")).toBeGreaterThan(0.1);
    expect(share((u) => u.claimStatus === "managed")).toBeGreaterThan(0.5);
    expect(share((u) => u.managementSource === "synced")).toBeGreaterThan(0.1);
    expect(share((u) => u.accountType === "app")).toBeGreaterThan(0.01);
    expect(share((u) => u.accountType === "customer")).toBeGreaterThan(0.005);
    expect(share((u) => u.invitePending)).toBeGreaterThan(0.01);
    expect(share((u) => u.activity.length === 0)).toBeGreaterThan(0.03);
    expect(share((u) => Date.parse(u.addedToOrg) > NOW - 14 * DAY)).toBeGreaterThan(0.01);
    expect(
      org.users.filter((u) => u.platformRoles.includes("atlassian/org-admin")).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it("places several products on sites, with ARIs, and groups of both kinds", () => {
    expect(org.workspaces.length).toBeGreaterThanOrEqual(6);
    for (const w of org.workspaces)
      expect(w.id).toBe(`ari:cloud:${w.resourceOwner}::site/${w.cloudId}`);
    const perSite = new Map<string, number>();
    for (const w of org.workspaces) perSite.set(w.cloudId, (perSite.get(w.cloudId) ?? 0) + 1);
    expect(Math.max(...perSite.values())).toBeGreaterThan(1);
    expect(org.groups.some((g) => g.externalSynced && g.managedBy === "external")).toBe(true);
    expect(org.groups.some((g) => g.externalSynced && g.roles.length > 0)).toBe(true);
    expect(org.groups.some((g) => g.isAdminGroup)).toBe(true);
    expect(org.users.some((u) => u.directRoles.length > 0)).toBe(true);
  });

  it("spreads activity over ~400 idle days with nanosecond timestamps, only on accessible products", () => {
    const days: number[] = [];
    for (const u of org.users) {
      const access = state.resources(u);
      for (const a of u.activity) {
        expect(a.lastActiveAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
        expect(access.has(a.workspaceId)).toBe(true);
        const t = Date.parse(a.lastActiveAt);
        expect(t).toBeLessThan(NOW);
        expect(t).toBeGreaterThan(Date.parse(u.addedToOrg));
        days.push((NOW - t) / DAY);
      }
    }
    expect(Math.max(...days)).toBeGreaterThan(300);
    expect(Math.max(...days)).toBeLessThan(410);
    expect(days.filter((d) => d < 30).length / days.length).toBeGreaterThan(0.3);
    expect(org.users.some((u) => u.activity.length > 5)).toBe(true);
  });

  it("generates 100k users", () => {
    const big = generateOrg({ users: 100_000, seed: "big", now: NOW });
    expect(big.users).toHaveLength(100_000);
    expect(new Set(big.users.map((u) => u.accountId)).size).toBe(100_000);
  });
});

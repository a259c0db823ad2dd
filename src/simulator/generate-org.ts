import {
  BOT_NAMES,
  DEPARTMENTS,
  FIRST_NAMES,
  IDP_GROUP_STEMS,
  JOB_TITLES,
  LAST_NAMES,
  LOCATIONS,
  PRODUCTS,
  SITE_WORDS,
  TEAM_NAMES,
} from "./catalog.ts";
import type { ProductKind } from "./catalog.ts";
import type {
  SimActivity,
  SimDirectRole,
  SimDirectory,
  SimDomain,
  SimGroup,
  SimOrg,
  SimUser,
  SimWorkspace,
} from "./model.ts";
import { createRng } from "./prng.ts";
import type { Rng } from "./prng.ts";

/** How to generate one org. Same options (including `now`) ⇒ identical org. */
export interface SeedOptions {
  /** Fixed org id; default derived from the seed. */
  orgId?: string;
  /** Display name; default derived from the seed. */
  name?: string;
  /** Bearer key for this org; default derived from the seed. */
  apiKey?: string;
  /** Number of users (default 50). 100k generate in about a second. */
  users?: number;
  /** Seed for every random choice (default `"reclaim"`). */
  seed?: string | number;
  /** Reference time in ms epoch; all dates lie before it. Default: start of the current UTC day
   * (so the org is stable within a day and only absolute dates move between days). */
  now?: number;
  /** Enforced seat limits: product key (`jira-software` or the v2 `jira`; every workspace of
   * that product) or workspace ARI → seats. Writes that would add a seat beyond it answer the
   * spec's licence-limit 409; the workspace `capacity` shows the limit. Default: none. */
  licenseLimits?: Record<string, number>;
}

const DAY_MS = 86_400_000;

/** Start of the UTC day containing `ms`. */
export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** ISO timestamp with nanosecond precision, as v2 `lastActiveTimestamp` shows it. */
function nanoIso(ms: number, rng: Rng): string {
  const base = new Date(ms).toISOString().slice(0, -1); // drop "Z", keep millis
  return `${base}${String(rng.int(0, 999_999)).padStart(6, "0")}Z`;
}

/** Days since last activity: mostly recent, with a long idle tail up to ~400 days. */
function idleDays(rng: Rng): number {
  const r = rng.next();
  if (r < 0.55) return rng.next() * 30;
  if (r < 0.8) return 30 + rng.next() * 90;
  return 120 + rng.next() * 280;
}

interface Layout {
  directories: SimDirectory[];
  domains: SimDomain[];
  workspaces: SimWorkspace[];
  groups: SimGroup[];
  /** Per directory: group ids granting `atlassian/user` on each workspace. */
  userGroupByWorkspace: Map<string, Map<string, string>>;
  siteAdminGroups: Map<string, string>;
  idpGroups: Map<string, string>;
  siteWord: string;
}

function buildLayout(rng: Rng, now: number): Layout {
  const siteWord = rng.pick(SITE_WORDS);
  const directories: SimDirectory[] = [
    {
      directoryId: rng.uuid(),
      name: "Primary directory",
      icon: "https://icons.example.com/dir.png",
    },
  ];
  if (rng.chance(0.2)) {
    directories.push({
      directoryId: rng.uuid(),
      name: "Contractors directory",
      icon: "https://icons.example.com/dir2.png",
    });
  }
  const domains: SimDomain[] = [
    { id: rng.uuid(), name: `${siteWord}.com`, verified: true },
    { id: rng.uuid(), name: `${siteWord}.io`, verified: rng.chance(0.5) },
  ];

  const siteCount = rng.int(1, 3);
  const suffixes = ["", "-eu", "-support", "-labs"];
  const workspaces: SimWorkspace[] = [];
  const byProduct = (key: string): ProductKind => {
    const p = PRODUCTS.find((x) => x.key === key);
    if (!p) throw new Error(`unknown product ${key}`);
    return p;
  };
  const siteProducts: ProductKind[][] = [];
  for (let s = 0; s < siteCount; s++) {
    const chosen =
      s === 0
        ? [byProduct("jira-software"), byProduct("confluence"), byProduct("jira-service-desk")]
        : PRODUCTS.filter(() => rng.chance(0.45));
    if (chosen.length === 0) chosen.push(byProduct("confluence"));
    siteProducts.push(chosen);
  }
  // Guarantee enough products that heavy users page through last-active-dates.
  const total = () => siteProducts.reduce((n, p) => n + p.length, 0);
  for (const extra of ["opsgenie", "statuspage", "jira-core"]) {
    const first = siteProducts[0];
    if (total() >= 6 || !first) break;
    first.push(byProduct(extra));
  }
  siteProducts.forEach((products, s) => {
    const siteName = `${siteWord}${suffixes[s] ?? `-${s}`}`;
    const cloudId = rng.uuid();
    for (const p of products) {
      workspaces.push({
        id: `ari:cloud:${p.ariOwner}::site/${cloudId}`,
        cloudId,
        key: p.key,
        v2Key: p.v2Key,
        resourceOwner: p.ariOwner,
        productName: p.name,
        siteName,
        hostUrl: `${siteName}.atlassian.net`,
        capacity: rng.chance(0.5) ? null : rng.int(10, 50) * 100,
        createdAt: new Date(now - rng.int(400, 2500) * DAY_MS).toISOString(),
      });
    }
  });

  const groups: SimGroup[] = [];
  const userGroupByWorkspace = new Map<string, Map<string, string>>();
  const siteAdminGroups = new Map<string, string>();
  const idpGroups = new Map<string, string>();
  const group = (g: Omit<SimGroup, "id">): SimGroup => {
    const created = { id: rng.uuid(), ...g };
    groups.push(created);
    return created;
  };
  directories.forEach((dir, d) => {
    const perWs = new Map<string, string>();
    userGroupByWorkspace.set(dir.directoryId, perWs);
    const dirSuffix = d === 0 ? "" : `-${d + 1}`;
    for (const ws of workspaces) {
      const p = PRODUCTS.find((x) => x.key === ws.key);
      const g = group({
        directoryId: dir.directoryId,
        name: `${p?.groupStem ?? ws.key}-users-${ws.siteName}${dirSuffix}`,
        description: `Grants access to ${ws.productName} on ${ws.hostUrl}`,
        externalSynced: false,
        managedBy: "admins",
        roles: [{ resourceId: ws.id, role: "atlassian/user" }],
        isAdminGroup: false,
      });
      perWs.set(ws.id, g.id);
    }
    if (d === 0) {
      const sites = [...new Set(workspaces.map((w) => w.siteName))];
      for (const site of sites) {
        const g = group({
          directoryId: dir.directoryId,
          name: `site-admins-${site}`,
          description: `Administrators of ${site}.atlassian.net`,
          externalSynced: false,
          managedBy: "admins",
          roles: workspaces
            .filter((w) => w.siteName === site)
            .map((w) => ({ resourceId: w.id, role: "atlassian/admin" })),
          isAdminGroup: true,
        });
        siteAdminGroups.set(site, g.id);
      }
      const idp = rng.pick(IDP_GROUP_STEMS);
      const jira = workspaces.find((w) => w.key === "jira-software");
      const conf = workspaces.find((w) => w.key === "confluence");
      for (const team of TEAM_NAMES) {
        const grants = team === "engineering" || team === "support" || rng.chance(0.3);
        const g = group({
          directoryId: dir.directoryId,
          name: `${idp}-${team}`,
          description: `Synced from the identity provider (${team})`,
          externalSynced: true,
          managedBy: "external",
          roles:
            grants && jira && conf
              ? [
                  { resourceId: jira.id, role: "atlassian/user" },
                  { resourceId: conf.id, role: "atlassian/user" },
                ]
              : [],
          isAdminGroup: false,
        });
        idpGroups.set(team, g.id);
      }
      group({
        directoryId: dir.directoryId,
        name: "all-staff",
        description: "Everyone (no product access)",
        externalSynced: false,
        managedBy: "admins",
        roles: [],
        isAdminGroup: false,
      });
    }
  });
  return {
    directories,
    domains,
    workspaces,
    groups,
    userGroupByWorkspace,
    siteAdminGroups,
    idpGroups,
    siteWord,
  };
}

/** Probability that an ordinary user is in a product's user group. */
function productOdds(key: string): number {
  switch (key) {
    case "jira-software":
      return 0.7;
    case "confluence":
      return 0.8;
    case "jira-service-desk":
      return 0.25;
    default:
      return 0.12;
  }
}

/**
 * Generates one org deterministically. Pure apart from CPU: no I/O, no clock reads.
 * Cost is linear in `users`; 100k users take about a second and a few hundred MB at most.
 */
export function generateOrg(opts: SeedOptions = {}, fallbackNow = Date.now()): SimOrg {
  const seed = opts.seed ?? "reclaim";
  const rng = createRng(`org:${seed}`);
  const now = opts.now ?? startOfUtcDay(fallbackNow);
  const generatedId = rng.uuid();
  const generatedKey = `sim_${rng.hex(40)}`;
  const layout = buildLayout(rng, now);
  const userCount = Math.max(0, Math.floor(opts.users ?? 50));
  const verified = layout.domains.filter((d) => d.verified).map((d) => d.name);
  const groupRoles = new Map(layout.groups.map((g) => [g.id, g.roles]));
  const primary = layout.directories[0];
  if (!primary) throw new Error("generator produced no directory");
  const secondary = layout.directories[1];
  const sites = [...layout.siteAdminGroups.keys()];

  const users: SimUser[] = [];
  const seen = new Set<string>();
  let orgAdmins = 0;
  for (let i = 0; i < userCount; i++) {
    const r = rng.next();
    const accountType: SimUser["accountType"] =
      r < 0.04 ? "app" : r < 0.06 ? "customer" : "atlassian";
    let accountId = rng.chance(0.15) ? `557057:${rng.uuid()}` : rng.hex(24);
    while (seen.has(accountId)) accountId = rng.hex(24);
    seen.add(accountId);

    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const managed = accountType === "atlassian" && rng.chance(0.8);
    const local = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, "");
    let name = `${first} ${last}`;
    let email = managed
      ? `${local}${i}@${rng.pick(verified)}`
      : `${local}${i}@${rng.pick(["gmail.com", "contractor.example", "outlook.com"])}`;
    if (accountType === "app") {
      name = rng.pick(BOT_NAMES);
      email = `${name.toLowerCase().replace(/[^a-z]/g, "-")}-${i}@connect.atlassian.com`;
    }

    const memberships: SimUser["memberships"] = {};
    if (secondary && rng.chance(0.2)) {
      memberships[secondary.directoryId] = "active";
      if (rng.chance(0.25)) memberships[primary.directoryId] = "active";
    } else {
      memberships[primary.directoryId] = "active";
    }
    const suspended = accountType !== "app" && rng.chance(0.07);
    if (suspended) for (const d of Object.keys(memberships)) memberships[d] = "suspended";

    const addedDaysAgo = rng.chance(0.05) ? rng.next() * 14 : 14 + rng.next() * 1500;
    const addedMs = now - Math.floor(addedDaysAgo * DAY_MS);
    const deactivated = accountType === "atlassian" && rng.chance(0.06);
    const forDeletion = !deactivated && managed && rng.chance(0.005);
    const invitePending = accountType === "atlassian" && !deactivated && rng.chance(0.04);
    const neverActive = invitePending || rng.chance(0.05);
    const deactivatedMs = deactivated ? now - rng.int(1, 200) * DAY_MS : null;

    const platformRoles: string[] = [];
    if (
      managed &&
      !deactivated &&
      !suspended &&
      !invitePending &&
      orgAdmins < 2 + Math.floor(userCount / 5000)
    ) {
      platformRoles.push("atlassian/org-admin");
      orgAdmins++;
    } else if (managed && rng.chance(0.01)) {
      platformRoles.push("atlassian/site-admin");
    } else if (managed && rng.chance(0.005)) {
      platformRoles.push("atlassian/user-access-admin");
    }

    const managementSource: SimUser["managementSource"] =
      accountType === "app"
        ? null
        : managed && rng.chance(0.4)
          ? "synced"
          : rng.chance(0.9)
            ? "invited"
            : null;
    const groupIds: string[] = [];
    const directRoles: SimDirectRole[] = [];
    const department = accountType === "atlassian" ? rng.pick(DEPARTMENTS) : null;
    if (accountType === "atlassian") {
      const heavy = rng.chance(0.05);
      for (const dirId of Object.keys(memberships)) {
        const perWs = layout.userGroupByWorkspace.get(dirId);
        if (!perWs) continue;
        for (const ws of layout.workspaces) {
          const gid = perWs.get(ws.id);
          if (gid && (heavy || rng.chance(productOdds(ws.key)))) groupIds.push(gid);
        }
      }
      if (managementSource === "synced" && memberships[primary.directoryId]) {
        const team = rng.pick(TEAM_NAMES);
        const gid = layout.idpGroups.get(team);
        if (gid) groupIds.push(gid);
      }
      if (platformRoles.length > 0 && memberships[primary.directoryId]) {
        const gid = layout.siteAdminGroups.get(rng.pick(sites));
        if (gid) groupIds.push(gid);
      }
      if (rng.chance(0.05)) {
        const ws = rng.pick(layout.workspaces);
        directRoles.push({ resourceId: ws.id, role: "atlassian/user" });
      }
    } else if (accountType === "app") {
      const ws = rng.pick(layout.workspaces);
      directRoles.push({ resourceId: ws.id, role: "atlassian/user" });
    } else {
      const jsm = layout.workspaces.find((w) => w.key === "jira-service-desk");
      if (jsm) directRoles.push({ resourceId: jsm.id, role: "atlassian/customer" });
    }

    const access = new Set<string>();
    for (const gid of groupIds)
      for (const role of groupRoles.get(gid) ?? []) access.add(role.resourceId);
    for (const role of directRoles) access.add(role.resourceId);
    const activity: SimActivity[] = [];
    if (!neverActive) {
      const ceiling = deactivatedMs ?? now;
      for (const wsId of access) {
        if (!rng.chance(0.85)) continue;
        const idle = ceiling - Math.floor(idleDays(rng) * DAY_MS);
        const ms = Math.max(addedMs + 3_600_000, now - 400 * DAY_MS, idle);
        if (ms >= now) continue;
        activity.push({ workspaceId: wsId, lastActiveAt: nanoIso(ms, rng) });
      }
    }

    const [city, tz] = rng.pick(LOCATIONS);
    const person = accountType === "atlassian";
    users.push({
      accountId,
      accountType,
      accountStatus: deactivated || forDeletion ? "inactive" : "active",
      memberships,
      claimStatus: managed ? "managed" : "unmanaged",
      managementSource,
      name,
      nickname: accountType === "app" ? name : first,
      email,
      emailVerified: !invitePending,
      invitePending,
      mfaEnabled: person && rng.chance(0.6),
      jobTitle: person ? rng.pick(JOB_TITLES) : null,
      department,
      organization: person ? layout.siteWord : null,
      location: person ? city : null,
      timeZone: person ? tz : null,
      picture: `https://avatar-management.example.com/${accountId.replace(/[^a-z0-9]/gi, "")}/128`,
      platformRoles,
      addedToOrg: new Date(addedMs).toISOString(),
      deactivatedOn: deactivatedMs === null ? null : new Date(deactivatedMs).toISOString(),
      deletionScheduledAt: forDeletion
        ? new Date(now - rng.int(1, 10) * DAY_MS).toISOString()
        : null,
      groupIds,
      directRoles,
      activity,
    });
  }

  for (const [key, seats] of Object.entries(opts.licenseLimits ?? {})) {
    const matching = layout.workspaces.filter(
      (w) => w.id === key || w.key === key || w.v2Key === key,
    );
    if (matching.length === 0)
      throw new RangeError(`licenseLimits: no workspace has the id or product key ${key}`);
    if (!Number.isInteger(seats) || seats < 0)
      throw new RangeError(`licenseLimits.${key} must be an integer >= 0, got ${seats}`);
    for (const w of matching) {
      w.licenseLimit = seats;
      w.capacity = seats;
    }
  }

  return {
    id: opts.orgId ?? generatedId,
    name: opts.name ?? `${layout.siteWord[0]?.toUpperCase() ?? ""}${layout.siteWord.slice(1)} Inc.`,
    apiKey: opts.apiKey ?? generatedKey,
    generatedAt: now,
    directories: layout.directories,
    domains: layout.domains,
    workspaces: layout.workspaces,
    groups: layout.groups,
    users,
    events: [],
  };
}

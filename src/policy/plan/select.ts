/**
 * Which seats one rule reclaims, and how (pure). Every user goes through `classifyUser` from
 * src/rules — the same classification the report's Dormant accounts rows come from — so a
 * rule whose threshold equals the report's selects exactly the report's dormant seats. On top
 * of that a rule narrows by product, site and account filters; protected users, IdP-managed
 * access and access nothing can revoke are left out, each with its reason.
 */
import type { PolicyRule } from "../../config/sections/policy.ts";
import type { DormantUserRow } from "../../db/repositories/reports.repository.ts";
import {
  activityWindow,
  classifyUser,
  inGracePeriod,
  isIdpManagedUser,
  type ActivityWindow,
  type ClassifiedSeat,
  type ClassifiedUser,
  type Exclusions,
} from "../../rules/index.ts";
import { calls, DEACTIVATE_MESSAGE } from "../api-calls.ts";
import type {
  ActionDetail,
  ExcludedEntry,
  IdpChange,
  PlannedAction,
  PlannedCall,
  SeatFact,
} from "../model.ts";

export interface RuleContext {
  orgId: string;
  rule: PolicyRule;
  /** The rule's window: its idle threshold and the report's grace period, as of the crawl. */
  window: ActivityWindow;
  exclude: Exclusions;
  /** The org's directories; a write needs a real one. */
  directories: readonly string[];
  /** Each group's directory, as of the crawl. */
  groupDirectories: ReadonlyMap<string, string | null>;
  /** Direct roles per user, as the crawl read them (only for some users: see the crawl). */
  directRoles: ReadonlyMap<string, readonly { resourceId: string; role: string }[]>;
  /** Monthly price of one seat of the product. */
  price: (productKey: string) => number;
  /** Readable name of a product instance, e.g. "Jira Software (acme.atlassian.net)". */
  label: (productKey: string, resourceId: string) => string;
  /** Site host of a resource, for the rule's `sites` filter. */
  siteOf: (resourceId: string) => string | null;
}

export interface RuleSelection {
  actions: PlannedAction[];
  excluded: ExcludedEntry[];
  idp: IdpChange[];
}

/** The idle threshold for the window of a rule that has none (only neverActiveAfterDays). */
export const NO_IDLE_THRESHOLD_DAYS = 36_500;

/** The window a rule reads with: its idle threshold, the report's grace period. */
export function ruleWindow(
  asOf: Date,
  rule: Pick<PolicyRule, "idleDays">,
  report: { newUserGraceDays: number; thresholdsDays: readonly number[] },
): ActivityWindow {
  return activityWindow(asOf, {
    dormantAfterDays: rule.idleDays ?? NO_IDLE_THRESHOLD_DAYS,
    newUserGraceDays: report.newUserGraceDays,
    thresholdsDays: report.thresholdsDays,
  });
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function domainOf(email: string | null): string | null {
  if (email === null) return null;
  const at = email.lastIndexOf("@");
  return at < 0 ? null : email.slice(at + 1).toLowerCase();
}

/** The rule's account filters; every filter given must match. */
export function matchesAccountFilters(rule: PolicyRule, u: DormantUserRow): boolean {
  if (rule.accountTypes.length > 0 && !rule.accountTypes.includes(u.accountType ?? ""))
    return false;
  if (rule.managed !== "any" && u.claimStatus !== rule.managed) return false;
  if (rule.emailDomains.length > 0) {
    const domain = domainOf(u.email);
    if (domain === null || !rule.emailDomains.some((d) => d.toLowerCase() === domain)) return false;
  }
  if (rule.groups.length > 0) {
    const wanted = new Set(rule.groups.map((g) => g.toLowerCase()));
    if (
      !u.groups.some(
        (g) => wanted.has(g.groupName.toLowerCase()) || wanted.has(g.groupId.toLowerCase()),
      )
    )
      return false;
  }
  return true;
}

/** The user's dormant seats this rule applies to. */
function matchedSeats(c: ClassifiedUser, u: DormantUserRow, ctx: RuleContext): ClassifiedSeat[] {
  const { rule } = ctx;
  const neverAfter =
    rule.neverActiveAfterDays === undefined
      ? null
      : activityWindow(ctx.window.asOf, {
          dormantAfterDays: rule.neverActiveAfterDays,
          newUserGraceDays: rule.neverActiveAfterDays,
          thresholdsDays: [],
        });
  return c.dormant.filter((s) => {
    if (rule.products.length > 0 && !rule.products.includes(s.productKey)) return false;
    if (rule.sites.length > 0) {
      const site = ctx.siteOf(s.resourceId)?.toLowerCase() ?? null;
      const ok = rule.sites.some(
        (x) =>
          x === s.resourceId ||
          (site !== null && x.toLowerCase().replace(/^https?:\/\//, "") === site),
      );
      if (!ok) return false;
    }
    if (s.lastActiveAt !== null) return rule.idleDays !== undefined;
    // A never-used seat: by neverActiveAfterDays when the rule has it, else by the idle rule.
    return neverAfter === null ? true : !inGracePeriod(u.addedToOrg, neverAfter);
  });
}

function seatFact(s: {
  productKey: string;
  resourceId: string;
  lastActiveAt: Date | null;
}): SeatFact {
  return { productKey: s.productKey, resourceId: s.resourceId, lastActiveAt: iso(s.lastActiveAt) };
}

function idleText(s: ClassifiedSeat): string {
  return s.daysIdle === null
    ? "never used"
    : `idle ${s.daysIdle} days (last active ${s.lastActiveAt?.toISOString().slice(0, 10) ?? "?"})`;
}

function billableVia(
  seats: readonly ClassifiedSeat[],
  direct: (s: ClassifiedSeat) => boolean,
): string {
  const via = new Set<string>();
  for (const s of seats) {
    for (const g of s.grantedBy) via.add(`${g.groupName} (${g.role})`);
    if (direct(s)) via.add(`direct role on ${s.productKey}`);
  }
  return [...via].join("; ");
}

function ruleText(rule: PolicyRule): string {
  const parts: string[] = [];
  if (rule.idleDays !== undefined) parts.push(`idle ≥ ${rule.idleDays} days`);
  if (rule.neverActiveAfterDays !== undefined)
    parts.push(`never used after ${rule.neverActiveAfterDays} days in the org`);
  return `rule ${rule.name} (${parts.join(" or ")})`;
}

/**
 * Selects one rule's actions from a batch of billable users with dormant seats (as
 * `dormantUsersReader` reads them with the rule's window).
 */
export function selectForRule(users: readonly DormantUserRow[], ctx: RuleContext): RuleSelection {
  const out: RuleSelection = { actions: [], excluded: [], idp: [] };
  const { rule, orgId } = ctx;
  for (const u of users) {
    if (!matchesAccountFilters(rule, u)) continue;
    const c = classifyUser(u, ctx.window, ctx.exclude);
    const seats = matchedSeats(c, u, ctx);
    if (seats.length === 0) continue;
    const exclude = (reason: string, product: string | null = null) =>
      out.excluded.push({
        accountId: u.accountId,
        email: u.email,
        rule: rule.name,
        product,
        reason,
      });
    if (c.protection !== null) {
      exclude(`protected: ${c.protection}`);
      continue;
    }
    const stored = ctx.directRoles.get(u.accountId) ?? [];
    const storedDirect = (s: ClassifiedSeat) => stored.filter((r) => r.resourceId === s.resourceId);
    const isDirect = (s: ClassifiedSeat) => s.direct || storedDirect(s).length > 0;
    const idpChange = (
      s: ClassifiedSeat,
      idpGroup: string,
      groupId: string | null,
      change: string,
    ) =>
      out.idp.push({
        idpGroup,
        groupId,
        accountId: u.accountId,
        email: u.email,
        name: u.name,
        productKey: s.productKey,
        resourceId: s.resourceId,
        lastActiveAt: iso(s.lastActiveAt),
        daysIdle: s.daysIdle,
        change,
        rule: rule.name,
      });
    const base = {
      daysIdle: c.daysIdle,
      neverActive: c.neverActive,
      lastActive: c.seats.map(seatFact),
      claimStatus: u.claimStatus,
      managementSource: u.managementSource,
    };

    if (isIdpManagedUser(u.managementSource)) {
      for (const s of seats) {
        const idpGroups = s.grantedBy.filter((g) => g.idpManaged);
        if (idpGroups.length === 0)
          idpChange(
            s,
            "(user managed by the IdP)",
            null,
            `remove ${s.productKey} access in the IdP`,
          );
        for (const g of idpGroups)
          idpChange(s, g.groupName, g.groupId, `remove from IdP group ${g.groupName}`);
      }
      exclude("managed by the identity provider: listed in the IdP change list");
      continue;
    }

    if (rule.action === "remove-product-access") {
      for (const s of seats) {
        const product = ctx.label(s.productKey, s.resourceId);
        const idpGroups = s.grantedBy.filter((g) => g.idpManaged);
        if (idpGroups.length > 0) {
          for (const g of idpGroups)
            idpChange(s, g.groupName, g.groupId, `remove from IdP group ${g.groupName}`);
          exclude(
            `granted by IdP group ${idpGroups.map((g) => g.groupName).join(", ")}: listed in the IdP change list`,
            s.productKey,
          );
          continue;
        }
        const groups: ActionDetail["groups"] = [];
        let unknownDirectory: string | null = null;
        for (const g of s.grantedBy) {
          if (groups.some((x) => x.groupId === g.groupId)) continue;
          const dir =
            ctx.groupDirectories.get(g.groupId) ??
            (ctx.directories.length === 1 ? (ctx.directories[0] ?? null) : null);
          if (dir === null) unknownDirectory = g.groupName;
          else groups.push({ groupId: g.groupId, groupName: g.groupName, directoryId: dir });
        }
        if (unknownDirectory !== null) {
          exclude(
            `the directory of group ${unknownDirectory} is unknown: a write needs it`,
            s.productKey,
          );
          continue;
        }
        const directRoles: ActionDetail["directRoles"] = storedDirect(s).map((r) => ({
          role: r.role,
          resourceId: r.resourceId,
        }));
        if (s.direct && directRoles.length === 0)
          directRoles.push({ role: null, resourceId: s.resourceId });
        const planned: PlannedCall[] = [
          ...groups.map((g) =>
            calls.removeMembership(orgId, g.directoryId, g.groupId, u.accountId),
          ),
          ...directRoles.map((r) =>
            r.role === null
              ? {
                  ...calls.revokeRole(orgId, u.accountId, "(the direct role)", r.resourceId),
                  note: "the role is read from the user's role-assignments right before acting (the crawl did not read it); inferred access cannot be revoked and is skipped",
                }
              : calls.revokeRole(orgId, u.accountId, r.role, r.resourceId),
          ),
        ];
        out.actions.push({
          accountId: u.accountId,
          email: u.email,
          name: u.name,
          kind: "remove-product-access",
          productKey: s.productKey,
          resourceId: s.resourceId,
          rule: rule.name,
          reason: `${product}: ${idleText(s)}; ${ruleText(rule)}; billable via ${billableVia([s], isDirect) || "unknown grant"}`,
          detail: {
            ...base,
            daysIdle: s.daysIdle,
            seatsFreed: [seatFact(s)],
            billableVia: billableVia([s], isDirect),
            groups,
            directRoles,
            directoryIds: [...new Set(groups.map((g) => g.directoryId))],
          },
          calls: planned,
          seats: 1,
          savingMonthly: ctx.price(s.productKey),
        });
      }
      continue;
    }

    // suspend / deactivate: the whole account, so only when nothing is in use.
    if (c.active.length > 0) {
      exclude(
        `active in ${c.active.map((s) => s.productKey).join(", ")} within ${ctx.window.dormantAfterDays} days: ${rule.action} would cut access in use (use remove-product-access)`,
      );
      continue;
    }
    if (rule.action === "deactivate" && u.claimStatus !== "managed") {
      exclude("unmanaged account: deactivate works on managed accounts only");
      continue;
    }
    const groupDirs = u.groups
      .map((g) => ctx.groupDirectories.get(g.groupId) ?? null)
      .filter((d): d is string => d !== null);
    const directoryIds =
      ctx.directories.length === 1 ? [...ctx.directories] : [...new Set(groupDirs)].sort();
    const planned: PlannedCall[] =
      rule.action === "deactivate"
        ? [calls.disable(u.accountId, DEACTIVATE_MESSAGE)]
        : directoryIds.length > 0
          ? directoryIds.map((d) => calls.suspend(orgId, d, u.accountId))
          : [
              {
                ...calls.suspend(orgId, "{directoryId}", u.accountId),
                note: "directories are read from the user's role-assignments right before acting (the crawl does not store per-user directory membership)",
              },
            ];
    const freed = c.seats;
    out.actions.push({
      accountId: u.accountId,
      email: u.email,
      name: u.name,
      kind: rule.action,
      productKey: [...new Set(freed.map((s) => s.productKey))].join(", "),
      resourceId: null,
      rule: rule.name,
      reason: `${freed.map((s) => `${ctx.label(s.productKey, s.resourceId)}: ${idleText(s)}`).join("; ")}; ${ruleText(rule)}; billable via ${billableVia(freed, isDirect) || "unknown grant"}`,
      detail: {
        ...base,
        seatsFreed: freed.map(seatFact),
        billableVia: billableVia(freed, isDirect),
        groups: [],
        directRoles: [],
        directoryIds: rule.action === "suspend" ? directoryIds : [],
      },
      calls: planned,
      seats: freed.length,
      savingMonthly:
        Math.round(freed.reduce((sum, s) => sum + ctx.price(s.productKey), 0) * 100) / 100,
    });
  }
  return out;
}

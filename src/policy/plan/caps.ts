/**
 * Merging the rules' selections into one plan, most idle first, within the caps (pure).
 */
import type { CutEntry, ExcludedEntry, PlannedAction } from "../model.ts";

/**
 * One action per seat and at most one user-wide action per user: the first rule that claims a
 * seat (or a user) wins, later claims are left out with the reason.
 */
export function mergeRules(perRule: readonly PlannedAction[][]): {
  actions: PlannedAction[];
  excluded: ExcludedEntry[];
} {
  const actions: PlannedAction[] = [];
  const excluded: ExcludedEntry[] = [];
  const userWide = new Map<string, PlannedAction>();
  const seatLevel = new Map<string, PlannedAction>();
  const firstSeatOfUser = new Map<string, PlannedAction>();
  const seatKey = (a: PlannedAction) => `${a.accountId}\u0000${a.resourceId ?? ""}`;
  for (const list of perRule) {
    for (const a of list) {
      const wide = userWide.get(a.accountId);
      const earlier =
        wide ??
        (a.resourceId === null ? firstSeatOfUser.get(a.accountId) : seatLevel.get(seatKey(a)));
      if (earlier !== undefined) {
        if (earlier.rule !== a.rule)
          excluded.push({
            accountId: a.accountId,
            email: a.email,
            rule: a.rule,
            product: a.resourceId === null ? null : a.productKey,
            reason: `already planned by rule ${earlier.rule} (${earlier.kind})`,
          });
        continue;
      }
      if (a.resourceId === null) userWide.set(a.accountId, a);
      else {
        seatLevel.set(seatKey(a), a);
        if (!firstSeatOfUser.has(a.accountId)) firstSeatOfUser.set(a.accountId, a);
      }
      actions.push(a);
    }
  }
  return { actions, excluded };
}

/** Never-used first, then the longest idle, then by account and product: a stable order. */
export function byPriority(a: PlannedAction, b: PlannedAction): number {
  const ia = a.detail.daysIdle;
  const ib = b.detail.daysIdle;
  if (ia === null && ib !== null) return -1;
  if (ib === null && ia !== null) return 1;
  if (ia !== null && ib !== null && ia !== ib) return ib - ia;
  return (
    a.accountId.localeCompare(b.accountId) ||
    a.productKey.localeCompare(b.productKey) ||
    (a.resourceId ?? "").localeCompare(b.resourceId ?? "")
  );
}

export interface Caps {
  maxActions: number;
  maxPercent: number;
  billableSeats: number;
}

/** maxPercent of the billable seats, rounded down: the most seats one plan may free. */
export function seatCap(caps: Caps): number {
  return Math.floor((caps.billableSeats * caps.maxPercent) / 100);
}

/**
 * Keeps actions in priority order until one would pass a cap; it and everything after it are
 * cut (so what is kept is always the most idle), each with the cap that cut it.
 */
export function applyCaps(
  sorted: readonly PlannedAction[],
  caps: Caps,
): { kept: PlannedAction[]; cut: CutEntry[] } {
  const limit = seatCap(caps);
  const kept: PlannedAction[] = [];
  const cut: CutEntry[] = [];
  let seats = 0;
  let reason: string | null = null;
  for (const a of sorted) {
    if (reason === null) {
      if (kept.length + 1 > caps.maxActions)
        reason = `over policy.maxActions (${caps.maxActions} actions per plan)`;
      else if (seats + a.seats > limit)
        reason = `over policy.maxPercent (${caps.maxPercent}% of ${caps.billableSeats} billable seats = ${limit} seats per plan)`;
    }
    if (reason !== null) {
      cut.push({
        accountId: a.accountId,
        email: a.email,
        rule: a.rule,
        action: a.kind,
        product: a.productKey,
        seats: a.seats,
        reason,
      });
      continue;
    }
    kept.push(a);
    seats += a.seats;
  }
  return { kept, cut };
}

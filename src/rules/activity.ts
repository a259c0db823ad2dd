/**
 * When a seat is active, dormant or in its grace period — the rule every number in Reclaim
 * rests on, written once. Each rule has a TypeScript form (report rows, email, policy) and an
 * SQL form (the repositories' aggregates) side by side; test/integration/rules checks on both
 * database backends that the two agree at every boundary.
 *
 * "Days idle" is the whole number of days between a seat's last activity and the instant the
 * data is as of (the crawl's finish). With it:
 * - active within N days ⇔ last active after `asOf − N days` ⇔ days idle < N;
 * - a seat that is not active within `dormantAfterDays` (or was never used) is
 *   - in its grace period when the user joined the org within `newUserGraceDays`
 *     (an unknown join date is no evidence of being new: not in grace), otherwise
 *   - dormant;
 * so every seat is exactly one of active / grace / dormant, and seats = active + grace +
 * dormant at every threshold.
 */
import { sql, type RawBuilder } from "kysely";

export const DAY_MS = 86_400_000;

/** The thresholds a report (or a policy rule) applies; from the `report` config section. */
export interface ActivityRules {
  /** A seat idle this many days, or never used, is dormant (outside the grace period). */
  dormantAfterDays: number;
  /** Users added to the org within this many days are in their grace period. */
  newUserGraceDays: number;
  /** Ascending idle-day boundaries for activity windows and idle buckets, e.g. 30/60/90/180. */
  thresholdsDays: readonly number[];
}

/** The rules made concrete for data as of one instant. */
export interface ActivityWindow {
  asOf: Date;
  dormantAfterDays: number;
  newUserGraceDays: number;
  /** A seat last active at or before this instant (or never) is not active at the threshold. */
  dormantBefore: Date;
  /** Users added to the org after this instant are in their grace period. */
  graceAfter: Date;
  /** Every threshold (thresholdsDays and dormantAfterDays), ascending, with its cut-off. */
  windows: readonly { days: number; since: Date }[];
}

export type SeatState = "active" | "grace" | "dormant";

/** Cut-off instants for data as of `asOf`. */
export function activityWindow(asOf: Date, rules: ActivityRules): ActivityWindow {
  const before = (days: number) => new Date(asOf.getTime() - days * DAY_MS);
  const days = [...new Set([...rules.thresholdsDays, rules.dormantAfterDays])].sort(
    (a, b) => a - b,
  );
  return {
    asOf,
    dormantAfterDays: rules.dormantAfterDays,
    newUserGraceDays: rules.newUserGraceDays,
    dormantBefore: before(rules.dormantAfterDays),
    graceAfter: before(rules.newUserGraceDays),
    windows: days.map((d) => ({ days: d, since: before(d) })),
  };
}

/** The cut-off of one threshold of the window. @throws when the window lacks that threshold */
export function cutOff(w: ActivityWindow, days: number): Date {
  const found = w.windows.find((x) => x.days === days);
  if (found === undefined) throw new RangeError(`no ${days}-day threshold in this window`);
  return found.since;
}

/** Used after `since` (never-used seats are never active). */
export function isActiveSince(lastActiveAt: Date | null, since: Date): boolean {
  return lastActiveAt !== null && lastActiveAt.getTime() > since.getTime();
}

/** Joined the org within the grace period. */
export function inGracePeriod(addedToOrg: Date | null, w: ActivityWindow): boolean {
  return addedToOrg !== null && addedToOrg.getTime() > w.graceAfter.getTime();
}

/** A seat's state at a threshold (default: the dormant threshold). */
export function seatState(
  seat: { lastActiveAt: Date | null },
  user: { addedToOrg: Date | null },
  w: ActivityWindow,
  days: number = w.dormantAfterDays,
): SeatState {
  if (isActiveSince(seat.lastActiveAt, cutOff(w, days))) return "active";
  return inGracePeriod(user.addedToOrg, w) ? "grace" : "dormant";
}

/** Whole days between `lastActive` and `asOf`, or null when never used. */
export function daysIdle(lastActive: Date | null, asOf: Date): number | null {
  if (lastActive === null) return null;
  return Math.max(0, Math.floor((asOf.getTime() - lastActive.getTime()) / DAY_MS));
}

export type BucketColour = "green" | "yellow" | "orange" | "red";

export interface IdleBucket {
  label: string;
  colour: BucketColour;
}

/**
 * The idle bucket of `days` (null = never used), half-open like the activity windows, so a
 * seat idle exactly N days is in the bucket that starts at N — the same side of N as
 * "dormant after N days". With 30/60/90/180: green < 60, yellow 60–89, orange 90–179,
 * red 180+ or never used.
 */
export function idleBucket(days: number | null, thresholdsDays: readonly number[]): IdleBucket {
  const t1 = thresholdsDays[1] ?? thresholdsDays[0] ?? 60;
  const t2 = thresholdsDays[2] ?? t1 * 1.5;
  const t3 = thresholdsDays[3] ?? t2 * 2;
  if (days === null) return { label: "never used", colour: "red" };
  if (days < t1) return { label: `< ${t1} days`, colour: "green" };
  if (days < t2) return { label: `${t1}–${t2 - 1} days`, colour: "yellow" };
  if (days < t3) return { label: `${t2}–${t3 - 1} days`, colour: "orange" };
  return { label: `${t3}+ days`, colour: "red" };
}

/** How the buckets read, for the About sheet: "green < 60 days; yellow 60–89 days; …". */
export function describeBuckets(thresholdsDays: readonly number[]): string {
  const seen = new Map<string, string>();
  for (const days of [0, ...thresholdsDays, 100_000, null]) {
    const b = idleBucket(days, thresholdsDays);
    if (!seen.has(b.label)) seen.set(b.label, `${b.colour} ${b.label}`);
  }
  return [...seen.values()].join("; ");
}

/**
 * The same rules in SQL, over column references (e.g. `"up.last_active_at"`), for the
 * aggregates that cannot be computed row by row in TypeScript at 100k users.
 */
export const activitySql = {
  isActiveSince(lastActiveAt: string, since: Date): RawBuilder<boolean> {
    return sql<boolean>`(${sql.ref(lastActiveAt)} is not null and ${sql.ref(lastActiveAt)} > ${since})`;
  },
  inGracePeriod(addedToOrg: string, w: ActivityWindow): RawBuilder<boolean> {
    return sql<boolean>`(${sql.ref(addedToOrg)} is not null and ${sql.ref(addedToOrg)} > ${w.graceAfter})`;
  },
  /** Not active at the threshold, and in the grace period. */
  isGrace(lastActiveAt: string, addedToOrg: string, w: ActivityWindow, days = w.dormantAfterDays) {
    return sql<boolean>`(not ${activitySql.isActiveSince(lastActiveAt, cutOff(w, days))} and ${activitySql.inGracePeriod(addedToOrg, w)})`;
  },
  /** Not active at the threshold, and not in the grace period. */
  isDormant(
    lastActiveAt: string,
    addedToOrg: string,
    w: ActivityWindow,
    days = w.dormantAfterDays,
  ) {
    return sql<boolean>`(not ${activitySql.isActiveSince(lastActiveAt, cutOff(w, days))} and not ${activitySql.inGracePeriod(addedToOrg, w)})`;
  },
};

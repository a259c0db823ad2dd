/** Pure row-model rules for the dormant-account workbook: idle buckets, colours, actions. */

export type BucketColour = "green" | "yellow" | "orange" | "red";

export const BUCKET_FILLS: Record<BucketColour, string> = {
  green: "FFC6EFCE",
  yellow: "FFFFEB9C",
  orange: "FFFFC7A0",
  red: "FFFFC7CE",
};

export interface IdleBucket {
  label: string;
  colour: BucketColour;
}

const MS_PER_DAY = 86_400_000;

/** Whole days between `lastActive` and `asOf` (UTC), or null when never active. */
export function daysIdle(lastActive: Date | null, asOf: Date): number | null {
  if (lastActive === null) return null;
  return Math.max(0, Math.floor((asOf.getTime() - lastActive.getTime()) / MS_PER_DAY));
}

/**
 * Bucket for days idle using the configured thresholds (default 30/60/90/180): green under
 * the second threshold, yellow up to the third, orange up to the fourth, red beyond it or
 * never active.
 */
export function idleBucket(days: number | null, thresholdsDays: readonly number[]): IdleBucket {
  const t60 = thresholdsDays[1] ?? 60;
  const t90 = thresholdsDays[2] ?? 90;
  const t180 = thresholdsDays[3] ?? 180;
  if (days === null) return { label: "never active", colour: "red" };
  if (days < t60) return { label: `< ${t60} days`, colour: "green" };
  if (days <= t90) return { label: `${t60}–${t90} days`, colour: "yellow" };
  if (days <= t180) return { label: `${t90}–${t180} days`, colour: "orange" };
  return { label: `> ${t180} days`, colour: "red" };
}

export interface ActionInput {
  accountType: string | null;
  platformRoles: readonly string[];
  inGracePeriod: boolean;
  managementSource: string | null;
  seatViaIdpGroup: boolean;
  dormantProducts: number;
  activeProducts: number;
}

export type SuggestedAction =
  | "leave: admin"
  | "leave: bot"
  | "leave: new user in grace period"
  | "change in the IdP"
  | "remove product access"
  | "suspend";

export function suggestedAction(input: ActionInput): SuggestedAction {
  if (input.platformRoles.some((r) => /admin/i.test(r))) return "leave: admin";
  if (input.accountType === "app") return "leave: bot";
  if (input.inGracePeriod) return "leave: new user in grace period";
  if (input.managementSource === "synced" || input.seatViaIdpGroup) return "change in the IdP";
  if (input.activeProducts > 0 && input.dormantProducts > 0) return "remove product access";
  return "suspend";
}

/** Monthly cost of `seats` at `pricePerSeatMonthly`, rounded to cents. */
export function reclaimableMonthly(seats: number, pricePerSeatMonthly: number): number {
  return Math.round(seats * pricePerSeatMonthly * 100) / 100;
}

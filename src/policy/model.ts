/**
 * What a policy plan holds, as stored (jsonb columns are parsed with these schemas, never
 * cast) and as `reclaim policy plan --json` prints it.
 */
import { z } from "zod";
import { POLICY_ACTIONS } from "../config/sections/policy.ts";

/** One API write an action will make, as a human reads it (no credentials, ever). */
export const plannedCallSchema = z.object({
  method: z.enum(["POST", "DELETE"]),
  path: z.string(),
  body: z.record(z.string(), z.unknown()).optional(),
  /** Set when a value of the call is only known from the live read right before acting. */
  note: z.string().optional(),
});
export type PlannedCall = z.infer<typeof plannedCallSchema>;

const seatSchema = z.object({
  productKey: z.string(),
  resourceId: z.string(),
  /** ISO, or null when never used. */
  lastActiveAt: z.string().nullable(),
});
export type SeatFact = z.infer<typeof seatSchema>;

/** Why the action was planned and what it touches, as the crawl saw it. */
export const actionDetailSchema = z.object({
  daysIdle: z.number().nullable(),
  neverActive: z.boolean(),
  /** Last activity per product the user held at the crawl. */
  lastActive: z.array(seatSchema),
  /** The seats the action frees. */
  seatsFreed: z.array(seatSchema),
  /** Why the seat is billable: the groups and direct roles that grant it. */
  billableVia: z.string(),
  /** Groups the action removes the user from (remove-product-access). */
  groups: z.array(
    z.object({ groupId: z.string(), groupName: z.string(), directoryId: z.string() }),
  ),
  /** Direct roles it revokes; `role` null = read live before acting (the crawl did not store it). */
  directRoles: z.array(z.object({ role: z.string().nullable(), resourceId: z.string() })),
  /** Directories it suspends the user in; empty = resolved live (several directories). */
  directoryIds: z.array(z.string()),
  claimStatus: z.string().nullable(),
  managementSource: z.string().nullable(),
});
export type ActionDetail = z.infer<typeof actionDetailSchema>;

export const excludedSchema = z.object({
  accountId: z.string(),
  email: z.string().nullable(),
  rule: z.string(),
  product: z.string().nullable(),
  reason: z.string(),
});
export type ExcludedEntry = z.infer<typeof excludedSchema>;

export const cutSchema = z.object({
  accountId: z.string(),
  email: z.string().nullable(),
  rule: z.string(),
  action: z.enum(POLICY_ACTIONS),
  product: z.string(),
  seats: z.number(),
  reason: z.string(),
});
export type CutEntry = z.infer<typeof cutSchema>;

/** One line of the IdP change list: a change only the identity provider can make. */
export const idpChangeSchema = z.object({
  /** The IdP group to change, or "(user managed by the IdP)". */
  idpGroup: z.string(),
  groupId: z.string().nullable(),
  accountId: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  productKey: z.string(),
  resourceId: z.string(),
  lastActiveAt: z.string().nullable(),
  daysIdle: z.number().nullable(),
  change: z.string(),
  rule: z.string(),
});
export type IdpChange = z.infer<typeof idpChangeSchema>;

export const planSummarySchema = z.object({
  orgName: z.string().nullable(),
  billableSeats: z.number(),
  maxActions: z.number(),
  maxPercent: z.number(),
  /** maxPercent of billableSeats, rounded down. */
  seatCap: z.number(),
  actions: z.number(),
  seats: z.number(),
  excluded: z.number(),
  cut: z.number(),
  idpChanges: z.number(),
  currency: z.string(),
  savingMonthly: z.number(),
  warnDays: z.number(),
});
export type PlanSummary = z.infer<typeof planSummarySchema>;

/** One action of a plan, ready to store. */
export interface PlannedAction {
  accountId: string;
  email: string | null;
  name: string | null;
  kind: (typeof POLICY_ACTIONS)[number];
  /** The seat's product key; for user-wide actions, the products freed joined by ", ". */
  productKey: string;
  /** The seat's resource; null for user-wide actions. */
  resourceId: string | null;
  rule: string;
  reason: string;
  detail: ActionDetail;
  calls: PlannedCall[];
  seats: number;
  savingMonthly: number;
}

export const parse = {
  detail: (v: unknown) => actionDetailSchema.parse(v),
  calls: (v: unknown) => z.array(plannedCallSchema).parse(v),
  excluded: (v: unknown) => z.array(excludedSchema).parse(v),
  cut: (v: unknown) => z.array(cutSchema).parse(v),
  idpChanges: (v: unknown) => z.array(idpChangeSchema).parse(v),
  summary: (v: unknown) => planSummarySchema.parse(v),
};

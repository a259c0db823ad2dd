/** Config file section `report`: thresholds, seat prices and billing for the workbook. */
import { z } from "zod";

/** List prices per user per month (USD, Standard tier) used when the config names none. */
export const DEFAULT_MONTHLY_PRICES: Record<string, number> = {
  "jira-software": 7.53,
  jira: 7.53,
  confluence: 5.16,
  "jira-servicedesk": 19.04,
  "jira-service-desk": 19.04,
  "jira-product-discovery": 10,
  "jira-core": 5,
  opsgenie: 9.45,
  statuspage: 0,
  bitbucket: 3,
  trello: 5,
};

const days = z.number().int().positive().max(3650);

export const reportSectionSchema = z
  .object({
    /** Idle-day boundaries for the buckets and activity windows, ascending. */
    thresholdsDays: z
      .array(days)
      .min(1)
      .default([30, 60, 90, 180])
      .refine((a) => a.every((v, i) => i === 0 || v > (a[i - 1] ?? 0)), {
        message: "must be strictly ascending, e.g. [30, 60, 90, 180]",
      }),
    /** A seat idle this many days (or never used) counts as dormant. */
    dormantAfterDays: days.default(90),
    /** Users added to the org within this many days are left alone (grace period). */
    newUserGraceDays: z.number().int().min(0).max(365).default(30),
    billing: z.enum(["monthly", "annual"]).default("monthly"),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, "must be an ISO currency code such as USD")
      .default("USD"),
    /** Price per seat per month, by product key; merged over the defaults. */
    pricesPerSeatMonthly: z.record(z.string(), z.number().nonnegative()).default({}),
  })
  .strict()
  .default({
    thresholdsDays: [30, 60, 90, 180],
    dormantAfterDays: 90,
    newUserGraceDays: 30,
    billing: "monthly",
    currency: "USD",
    pricesPerSeatMonthly: {},
  })
  .transform((r) => ({
    ...r,
    pricesPerSeatMonthly: { ...DEFAULT_MONTHLY_PRICES, ...r.pricesPerSeatMonthly },
  }));

export type ReportConfig = z.output<typeof reportSectionSchema>;

/** Config file section `report`: thresholds, seat prices and billing for the workbook. */
import { z } from "zod";

/**
 * List prices per user per month in USD (Standard tier), used for a product the config gives
 * no price for — only when the report currency is USD: a USD list price is never shown as
 * another currency.
 */
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

/** Product keys the Admin API uses (workspace type keys and last-active-dates keys). */
export const KNOWN_PRODUCT_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(DEFAULT_MONTHLY_PRICES),
  "compass",
  "atlas",
  "loom",
  "jira-align",
  "beacon",
  "guard",
  "focus",
  "rovo",
  "townsquare",
]);

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

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
    /** Price per seat per month in `currency`, by product key; over the USD list prices. */
    pricesPerSeatMonthly: z
      .record(z.string(), z.number().nonnegative())
      .default({})
      .superRefine((prices, ctx) => {
        for (const key of Object.keys(prices)) {
          if (!KNOWN_PRODUCT_KEYS.has(key))
            ctx.addIssue({
              code: "custom",
              path: [key],
              message: `"${key}" is not a product key Reclaim knows (known: ${[...KNOWN_PRODUCT_KEYS].join(", ")})`,
            });
        }
      }),
    /** IANA time zone the workbook shows dates and times in. */
    timezone: z
      .string()
      .refine(isTimeZone, { message: "must be an IANA time zone such as Europe/Berlin or UTC" })
      .default("UTC"),
  })
  .strict()
  .default({
    thresholdsDays: [30, 60, 90, 180],
    dormantAfterDays: 90,
    newUserGraceDays: 30,
    billing: "monthly",
    currency: "USD",
    pricesPerSeatMonthly: {},
    timezone: "UTC",
  });

export type ReportConfig = z.output<typeof reportSectionSchema>;

export type PriceSource = "config" | "list price (USD)" | "none";

/** The monthly price of one seat of `productKey`, and where it came from. */
export function priceFor(
  config: Pick<ReportConfig, "pricesPerSeatMonthly" | "currency">,
  productKey: string,
): { price: number; source: PriceSource } {
  const configured = config.pricesPerSeatMonthly[productKey];
  if (configured !== undefined) return { price: configured, source: "config" };
  const list = DEFAULT_MONTHLY_PRICES[productKey];
  if (list !== undefined && config.currency === "USD")
    return { price: list, source: "list price (USD)" };
  return { price: 0, source: "none" };
}

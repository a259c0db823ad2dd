/**
 * Config file section `policy`: which dormant seats the policy step may reclaim, how, and the
 * guard rails around it (caps, warning period, data freshness, exclusions). The names
 * `rules`, `maxActions`, `maxPercent`, `warnDays`, `maxDataAgeHours`, `auto` and `exclude` are a
 * contract other tools rely on.
 */
import { z } from "zod";
import { emailAddress } from "./email.ts";
import { KNOWN_PRODUCT_KEYS } from "./report.ts";

export const POLICY_ACTIONS = ["remove-product-access", "suspend", "deactivate"] as const;
export type PolicyActionKind = (typeof POLICY_ACTIONS)[number];

/** A threshold under this many days is refused unless the rule says `force: true`. */
export const MIN_IDLE_DAYS = 14;

const days = z.number().int().positive().max(3650);
const names = z.array(z.string().trim().min(1)).default([]);

const ruleSchema = z
  .object({
    name: z.string().trim().min(1).max(80),
    /** Product keys (e.g. `jira-software`); empty or absent = every product. */
    products: z.array(z.string().min(1)).default([]),
    /** Sites (host such as `acme.atlassian.net`, or a resource id); empty = every site. */
    sites: z.array(z.string().min(1)).default([]),
    /** A seat idle at least this many days (or never used, outside the grace period) matches. */
    idleDays: days.optional(),
    /** A never-used seat matches when its user joined the org at least this many days ago. */
    neverActiveAfterDays: days.optional(),
    action: z.enum(POLICY_ACTIONS).default("remove-product-access"),
    /** Optional account filters: all given filters must match. */
    accountTypes: z.array(z.string().min(1)).default([]),
    managed: z.enum(["managed", "unmanaged", "any"]).default("any"),
    emailDomains: z.array(z.string().min(1)).default([]),
    /** Group names or ids; the user must be in at least one. */
    groups: z.array(z.string().min(1)).default([]),
    /** Allows a threshold under 14 days. */
    force: z.boolean().default(false),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.idleDays === undefined && r.neverActiveAfterDays === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["idleDays"],
        message: "a rule needs idleDays and/or neverActiveAfterDays",
      });
    for (const key of ["idleDays", "neverActiveAfterDays"] as const) {
      const v = r[key];
      if (v !== undefined && v < MIN_IDLE_DAYS && !r.force)
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `${v} days is under the ${MIN_IDLE_DAYS}-day sanity floor; set "force": true on the rule if you really mean it`,
        });
    }
    r.products.forEach((p, i) => {
      if (!KNOWN_PRODUCT_KEYS.has(p))
        ctx.addIssue({
          code: "custom",
          path: ["products", i],
          message: `"${p}" is not a product key Reclaim knows (known: ${[...KNOWN_PRODUCT_KEYS].join(", ")})`,
        });
    });
  });

export type PolicyRule = z.output<typeof ruleSchema>;

const defaults = {
  rules: [],
  maxActions: 25,
  maxPercent: 5,
  warnDays: 7,
  maxDataAgeHours: 48,
  auto: false,
  allowDeactivate: false,
  stopAfterFailures: 5,
  exclude: { accounts: [], emails: [], domains: [], groups: [] },
  warning: {},
};

export const policySectionSchema = z
  .object({
    rules: z.array(ruleSchema).default([]),
    /** Most actions in one plan. */
    maxActions: z.number().int().min(1).max(100_000).default(defaults.maxActions),
    /** Most seats one plan frees, as a percentage of the org's billable seats. */
    maxPercent: z.number().positive().max(100).default(defaults.maxPercent),
    /** Users are warned this many days before the action; 0 turns warnings off. */
    warnDays: z.number().int().min(0).max(90).default(defaults.warnDays),
    /** A plan is refused when the crawl it would read finished longer ago than this. */
    maxDataAgeHours: z
      .number()
      .positive()
      .max(24 * 90)
      .default(defaults.maxDataAgeHours),
    /** The schedule applies approved-by-policy plans itself (still capped, still refusing stale data). */
    auto: z.boolean().default(defaults.auto),
    /** `deactivate` rules are refused unless this is true (managed accounts only). */
    allowDeactivate: z.boolean().default(defaults.allowDeactivate),
    /** An apply stops once this many actions have failed. */
    stopAfterFailures: z.number().int().min(1).max(10_000).default(defaults.stopAfterFailures),
    /** Never acted on, whatever the rules say (case-insensitive). */
    exclude: z
      .object({
        accounts: names,
        emails: names,
        domains: names,
        /** Group names or ids. */
        groups: names,
      })
      .strict()
      .default(defaults.exclude),
    /** The warning email sent to users in an approved plan. */
    warning: z
      .object({
        from: emailAddress.optional(),
        /** Whom users should contact to keep their access. */
        contact: z.string().min(1).optional(),
        subject: z.string().min(1).optional(),
        /** Extra paragraph added to the message. */
        text: z.string().min(1).optional(),
      })
      .strict()
      .default(defaults.warning),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.rules.forEach((r, i) => {
      if (seen.has(r.name))
        ctx.addIssue({
          code: "custom",
          path: ["rules", i, "name"],
          message: `rule name "${r.name}" is used twice`,
        });
      seen.add(r.name);
      if (r.action === "deactivate" && !p.allowDeactivate)
        ctx.addIssue({
          code: "custom",
          path: ["rules", i, "action"],
          message:
            'deactivate is off: set "policy.allowDeactivate": true to allow it (managed accounts only)',
        });
    });
  })
  .default(defaults);

export type PolicyConfig = z.output<typeof policySectionSchema>;

/**
 * A report summary and dormant rows made by hand, for tests of how the workbook and the chart
 * present them (no database needed): 11 products on two sites with labels of every length, and
 * a trend of any number of crawls, on different days or all on one.
 */
import type { DormantRow } from "../../../src/reports/rows.ts";
import { productId } from "../../../src/reports/product-labels.ts";
import type { ProductSummary, ReportSummary } from "../../../src/reports/summary.ts";

const PRODUCTS: [key: string, label: string, site: string | null][] = [
  ["jira-software", "Jira Software — acme.atlassian.net", "https://acme.atlassian.net"],
  ["jira-software", "Jira Software — acme-eu.atlassian.net", "https://acme-eu.atlassian.net"],
  ["confluence", "Confluence — acme.atlassian.net", "https://acme.atlassian.net"],
  ["confluence", "Confluence — acme-eu.atlassian.net", "https://acme-eu.atlassian.net"],
  [
    "jira-servicedesk",
    "Jira Service Management (Customer Support Operations)",
    "https://acme.atlassian.net",
  ],
  ["jira-product-discovery", "Jira Product Discovery", "https://acme.atlassian.net"],
  ["opsgenie", "Opsgenie", "https://acme.atlassian.net"],
  ["statuspage", "Statuspage", null],
  ["bitbucket", "Bitbucket", null],
  ["trello", "Trello", null],
  ["loom", "Loom", null],
];

export const DATA_AS_OF = "2026-11-28T12:00:00.000Z";

export interface FixtureOptions {
  crawls?: number;
  /** All crawls on the day of the last one, 2 hours apart. */
  sameDay?: boolean;
  products?: number;
  currency?: string;
  unmatchedPriceKeys?: string[];
}

export function fixtureSummary(o: FixtureOptions = {}): ReportSummary {
  const crawls = o.crawls ?? 2;
  const currency = o.currency ?? "USD";
  const products: ProductSummary[] = PRODUCTS.slice(0, o.products ?? 11).map(
    ([key, label, site], i) => {
      const seats = 200 + i * 1397;
      const dormant = 97 + i * 594;
      const grace = 3 + i;
      const price = currency === "USD" ? 7.53 + i : 0;
      return {
        productKey: key,
        resourceId: `ari:cloud:${key}::site/${i}c0ffee-1234-4bcd-9abc-${String(i).padStart(12, "0")}`,
        productName: label,
        label,
        siteUrl: site,
        seats,
        active: seats - dormant - grace,
        grace,
        dormant,
        neverActive: 20 + i,
        activeWithinDays: {
          "30": seats - dormant - 50,
          "60": seats - dormant - 20,
          "90": seats - dormant - grace,
          "180": seats - 10,
        },
        byThreshold: {},
        pricePerSeatMonthly: price,
        priceSource: currency === "USD" ? "list price (USD)" : "none",
        reclaimableMonthly: Math.round(dormant * price * 100) / 100,
      };
    },
  );
  const end = Date.parse(DATA_AS_OF);
  const trend = Array.from({ length: crawls }, (_, k) => {
    const back = crawls - 1 - k;
    const at = o.sameDay ? end - back * 2 * 3_600_000 : end - back * 7 * 86_400_000;
    return {
      crawlRunId: k + 1,
      at: new Date(at).toISOString(),
      dormant: Object.fromEntries(
        products.map((p, i) => [productId(p), Math.max(0, p.dormant - back * (i + 3) * 7)]),
      ),
    };
  });
  const sum = (f: (p: ProductSummary) => number) => products.reduce((a, p) => a + f(p), 0);
  const monthly = Math.round(sum((p) => p.reclaimableMonthly) * 100) / 100;
  return {
    orgId: "5f3c9a10-0d6e-4f7b-9a55-2b1e8c7d4a01",
    orgName: "Acme Corporation & Söhne",
    crawlRunId: crawls,
    dataAsOf: DATA_AS_OF,
    generatedAt: "2026-11-28T13:30:00.000Z",
    currency,
    billing: "monthly",
    dormantAfterDays: 90,
    newUserGraceDays: 30,
    thresholdsDays: [30, 60, 90, 180],
    totals: {
      users: 25_000,
      billableSeats: sum((p) => p.seats),
      activeSeats: sum((p) => p.active),
      graceSeats: sum((p) => p.grace),
      dormantSeats: sum((p) => p.dormant),
      neverActiveSeats: sum((p) => p.neverActive),
      dormantUsers: 4321,
      graceUsers: 55,
    },
    products,
    savings: {
      projectedMonthly: monthly,
      projectedAnnual: Math.round(monthly * 12 * 100) / 100,
      monthlyByThreshold: {
        "30": monthly * 1.3,
        "60": monthly * 1.1,
        "90": monthly,
        "180": monthly * 0.7,
      },
    },
    trend,
    unmatchedPriceKeys: o.unmatchedPriceKeys ?? [],
  };
}

/** `n` dormant rows over the summary's products (every third product unused, some never). */
export function fixtureRows(summary: ReportSummary, n: number): DormantRow[] {
  const end = Date.parse(DATA_AS_OF);
  return Array.from({ length: n }, (_, i) => ({
    name: i === 0 ? "Maximilian Alexander von Hohenzollern-Sigmaringen" : `User ${i}`,
    email:
      i === 0
        ? "maximilian.alexander.vonhohenzollern@acme-corporation.example"
        : `user${i}@acme.example`,
    accountId: `5b10ac8d82e05b22cc7d${String(i).padStart(4, "0")}`,
    accountType: "atlassian",
    status: "active",
    claimStatus: "managed",
    managementSource: i % 4 === 0 ? "synced" : "",
    idpSynced: i % 4 === 0,
    lastActive: summary.products.map((_, k) =>
      (i + k) % 3 === 0
        ? null
        : (i + k) % 5 === 0
          ? "never"
          : new Date(end - ((i * 13 + k) % 400) * 86_400_000),
    ),
    daysIdle: i % 5 === 0 ? null : 90 + ((i * 13) % 300),
    bucket:
      i % 5 === 0 ? { label: "never used", colour: "red" } : { label: "180+ days", colour: "red" },
    neverActive: i % 7 === 0,
    addedToOrg: new Date(end - (((i * 7) % 900) + 40) * 86_400_000),
    billableVia: i % 2 === 0 ? "jira-users (user); confluence-users (user)" : "direct: Loom",
    dormantProducts: summary.products
      .filter((_, k) => (i + k) % 3 !== 0)
      .slice(0, 3)
      .map((p) => p.label),
    action: i % 4 === 0 ? "change in the IdP" : "suspend",
  }));
}

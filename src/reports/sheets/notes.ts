/** Sentences several sheets share: where prices came from, and config keys that matched nothing. */
import type { ProductSummary, ReportSummary } from "../summary.ts";

/** The "Price from" cell: where this product's price came from, in words. */
export function priceSourceText(p: ProductSummary, currency: string): string {
  switch (p.priceSource) {
    case "config":
      return `config (${currency})`;
    case "list price (USD)":
      return "Atlassian list price (USD)";
    case "none":
      return `none: set report.pricesPerSeatMonthly.${p.productKey}`;
  }
}

function names(products: readonly ProductSummary[]): string {
  return products.map((p) => p.label).join(", ");
}

/**
 * Where the prices came from, honestly: which products use the configured prices, which
 * Atlassian's USD list prices (never shown as another currency), and which have none.
 */
export function pricesNote(summary: ReportSummary): string {
  const by = (source: ProductSummary["priceSource"]) =>
    summary.products.filter((p) => p.priceSource === source);
  const parts: string[] = [];
  const configured = by("config");
  const list = by("list price (USD)");
  const none = by("none");
  if (configured.length > 0) {
    parts.push(
      `${configured.length} from the config (report.pricesPerSeatMonthly, in ${summary.currency})`,
    );
  }
  if (list.length > 0) {
    const all = list.length === summary.products.length;
    parts.push(
      `${all ? "all " : ""}${list.length} at Atlassian's list price in USD (Standard tier, monthly), not your contract's price${all ? "" : `: ${names(list)}`}`,
    );
  }
  if (none.length > 0) {
    const why =
      summary.currency === "USD"
        ? "no list price known"
        : `list prices are in USD and this report is in ${summary.currency}`;
    parts.push(
      `${none.length} without a price, so their savings count as 0 (${why}; set report.pricesPerSeatMonthly for ${none.map((p) => p.productKey).join(", ")} in ${summary.currency}): ${names(none)}`,
    );
  }
  return parts.length === 0 ? "Prices: no products." : `Prices per seat: ${parts.join("; ")}.`;
}

/** Config price keys that match no product of the org, as a warning; null when there are none. */
export function unmatchedKeysNote(summary: ReportSummary): string | null {
  const keys = summary.unmatchedPriceKeys;
  if (keys.length === 0) return null;
  const known = [...new Set(summary.products.map((p) => p.productKey))].join(", ");
  return `Check report.pricesPerSeatMonthly: ${keys.map((k) => `"${k}"`).join(", ")} ${keys.length === 1 ? "matches" : "match"} no product of this org, so ${keys.length === 1 ? "it is" : "they are"} not used (this org's product keys: ${known || "none"}).`;
}

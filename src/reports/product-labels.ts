/**
 * One readable, unique label per product instance for every place a product is named (sheet
 * headers, "Dormant in", the chart, the email): the product's name, with the site added when
 * two instances would otherwise read the same.
 */

export interface LabelledProduct {
  productKey: string;
  resourceId: string;
  name: string | null;
  siteUrl: string | null;
}

/** The key that identifies a product instance in maps and stored summaries. */
export function productId(p: { productKey: string; resourceId: string }): string {
  return `${p.productKey} ${p.resourceId}`;
}

/** Labels by productId(), unique across `products`. */
export function productLabels(products: readonly LabelledProduct[]): Map<string, string> {
  const base = new Map(products.map((p) => [productId(p), p.name ?? p.productKey]));
  const uses = new Map<string, number>();
  for (const label of base.values()) uses.set(label, (uses.get(label) ?? 0) + 1);
  const out = new Map<string, string>();
  for (const p of products) {
    const label = base.get(productId(p)) ?? p.productKey;
    if ((uses.get(label) ?? 0) < 2) {
      out.set(productId(p), label);
      continue;
    }
    const site = p.siteUrl?.replace(/^https?:\/\//, "").replace(/\/+$/, "");
    out.set(
      productId(p),
      `${label} — ${site ?? p.resourceId.slice(p.resourceId.lastIndexOf("/") + 1)}`,
    );
  }
  return out;
}

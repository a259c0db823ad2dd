/**
 * One name per product. The Admin API names the same product instance differently by
 * endpoint: v2 `productAccess` says `jira`, last-active-dates says `jira-software`, and ids may
 * be full ARIs or bare cloud ids. Products are keyed by the workspace (from the Workspaces
 * API): its ARI as `resourceId` and its `typeKey` as `productKey`. Anything that names an
 * unknown workspace keeps the id and key it came with, so nothing is dropped.
 */
import type { Workspace } from "../atlassian/index.ts";

export interface ProductRef {
  productKey: string;
  resourceId: string;
}

export interface CatalogProduct extends ProductRef {
  name: string | null;
  siteUrl: string | null;
  workspaceType: string | null;
}

/** Known product keys by name, for ids that carry no workspace. */
const PRODUCT_NAMES: Record<string, string> = {
  "jira-software": "Jira Software",
  jira: "Jira",
  confluence: "Confluence",
  "jira-servicedesk": "Jira Service Management",
  "jira-service-desk": "Jira Service Management",
  "jira-core": "Jira Work Management",
  opsgenie: "Opsgenie",
  statuspage: "Statuspage",
  bitbucket: "Bitbucket",
  trello: "Trello",
};

export class ProductCatalog {
  private readonly byId = new Map<string, CatalogProduct>();
  /** cloud id → workspaces on that site */
  private readonly bySite = new Map<string, CatalogProduct[]>();
  private readonly discovered = new Map<string, CatalogProduct>();

  constructor(products: CatalogProduct[]) {
    for (const product of products) {
      this.byId.set(product.resourceId, product);
      const cloudId = product.resourceId.slice(product.resourceId.lastIndexOf("/") + 1);
      const site = this.bySite.get(cloudId) ?? [];
      site.push(product);
      this.bySite.set(cloudId, site);
    }
  }

  static fromWorkspaces(workspaces: Workspace[]): ProductCatalog {
    return new ProductCatalog(
      workspaces.map((w) => {
        const productName = PRODUCT_NAMES[w.typeKey];
        return {
          productKey: w.typeKey,
          resourceId: w.id,
          name: productName ? `${productName} (${w.name})` : w.name,
          siteUrl: w.url ?? null,
          workspaceType: w.productKey ?? null,
        };
      }),
    );
  }

  /** Every product known so far: the workspaces plus any discovered in activity data. */
  products(): CatalogProduct[] {
    return [...this.byId.values(), ...this.discovered.values()];
  }

  /** Products first seen in activity or grants (not listed as workspaces), to be stored too. */
  takeDiscovered(): CatalogProduct[] {
    const out = [...this.discovered.values()];
    for (const p of out) this.byId.set(p.resourceId, p);
    this.discovered.clear();
    return out;
  }

  /**
   * The canonical product for an id and key as one endpoint reported them.
   * @param key the endpoint's product key (`jira`, `jira-software` …) or role resource owner
   */
  /** Whether `id` is a product resource the org's workspaces (or an earlier answer) named. */
  knows(id: string): boolean {
    return this.byId.has(id) || this.discovered.has(id);
  }

  resolve(id: string, key: string | undefined): ProductRef {
    const exact = this.byId.get(id) ?? this.discovered.get(id);
    if (exact) return exact;
    const site = this.bySite.get(id.slice(id.lastIndexOf("/") + 1));
    if (site) {
      const match =
        site.length === 1
          ? site[0]
          : site.find((p) => key !== undefined && keysMatch(p.productKey, key));
      if (match) return match;
    }
    const productKey = key ?? ariProduct(id) ?? "unknown";
    const found: CatalogProduct = {
      productKey,
      resourceId: id,
      name: PRODUCT_NAMES[productKey] ?? null,
      siteUrl: null,
      workspaceType: null,
    };
    this.discovered.set(id, found);
    return found;
  }
}

/** `jira` (v2) ~ `jira-software`, `jira-servicedesk` ~ `jira-service-desk`. */
function keysMatch(canonical: string, other: string): boolean {
  const norm = (k: string) => k.replace(/-/g, "");
  if (norm(canonical) === norm(other)) return true;
  return other === "jira" && canonical === "jira-software";
}

/** `ari:cloud:confluence::site/…` → `confluence`. */
function ariProduct(id: string): string | undefined {
  const m = /^ari:cloud:([^:]+)::/.exec(id);
  return m?.[1];
}

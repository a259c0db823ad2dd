import { describe, expect, it } from "vitest";
import { ProductCatalog } from "../../../src/crawl/product-catalog.ts";

const site = "70ef3a32-d0da-4e09-b35e-0109f91969c3";
const catalog = () =>
  ProductCatalog.fromWorkspaces([
    {
      id: `ari:cloud:jira-software::site/${site}`,
      cloudId: site,
      typeKey: "jira-software",
      name: "acme",
      url: "https://acme.atlassian.net",
    },
    {
      id: `ari:cloud:jira-servicedesk::site/${site}`,
      cloudId: site,
      typeKey: "jira-service-desk",
      name: "acme",
      url: "https://acme.atlassian.net",
    },
    {
      id: "ari:cloud:confluence::site/c0ffee00-0000-4000-8000-000000000001",
      cloudId: "c0ffee00-0000-4000-8000-000000000001",
      typeKey: "confluence",
      name: "wiki",
    },
  ]);

describe("ProductCatalog", () => {
  it("gives the v2 and the last-active-dates names of one product the same identity", () => {
    const c = catalog();
    const fromBulk = c.resolve(`ari:cloud:jira-software::site/${site}`, "jira");
    const fromPerUser = c.resolve(`ari:cloud:jira-software::site/${site}`, "jira-software");
    expect(fromBulk).toEqual(fromPerUser);
    expect(fromBulk.productKey).toBe("jira-software");
  });

  it("matches a bare cloud id or another ARI form by site and product key", () => {
    const c = catalog();
    expect(c.resolve(site, "jira-servicedesk").resourceId).toBe(
      `ari:cloud:jira-servicedesk::site/${site}`,
    );
    expect(c.resolve(`ari:cloud:jira::site/${site}`, "jira").resourceId).toBe(
      `ari:cloud:jira-software::site/${site}`,
    );
    expect(c.resolve("c0ffee00-0000-4000-8000-000000000001", "confluence").productKey).toBe(
      "confluence",
    );
  });

  it("keeps a product it does not know, and hands it over once to be stored", () => {
    const c = catalog();
    const unknown = c.resolve("ari:cloud:opsgenie::site/aaaa", "opsgenie");
    expect(unknown).toMatchObject({
      productKey: "opsgenie",
      resourceId: "ari:cloud:opsgenie::site/aaaa",
    });
    expect(c.takeDiscovered().map((p) => p.resourceId)).toEqual(["ari:cloud:opsgenie::site/aaaa"]);
    expect(c.takeDiscovered()).toEqual([]);
    expect(c.resolve("ari:cloud:opsgenie::site/aaaa", undefined).productKey).toBe("opsgenie");
  });
});

/** Report files are named by the org's name and the date in the org's time zone, never clash. */
import { describe, expect, it } from "vitest";
import { orgSlugs, reportBaseName, slug } from "../../../src/reports/file-names.ts";

describe("report file names", () => {
  it("slugs org names readably", () => {
    expect(slug("Acme Corporation & Söhne (EU)")).toBe("acme-corporation-sohne-eu");
    expect(slug("  ...  ")).toBe("");
  });

  it("uses the org's name, else its id, and tells apart orgs that share a name", () => {
    const slugs = orgSlugs([
      { orgId: "aaaa1111-0000", orgName: "Acme" },
      { orgId: "bbbb2222-0000", orgName: "ACME" },
      { orgId: "cccc3333-0000", orgName: "Initech" },
      { orgId: "dddd4444-0000", orgName: null },
      { orgId: "eeee5555-0000", orgName: "日本" },
    ]);
    expect([...slugs.values()]).toEqual([
      "acme-aaaa1111",
      "acme-bbbb2222",
      "initech",
      "dddd4444-0000",
      "eeee5555-0000",
    ]);
  });

  it("dates the file in the org's time zone and marks rebuilds with their run", () => {
    const at = new Date("2026-11-28T23:30:00Z");
    expect(reportBaseName("acme", at, "UTC")).toBe("reclaim-acme-2026-11-28");
    expect(reportBaseName("acme", at, "Europe/Berlin")).toBe("reclaim-acme-2026-11-29");
    expect(reportBaseName("acme", at, "UTC", 12)).toBe("reclaim-acme-2026-11-28-run12");
  });
});

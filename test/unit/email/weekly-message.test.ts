import { describe, expect, it } from "vitest";
import { buildWeeklyMessage, CHART_CID, subjectFor } from "../../../src/email/weekly-message.ts";
import { summaryFixture } from "../../helpers/email-fixture.ts";

const png = Buffer.from("89504e470d0a1a0a", "hex");
const workbook = {
  filename: "reclaim-org-1-2026-11-27.xlsx",
  path: "/tmp/reclaim-org-1-2026-11-27.xlsx",
  contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

describe("weekly message", () => {
  const input = {
    summary: summaryFixture("org-1"),
    audience: "admins" as const,
    period: "2026-W48",
    from: "reclaim@example.com",
    to: "admin@example.com",
    chartPng: png,
    workbook,
  };

  it("states the headline numbers in both bodies", () => {
    const m = buildWeeklyMessage(input);
    for (const body of [m.text, m.html]) {
      expect(body).toContain("321");
      expect(body).toContain("$2,130");
      expect(body).toContain("$25,564");
      expect(body).toContain("Jira Software (acme)");
      expect(body).toContain("policy step: not enabled");
    }
    expect(m.text.indexOf("Jira Software")).toBeLessThan(m.text.indexOf("Confluence"));
  });

  it("embeds the chart by a content id the HTML refers to", () => {
    const m = buildWeeklyMessage(input);
    const image = m.attachments.find((a) => a.cid === CHART_CID);
    expect(image?.contentDisposition).toBe("inline");
    expect(m.html).toContain(`src="cid:${CHART_CID}"`);
    expect(m.attachments.find((a) => a.filename === workbook.filename)?.path).toBe(workbook.path);
  });

  it("escapes names that come from the org", () => {
    const m = buildWeeklyMessage(input);
    expect(m.html).toContain("Acme &lt;Corp&gt; &amp; Co");
    expect(m.html).not.toMatch(/Acme <Corp>/);
  });

  it("says where a workbook that could not be attached is", () => {
    const note =
      "The workbook is too large to attach (30.0 MB, limit 10.0 MB); it is at /srv/x.xlsx";
    const m = buildWeeklyMessage({ ...input, workbook: { ...workbook, path: undefined, note } });
    expect(m.attachments.map((a) => a.contentType)).toEqual(["image/png"]);
    expect(m.text).toContain(note);
    expect(m.html).toContain("too large to attach");
  });

  it("writes a subject per audience", () => {
    expect(subjectFor(input.summary, "finance", "2026-W48")).toBe(
      "[Reclaim] Acme <Corp> & Co seat costs 2026-W48: $2,130/month reclaimable",
    );
  });
});

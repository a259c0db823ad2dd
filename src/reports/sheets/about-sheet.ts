/**
 * The About sheet: definitions, thresholds, time zone, prices, freshness and ids. Long
 * explanations wrap in their cell, and each row is as tall as its text, so no line runs into
 * the next.
 */
import { describeBuckets } from "../../rules/index.ts";
import { wallClock } from "../formats.ts";
import { columnPx, fitToWidth } from "../sheet-layout.ts";
import type { SheetStyles } from "../styles.ts";
import { addRow, wrappedHeight, type SheetContext } from "./context.ts";
import { pricesNote, unmatchedKeysNote } from "./notes.ts";

const LABEL_WIDTH = 30;
const TEXT_WIDTH = 90;

export function writeAboutSheet(ctx: SheetContext): void {
  const { summary: s, config, styles: st, timeZone } = ctx;
  const print = fitToWidth({
    widthPx: columnPx(LABEL_WIDTH) + columnPx(TEXT_WIDTH),
    heading: ctx.heading,
    titleRow: true,
  });
  const a = ctx.wb.addWorksheet("About", {
    views: [{ state: "frozen", ySplit: 1 }],
    pageSetup: print.pageSetup,
    headerFooter: print.headerFooter,
  });
  a.columns = [{ width: LABEL_WIDTH }, { width: TEXT_WIDTH }];
  addRow(a, ["Term", "Meaning"], st.header, 18);
  const unmatched = unmatchedKeysNote(s);
  type Line = [string, string | number | Date, SheetStyles["text"]?];
  const about: Line[] = [
    ["Thresholds (days idle)", s.thresholdsDays.join(", ")],
    ["Dormant after (days)", s.dormantAfterDays, st.valueCount],
    ["New-user grace period (days)", config.newUserGraceDays, st.valueCount],
    ["Idle buckets", describeBuckets(s.thresholdsDays)],
    [
      "Active, grace, dormant",
      `A seat is active when used in the last ${s.dormantAfterDays} days (days idle < ${s.dormantAfterDays}); otherwise it is in the grace period when its user joined the org in the last ${config.newUserGraceDays} days, else dormant. Seats = active + grace + dormant on every row.`,
    ],
    [
      "What counts as active",
      "Atlassian records a user as active in a product when they view a page in it for at least 2 seconds; last-active dates come from Atlassian's organization APIs.",
    ],
    [
      "Billable seat",
      "A person's account (not an app or customer), not deactivated, with active org membership and access to the product.",
    ],
    [
      "Days idle",
      "Days since the last activity in the user's most idle dormant product; empty when a dormant product was never used.",
    ],
    [
      "Times",
      `Dates and times in this workbook are in ${timeZone} (config report.timezone). The CSV has them in UTC (ISO 8601).`,
    ],
    ["Prices", pricesNote(s)],
    ...(unmatched === null
      ? []
      : [["Unmatched price keys", unmatched, st.warningWrapped] satisfies Line]),
    [
      "Data freshness",
      "Atlassian's activity data can lag up to 24 hours behind the crawl's finish time.",
    ],
    [`Data as of (${timeZone})`, wallClock(new Date(s.dataAsOf), timeZone), st.valueDateTime],
    [`Generated (${timeZone})`, wallClock(new Date(s.generatedAt), timeZone), st.valueDateTime],
    ["Crawl run id", s.crawlRunId, st.valueCount],
    ["Org", s.orgName ?? s.orgId],
    ["Org id", s.orgId],
    ctx.reportId === null || ctx.reportId === undefined
      ? ["Report id", "(rebuilt from history: not recorded as a weekly report)"]
      : ["Report id", ctx.reportId, st.valueCount],
  ];
  for (const [term, meaning, style] of about) {
    const height = typeof meaning === "string" ? wrappedHeight(meaning, TEXT_WIDTH - 2) : undefined;
    addRow(a, [term, meaning], [st.term, style ?? st.wrapped], height);
  }
  a.commit();
}

/**
 * The Summary sheet: the headline figures, seats per product and site with a total, the
 * notes a reader must see (prices, misspelled price keys), the report's details, and the
 * chart on a page of its own.
 */
import { countText, dateTimeText } from "../formats.ts";
import { columnPx, layoutHeader, PRINTABLE, scaledToWidth, textWidth } from "../sheet-layout.ts";
import { addNote, addRow, siteText, type SheetContext, type Worksheet } from "./context.ts";
import { pricesNote, unmatchedKeysNote } from "./notes.ts";

export interface ChartPlacement {
  /** The Summary sheet (the chart's part is xl/worksheets/sheet<id>.xml). */
  sheet: Worksheet;
  /** 0-based row of the chart's top-left corner (column A). */
  row: number;
  widthPx: number;
  heightPx: number;
}

/** Writes the Summary; returns where the chart goes, sized to fit one printed page. */
export function writeSummarySheet(
  ctx: SheetContext,
  chart: { widthPx: number; heightPx: number },
): ChartPlacement {
  const { summary: s, styles: st, timeZone } = ctx;
  const cur = s.currency;
  const headline: [string, number, "count" | "money"][] = [
    ["Dormant seats", s.totals.dormantSeats, "count"],
    ["Users dormant in ≥ 1 product", s.totals.dormantUsers, "count"],
    [`Projected monthly savings (${cur})`, s.savings.projectedMonthly, "money"],
    [`Projected annual savings (${cur})`, s.savings.projectedAnnual, "money"],
  ];
  const figures: [string, number][] = [
    ["Billable seats", s.totals.billableSeats],
    [`Active seats (used in the last ${s.dormantAfterDays} days)`, s.totals.activeSeats],
    [`Seats in the new-user grace period (${s.newUserGraceDays} days)`, s.totals.graceSeats],
    ["Never-active seats (in grace or dormant)", s.totals.neverActiveSeats],
    ["Users in the grace period", s.totals.graceUsers],
    ["Users in the org", s.totals.users],
  ];
  const tableTitles = ["Product", "Site", "Seats", "Active", "In grace", "Dormant", "Never active"];
  const labelWidth = Math.max(
    ...headline.map(([l]) => textWidth(l, true)),
    ...figures.map(([l]) => textWidth(l, true)),
    ...s.products.map((p) => textWidth(p.label)),
  );
  const siteWidth = Math.max(
    16,
    ...s.products.map((p) => textWidth(siteText(p.siteUrl))),
    textWidth(`${cur} ${countText(Math.round(s.savings.projectedAnnual))}.00`, true) * 1.3,
  );
  const numberWidth = textWidth(countText(Math.max(0, s.totals.billableSeats)));
  const { widths, heightPt } = layoutHeader(tableTitles, [
    { content: labelWidth, max: 50 },
    { content: siteWidth, max: 36 },
    ...tableTitles.slice(2).map(() => ({ content: numberWidth, max: 14 })),
  ]);
  const widthPx = widths.reduce((a, w) => a + columnPx(w), 0);
  const textUnits = widths.reduce((a, w) => a + w, 0) - 2;
  // Fixed scale (not fit-to-page): a page break keeps the chart on a page of its own, and
  // Excel and LibreOffice ignore manual breaks when fitting.
  const print = scaledToWidth(
    { widthPx: Math.max(widthPx, chart.widthPx + 10), heading: ctx.heading },
    "landscape",
  );
  const ws = ctx.wb.addWorksheet("Summary", {
    pageSetup: print.pageSetup,
    headerFooter: print.headerFooter,
    views: [{ showGridLines: false }],
  });
  ws.columns = widths.map((width) => ({ width }));

  const org = s.orgName ?? s.orgId;
  addRow(ws, [`Dormant accounts — ${org}`], st.title, 26);
  addNote(
    ws,
    `Data as of ${dateTimeText(s.dataAsOf, timeZone)} (${timeZone}), crawl run ${s.crawlRunId}; generated ${dateTimeText(s.generatedAt, timeZone)}. A seat is dormant when it was not used in ${s.dormantAfterDays} days (or never) and its user joined more than ${s.newUserGraceDays} days ago. Atlassian's activity data can lag up to 24 hours.`,
    textUnits,
    st.subtitle,
  );
  addRow(ws, [], st.plain);
  for (const [label, value, kind] of headline) {
    addRow(
      ws,
      [label, value],
      [st.headlineLabel, kind === "money" ? st.headlineMoney : st.headlineCount],
      20,
    );
  }
  for (const [label, value] of figures) addRow(ws, [label, value], [st.bold, st.valueCount]);
  addRow(ws, [], st.plain);

  addRow(ws, ["Seats per product and site"], st.section, 20);
  const headerRow = addRow(ws, tableTitles, st.header, heightPt);
  const counts = [st.text, st.text, st.count, st.count, st.count, st.count, st.count];
  for (const p of s.products) {
    addRow(
      ws,
      [p.label, siteText(p.siteUrl), p.seats, p.active, p.grace, p.dormant, p.neverActive],
      counts,
    );
  }
  const first = headerRow + 1;
  const last = headerRow + s.products.length;
  const total = (col: string, result: number) =>
    s.products.length === 0 ? result : { formula: `SUM(${col}${first}:${col}${last})`, result };
  addRow(
    ws,
    [
      "Total",
      "",
      total("C", s.totals.billableSeats),
      total("D", s.totals.activeSeats),
      total("E", s.totals.graceSeats),
      total("F", s.totals.dormantSeats),
      total("G", s.totals.neverActiveSeats),
    ],
    [st.totalLabel, st.totalLabel, ...Array<typeof st.totalCount>(5).fill(st.totalCount)],
  );
  addRow(ws, [], st.plain);

  const unmatched = unmatchedKeysNote(s);
  if (unmatched !== null) addNote(ws, unmatched, textUnits, st.warning);
  // The chart starts a page of its own, after the last note.
  const lastRow = addNote(ws, pricesNote(s), textUnits, st.note, true);
  const scale = (print.pageSetup.scale ?? 100) / 100;
  const fit = Math.min(1, PRINTABLE.landscape.heightPx / scale / (chart.heightPx + 8));
  ws.commit();
  return {
    sheet: ws,
    // 0-based: the row after the break.
    row: lastRow,
    widthPx: Math.floor(chart.widthPx * fit),
    heightPx: Math.floor(chart.heightPx * fit),
  };
}

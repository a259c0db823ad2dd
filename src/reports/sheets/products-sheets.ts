/**
 * The Products sheet (seats, their states, activity windows and cost per product and site,
 * with a total row; seats = active + in grace + dormant on every row) and the Finance sheet
 * (prices, projected savings as formulas over Products, and savings at each threshold).
 */
import { countText } from "../formats.ts";
import { columnPx, fitLegibly, fitToWidth, layoutHeader, textWidth } from "../sheet-layout.ts";
import type { SheetStyles } from "../styles.ts";
import type { ReportSummary } from "../summary.ts";
import {
  addNote,
  addRow,
  colLetter,
  siteText,
  type SheetContext,
  type Worksheet,
} from "./context.ts";
import { priceSourceText, pricesNote, unmatchedKeysNote } from "./notes.ts";

/** Where the Products sheet put the columns the Finance sheet refers to. */
export interface ProductsLayout {
  dormantCol: string;
  priceCol: string;
  reclaimCol: string;
  /** Last product row (the total row is the next one). */
  last: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function writeProductsSheet(ctx: SheetContext): ProductsLayout {
  const { summary, styles: st } = ctx;
  const windows = ctx.config.thresholdsDays;
  const cur = summary.currency;
  const headers = [
    "Product",
    "Product key",
    "Site",
    "Resource id",
    "Seats",
    `Active (last ${summary.dormantAfterDays} days)`,
    "In grace period",
    "Dormant",
    "Never active",
    ...windows.map((w) => `Active in last ${w} days`),
    `Price / seat / month (${cur})`,
    "Price from",
    `Reclaimable / month (${cur})`,
  ];
  const ps = summary.products;
  const widest = (f: (p: (typeof ps)[number]) => string, min = 8) =>
    Math.max(min, ...ps.map((p) => textWidth(f(p))));
  const seatsWidth = textWidth(countText(summary.totals.billableSeats));
  const moneyWidth = textWidth(`$${countText(Math.round(summary.savings.projectedMonthly))}.00`);
  const { widths, heightPt } = layoutHeader(headers, [
    { content: widest((p) => p.label), max: 44 },
    { content: widest((p) => p.productKey) },
    { content: widest((p) => siteText(p.siteUrl)), max: 34 },
    { content: widest((p) => p.resourceId), max: 40 },
    ...Array.from({ length: 5 + windows.length }, () => ({ content: seatsWidth })),
    { content: textWidth("$999.99") },
    { content: widest((p) => priceSourceText(p, cur)), max: 44 },
    { content: moneyWidth },
  ]);
  const widthPx = widths.reduce((a, w) => a + columnPx(w), 0);
  const print = fitLegibly({ widthPx, heading: ctx.heading, titleRow: true });
  const p = ctx.wb.addWorksheet("Products", {
    views: [{ state: "frozen", ySplit: 1 }],
    pageSetup: print.pageSetup,
    headerFooter: print.headerFooter,
  });
  p.columns = widths.map((width) => ({ width }));
  addRow(p, headers, st.header, heightPt);
  p.autoFilter = `A1:${colLetter(headers.length)}1`;
  const priceIdx = 10 + windows.length;
  const dormantCol = colLetter(8);
  const priceCol = colLetter(priceIdx);
  const reclaimCol = colLetter(priceIdx + 2);
  const rowStyles = [
    st.text,
    st.text,
    st.text,
    st.text,
    ...Array<typeof st.count>(5 + windows.length).fill(st.count),
    st.money,
    st.text,
    st.money,
  ];
  ps.forEach((prod, i) => {
    const r = i + 2;
    addRow(
      p,
      [
        prod.label,
        prod.productKey,
        siteText(prod.siteUrl),
        prod.resourceId,
        prod.seats,
        prod.active,
        prod.grace,
        prod.dormant,
        prod.neverActive,
        ...windows.map((w) => prod.activeWithinDays[String(w)] ?? 0),
        prod.pricePerSeatMonthly,
        priceSourceText(prod, cur),
        { formula: `ROUND(${dormantCol}${r}*${priceCol}${r},2)`, result: prod.reclaimableMonthly },
      ],
      rowStyles,
    );
  });
  const last = ps.length + 1;
  const total = (col: number, result: number) =>
    ps.length === 0
      ? result
      : { formula: `SUM(${colLetter(col)}2:${colLetter(col)}${last})`, result };
  addRow(
    p,
    [
      "Total",
      "",
      "",
      "",
      total(5, summary.totals.billableSeats),
      total(6, summary.totals.activeSeats),
      total(7, summary.totals.graceSeats),
      total(8, summary.totals.dormantSeats),
      total(9, summary.totals.neverActiveSeats),
      ...windows.map(() => ""),
      "",
      "",
      total(priceIdx + 2, summary.savings.projectedMonthly),
    ],
    [
      ...Array<typeof st.totalLabel>(4).fill(st.totalLabel),
      ...Array<typeof st.totalCount>(5).fill(st.totalCount),
      ...windows.map(() => st.totalLabel),
      st.totalLabel,
      st.totalLabel,
      st.totalMoney,
    ],
  );
  p.commit();
  return { dormantCol, priceCol, reclaimCol, last };
}

export function writeFinanceSheet(ctx: SheetContext, layout: ProductsLayout): void {
  const { summary, styles: st } = ctx;
  const { dormantCol, priceCol, reclaimCol, last } = layout;
  const cur = summary.currency;
  const headers = [
    "Product",
    `Price / seat / month (${cur})`,
    `Price / seat / year (${cur})`,
    "Dormant seats (current threshold)",
    `Projected monthly savings (${cur})`,
    `Projected annual savings (${cur})`,
  ];
  const money = textWidth(`$${countText(Math.round(summary.savings.projectedAnnual))}.00`);
  const { widths, heightPt } = layoutHeader(headers, [
    {
      content: Math.max(
        textWidth("If the dormant threshold were…", true),
        ...summary.products.map((p) => textWidth(p.label)),
      ),
      max: 44,
    },
    { content: money },
    { content: money },
    { content: textWidth(countText(summary.totals.dormantSeats)) },
    { content: money },
    { content: money },
  ]);
  const widthPx = widths.reduce((a, w) => a + columnPx(w), 0);
  const textUnits = widths.reduce((a, w) => a + w, 0) - 2;
  const print = fitToWidth({ widthPx, heading: ctx.heading, titleRow: true });
  const f = ctx.wb.addWorksheet("Finance", {
    views: [{ state: "frozen", ySplit: 1 }],
    pageSetup: print.pageSetup,
    headerFooter: print.headerFooter,
  });
  f.columns = widths.map((width) => ({ width }));
  addRow(f, headers, st.header, heightPt);
  const rowStyles = [st.text, st.money, st.money, st.count, st.money, st.money];
  summary.products.forEach((prod, i) => {
    const r = i + 2;
    addRow(
      f,
      [
        prod.label,
        { formula: `Products!${priceCol}${r}`, result: prod.pricePerSeatMonthly },
        { formula: `B${r}*12`, result: round2(prod.pricePerSeatMonthly * 12) },
        { formula: `Products!${dormantCol}${r}`, result: prod.dormant },
        { formula: `Products!${reclaimCol}${r}`, result: prod.reclaimableMonthly },
        { formula: `ROUND(E${r}*12,2)`, result: round2(prod.reclaimableMonthly * 12) },
      ],
      rowStyles,
    );
  });
  const sum = (col: string, result: number) =>
    summary.products.length === 0 ? result : { formula: `SUM(${col}2:${col}${last})`, result };
  addRow(
    f,
    [
      "Total",
      "",
      "",
      sum("D", summary.totals.dormantSeats),
      sum("E", summary.savings.projectedMonthly),
      { formula: `ROUND(E${last + 1}*12,2)`, result: summary.savings.projectedAnnual },
    ],
    [st.totalLabel, st.totalLabel, st.totalLabel, st.totalCount, st.totalMoney, st.totalMoney],
  );
  addRow(f, [], st.plain);
  const unmatched = unmatchedKeysNote(summary);
  if (unmatched !== null) addNote(f, unmatched, textUnits, st.warning);
  addNote(
    f,
    `Billing: ${summary.billing}. ${pricesNote(summary)} A product without a price uses Atlassian's USD list price only when the report currency is USD.`,
    textUnits,
    st.note,
  );
  addRow(f, [], st.plain);
  addRow(
    f,
    [
      "If the dormant threshold were…",
      `Projected monthly savings (${cur})`,
      `Projected annual savings (${cur})`,
    ],
    st.header,
    heightPt,
  );
  for (const days of summary.thresholdsDays) {
    const m = summary.savings.monthlyByThreshold[String(days)] ?? 0;
    addRow(f, [`${days} days`, m, round2(m * 12)], [st.text, st.money, st.money]);
  }
  addRow(f, [], st.plain);
  addRow(f, ["Realized savings from past actions"], st.bold);
  writeRealizedRows(f, summary, st, textUnits);
  f.commit();
}

/** Realized savings of applied policy actions (not undone), beside the projected ones. */
function writeRealizedRows(
  f: Worksheet,
  summary: ReportSummary,
  st: SheetStyles,
  textUnits: number,
): void {
  const r = summary.realized;
  const cur = summary.currency;
  if (r === undefined || r.actions === 0) {
    addNote(
      f,
      "None yet: no policy action has been applied (see `reclaim policy plan`), so nothing is realized.",
      textUnits,
      st.text,
    );
    return;
  }
  addRow(
    f,
    ["Product", "Seats freed", `Realized monthly savings (${cur})`, `Saved to date (${cur})`],
    st.header,
  );
  for (const p of r.byProduct) {
    addRow(
      f,
      [p.productKey, p.seats, p.monthly, p.toDate],
      [st.text, st.count, st.money, st.money],
    );
  }
  addRow(
    f,
    ["Total", r.seats, r.monthly, r.toDate],
    [st.totalLabel, st.totalCount, st.totalMoney, st.totalMoney],
  );
  addRow(f, [], st.plain);
  addRow(
    f,
    ["Projected vs realized (monthly)", summary.savings.projectedMonthly, r.monthly],
    [st.bold, st.money, st.money],
  );
  addNote(
    f,
    `From ${r.actions} applied policy actions: price × seats freed × months since each action; undone actions and seats still held through another grant are not counted.`,
    textUnits,
    st.text,
  );
}

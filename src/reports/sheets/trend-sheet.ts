/** The Trend sheet: dormant seats per product at each past succeeded crawl, as Summary counts them. */
import { countText, wallClock } from "../formats.ts";
import { columnPx, fitLegibly, layoutHeader, textWidth } from "../sheet-layout.ts";
import { productId } from "../product-labels.ts";
import { addRow, type SheetContext } from "./context.ts";

export function writeTrendSheet(ctx: SheetContext): void {
  const { summary, styles: st, timeZone } = ctx;
  const products = summary.products.map((p) => ({ id: productId(p), label: p.label }));
  const headers = [
    "Crawl run",
    `Finished (${timeZone})`,
    ...products.map((p) => `Dormant: ${p.label}`),
    "Dormant: total",
    `Realized savings / month (${summary.currency})`,
  ];
  const counts = textWidth(countText(Math.max(summary.totals.billableSeats, 0)));
  const { widths, heightPt } = layoutHeader(headers, [
    { content: 6 },
    { content: 16 },
    ...products.map(() => ({ content: counts, max: 22 })),
    { content: counts },
    { content: 12 },
  ]);
  const widthPx = widths.reduce((a, w) => a + columnPx(w), 0);
  const print = fitLegibly({ widthPx, heading: ctx.heading, titleRow: true, titleColumns: "A:B" });
  const t = ctx.wb.addWorksheet("Trend", {
    views: [{ state: "frozen", ySplit: 1 }],
    pageSetup: print.pageSetup,
    headerFooter: print.headerFooter,
  });
  t.columns = widths.map((width) => ({ width }));
  addRow(t, headers, st.header, heightPt);
  const rowStyles = [st.text, st.dateTime, ...products.map(() => st.count), st.count, st.money];
  for (const point of summary.trend) {
    const values = products.map((p) => point.dormant[p.id] ?? 0);
    addRow(
      t,
      [
        point.crawlRunId,
        wallClock(new Date(point.at), timeZone),
        ...values,
        Object.values(point.dormant).reduce((a, b) => a + b, 0),
        point.realizedMonthly ?? 0,
      ],
      rowStyles,
    );
  }
  t.commit();
}

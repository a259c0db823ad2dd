/**
 * The chart as a reader sees it: every product and site label drawn in full (compared with
 * the labels, as measured by the canvas that drew them), nothing drawn over other text, one
 * colour per product in both panels and the legend, x labels that tell crawls apart, and text
 * no smaller than 11 px when the email shows it 592 px wide.
 */
import { describe, expect, it } from "vitest";
import { drawDormantChart, type DormantChart } from "../../../src/reports/chart.ts";
import { productId } from "../../../src/reports/product-labels.ts";
import type { ReportSummary } from "../../../src/reports/summary.ts";
import { fixtureSummary } from "./fixtures.ts";

const EMAIL_WIDTH = 592;

function overlaps(a: DormantChart["texts"][number], b: DormantChart["texts"][number]): boolean {
  const e = 0.5;
  return (
    a.x < b.x + b.width - e &&
    b.x < a.x + a.width - e &&
    a.y < b.y + b.height - e &&
    b.y < a.y + a.height - e
  );
}

function expectReadable(chart: DormantChart, summary: ReportSummary): void {
  // Every product's label, in the bars and in the legend, drawn whole (possibly wrapped).
  for (const p of summary.products) {
    for (const role of ["bar-label", "legend"] as const) {
      const lines = chart.texts.filter((t) => t.role === role && t.productId === productId(p));
      expect(lines.map((t) => t.text).join(" "), `${role} of ${p.label}`).toBe(p.label);
      for (const line of lines) expect(line.width).toBeLessThanOrEqual(line.maxWidth + 0.5);
    }
  }
  for (const t of chart.texts) {
    expect(t.x, t.text).toBeGreaterThanOrEqual(0);
    expect(t.x + t.width, t.text).toBeLessThanOrEqual(chart.widthPx);
    expect(t.y + t.height, t.text).toBeLessThanOrEqual(chart.heightPx);
    expect(t.width, t.text).toBeLessThanOrEqual(t.maxWidth + 0.5);
  }
  // No text box over another.
  for (let i = 0; i < chart.texts.length; i++) {
    for (let j = i + 1; j < chart.texts.length; j++) {
      const [a, b] = [chart.texts[i]!, chart.texts[j]!];
      expect(overlaps(a, b), `"${a.text}" over "${b.text}"`).toBe(false);
    }
  }
  // One colour per product, the same in the bars, the lines and the legend.
  const colours = summary.products.map((p) => {
    const marks = chart.marks.filter((m) => m.productId === productId(p));
    expect(marks.map((m) => m.place).sort()).toEqual(["bar", "legend", "line"]);
    expect(new Set(marks.map((m) => m.colour)).size, p.label).toBe(1);
    return marks[0]!.colour;
  });
  expect(new Set(colours).size).toBe(summary.products.length);
}

describe("dormant-seats chart", () => {
  for (const widthPx of [600, 900]) {
    it(`draws 11 products and 1 crawl in full at ${widthPx} px`, () => {
      const summary = fixtureSummary({ crawls: 1 });
      const chart = drawDormantChart(summary, { widthPx });
      expectReadable(chart, summary);
      const x = chart.texts.filter((t) => t.role === "x-label");
      expect(x.map((t) => t.text)).toEqual(["2026-11-28"]);
      expect(chart.texts.some((t) => t.text.includes("one crawl so far"))).toBe(true);
    });

    it(`tells apart two crawls on one day at ${widthPx} px`, () => {
      const summary = fixtureSummary({ crawls: 2, sameDay: true });
      const chart = drawDormantChart(summary, { widthPx, timeZone: "Europe/Berlin" });
      expectReadable(chart, summary);
      const x = chart.texts.filter((t) => t.role === "x-label").map((t) => t.text);
      // 10:00 and 12:00 UTC are 11:00 and 13:00 in Berlin in November.
      expect(x).toEqual(["2026-11-28 11:00", "2026-11-28 13:00"]);
      expect(chart.texts.some((t) => t.text.includes("(Europe/Berlin)"))).toBe(true);
    });

    it(`labels 52 crawls without crowding at ${widthPx} px`, () => {
      const summary = fixtureSummary({ crawls: 52 });
      const chart = drawDormantChart(summary, { widthPx });
      expectReadable(chart, summary);
      const x = chart.texts.filter((t) => t.role === "x-label").map((t) => t.text);
      expect(x.length).toBeGreaterThanOrEqual(3);
      expect(new Set(x).size).toBe(x.length);
      expect(x[0]).toBe(summary.trend[0]!.at.slice(0, 10));
      expect(x[x.length - 1]).toBe("2026-11-28");
    });
  }

  it("labels two crawls in the same minute by their run", () => {
    const summary = fixtureSummary({ crawls: 2 });
    summary.trend[0]!.at = summary.trend[1]!.at;
    const x = drawDormantChart(summary)
      .texts.filter((t) => t.role === "x-label")
      .map((t) => t.text);
    expect(x).toEqual(["2026-11-28 12:00 (run 1)", "2026-11-28 12:00 (run 2)"]);
  });

  it("is drawn for the email's width, sharp at 2x, with no text under 11 px there", () => {
    const summary = fixtureSummary({ crawls: 8 });
    const chart = drawDormantChart(summary);
    expect(chart.widthPx).toBe(600);
    expect(chart.png.readUInt32BE(16)).toBe(1200); // IHDR width
    expect(chart.png.readUInt32BE(20)).toBe(chart.heightPx * 2);
    const smallest = Math.min(...chart.texts.map((t) => t.fontPx));
    expect(smallest * (EMAIL_WIDTH / chart.widthPx)).toBeGreaterThanOrEqual(11);
  });

  it("gives products past the palette colours of their own", () => {
    const summary = fixtureSummary({ crawls: 3 });
    const many = [...summary.products, ...summary.products].map((p, i) => ({
      ...p,
      resourceId: `${p.resourceId}-${i}`,
      label: `${p.label} #${i}`,
    }));
    const chart = drawDormantChart({ ...summary, products: many, trend: [] });
    const colours = new Set(chart.marks.filter((m) => m.place === "bar").map((m) => m.colour));
    expect(colours.size).toBe(22);
  });
});

/**
 * The Summary chart as a PNG: dormant seats against all billable seats per product (horizontal
 * bars, so every product and site label is drawn in full, wrapped where long) and dormant seats
 * per product over past crawls (lines), with one colour per product in both panels and the
 * legend. Laid out in CSS pixels for a target width (600 for the email: panels stacked; wider:
 * side by side) and drawn at `scale` device pixels per CSS pixel, so it stays sharp when a mail
 * client or Excel scales it. Drawn with @napi-rs/canvas; every text drawn is recorded with the
 * width it was measured at and the room it had, so tests can check nothing is cut or overlaps.
 */
import { existsSync } from "node:fs";
import { createCanvas, GlobalFonts, type SKRSContext2D } from "@napi-rs/canvas";
import { countText, dateText, dateTimeText } from "./formats.ts";
import { productId } from "./product-labels.ts";
import type { ReportSummary } from "./summary.ts";

export interface ChartOptions {
  /** CSS pixels the chart is laid out for; below 840 the panels are stacked. Default 600. */
  widthPx?: number;
  /** Device pixels per CSS pixel in the PNG. Default 2. */
  scale?: number;
  /** IANA zone the crawl times are labelled in. Default UTC. */
  timeZone?: string;
}

export type ChartTextRole =
  | "title"
  | "subtitle"
  | "panel-title"
  | "bar-label"
  | "bar-value"
  | "legend"
  | "x-label"
  | "y-label"
  | "axis-title"
  | "note";

/** One piece of text as drawn: its box in CSS pixels and the width it was allowed. */
export interface ChartText {
  text: string;
  role: ChartTextRole;
  /** Set for the lines of a product's bar label and legend entry. */
  productId?: string;
  x: number;
  /** Top of the line box. */
  y: number;
  width: number;
  height: number;
  maxWidth: number;
  fontPx: number;
}

/** The colour a product was drawn in, per place. */
export interface ChartMark {
  productId: string;
  place: "bar" | "line" | "legend";
  colour: string;
}

export interface DormantChart {
  png: Buffer;
  /** Size in CSS pixels (the PNG is `scale` times larger). */
  widthPx: number;
  heightPx: number;
  texts: ChartText[];
  marks: ChartMark[];
}

const FONT_DIR = "/usr/share/fonts/truetype/dejavu";
/** Smallest text in CSS px: 12.8 px when the email shows the 600-px chart 592 px wide. */
const SMALL = 13;
const INK = "#1f2937";
const MUTED = "#4b5563";
const GRID = "#d1d5db";
const SEATS_FILL = "#e5e7eb";
/** Distinct, print-safe colours (Tableau 10 without its grey, then three of D3's). */
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#e15759",
  "#76b7b2",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bcbd22",
  "#17becf",
  "#393b79",
];

/** The colour of the product at `index` in the summary: distinct for any number of products. */
export function productColour(index: number): string {
  if (index < PALETTE.length) return PALETTE[index]!;
  const hue = Math.round((index * 137.508) % 360);
  return `hsl(${hue}, 55%, ${index % 2 === 0 ? 42 : 58}%)`;
}

let fontFamily: string | undefined;
function ensureFonts(): string {
  if (fontFamily === undefined) {
    for (const file of ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]) {
      const p = `${FONT_DIR}/${file}`;
      if (existsSync(p)) GlobalFonts.registerFromPath(p, "DejaVu Sans");
    }
    fontFamily = GlobalFonts.has("DejaVu Sans") ? "DejaVu Sans" : "sans-serif";
  }
  return fontFamily;
}

/** Draws and records text; measures with the same context it draws with. */
class Painter {
  readonly texts: ChartText[] = [];
  readonly marks: ChartMark[] = [];
  constructor(
    readonly ctx: SKRSContext2D,
    private readonly family: string,
  ) {}

  font(px: number, bold = false): void {
    this.ctx.font = `${bold ? "bold " : ""}${px}px "${this.family}"`;
  }

  measure(text: string, px: number, bold = false): number {
    this.font(px, bold);
    return this.ctx.measureText(text).width;
  }

  /** Greedy word wrap into lines no wider than `max`; a word wider than `max` is split. */
  wrap(text: string, max: number, px: number, bold = false): string[] {
    this.font(px, bold);
    const fits = (s: string) => this.ctx.measureText(s).width <= max;
    const lines: string[] = [];
    let line = "";
    for (const word of text.split(/\s+/).filter(Boolean)) {
      const candidate = line === "" ? word : `${line} ${word}`;
      if (fits(candidate)) {
        line = candidate;
        continue;
      }
      if (line !== "") lines.push(line);
      line = word;
      while (!fits(line) && line.length > 1) {
        let cut = line.length - 1;
        while (cut > 1 && !fits(line.slice(0, cut))) cut--;
        lines.push(line.slice(0, cut));
        line = line.slice(cut);
      }
    }
    if (line !== "" || lines.length === 0) lines.push(line);
    return lines;
  }

  text(
    text: string,
    x: number,
    top: number,
    o: {
      px: number;
      role: ChartTextRole;
      bold?: boolean;
      colour?: string;
      align?: "left" | "right" | "center";
      maxWidth?: number;
      productId?: string;
    },
  ): ChartText {
    const width = this.measure(text, o.px, o.bold);
    const left = o.align === "right" ? x - width : o.align === "center" ? x - width / 2 : x;
    this.ctx.fillStyle = o.colour ?? INK;
    this.ctx.textAlign = "left";
    this.ctx.textBaseline = "alphabetic";
    this.ctx.fillText(text, left, top + Math.round(o.px * 0.95));
    const drawn: ChartText = {
      text,
      role: o.role,
      x: left,
      y: top,
      width,
      height: lineHeight(o.px),
      maxWidth: o.maxWidth ?? width,
      fontPx: o.px,
      ...(o.productId !== undefined ? { productId: o.productId } : {}),
    };
    this.texts.push(drawn);
    return drawn;
  }

  mark(id: string, place: ChartMark["place"], colour: string): void {
    this.marks.push({ productId: id, place, colour });
  }
}

const lineHeight = (px: number) => Math.ceil(px * 1.3);

interface Box {
  x: number;
  y: number;
  w: number;
}

/**
 * Lays out and draws the chart; returns the PNG with what was drawn where.
 * Throws only if the canvas cannot be created.
 */
export function drawDormantChart(summary: ReportSummary, options: ChartOptions = {}): DormantChart {
  const width = Math.round(options.widthPx ?? 600);
  const scale = options.scale ?? 2;
  const timeZone = options.timeZone ?? "UTC";
  const family = ensureFonts();
  const side = width >= 840;
  const pad = 16;

  // Lay out once on a scratch canvas (text sizes decide the height), then draw for real.
  const draw = (ctx: SKRSContext2D, paint: boolean) => {
    const p = new Painter(ctx, family);
    if (paint) {
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, width, 10_000);
    }
    let y = pad;
    const org = summary.orgName ?? summary.orgId;
    for (const line of p.wrap(`Dormant seats — ${org}`, width - 2 * pad, 18, true)) {
      p.text(line, pad, y, { px: 18, bold: true, role: "title", maxWidth: width - 2 * pad });
      y += lineHeight(18);
    }
    const sub = `Not used in ${summary.dormantAfterDays} days or never, outside the ${summary.newUserGraceDays}-day new-user grace period · data as of ${dateTimeText(summary.dataAsOf, timeZone)} (${timeZone})`;
    for (const line of p.wrap(sub, width - 2 * pad, SMALL)) {
      p.text(line, pad, y, {
        px: SMALL,
        role: "subtitle",
        colour: MUTED,
        maxWidth: width - 2 * pad,
      });
      y += lineHeight(SMALL);
    }
    y += 12;
    const inner = width - 2 * pad;
    const gap = 32;
    const barsBox: Box = side ? { x: pad, y, w: (inner - gap) / 2 } : { x: pad, y, w: inner };
    const barsEnd = drawBars(p, summary, barsBox);
    const trendBox: Box = side
      ? { x: pad + (inner + gap) / 2, y, w: (inner - gap) / 2 }
      : { x: pad, y: barsEnd + 24, w: inner };
    const trendEnd = drawTrend(p, summary, trendBox, timeZone, side);
    return { painter: p, height: Math.ceil(Math.max(barsEnd, trendEnd) + pad) };
  };

  const scratch = createCanvas(1, 1).getContext("2d");
  const { height } = draw(scratch, false);
  const canvas = createCanvas(Math.round(width * scale), Math.round(height * scale));
  const ctx = canvas.getContext("2d");
  ctx.scale(scale, scale);
  const { painter } = draw(ctx, true);
  return {
    png: canvas.toBuffer("image/png"),
    widthPx: width,
    heightPx: height,
    texts: painter.texts,
    marks: painter.marks,
  };
}

/** The chart's PNG alone (see drawDormantChart). */
export function renderDormantChart(summary: ReportSummary, options: ChartOptions = {}): Buffer {
  return drawDormantChart(summary, options).png;
}

/** A "nice" axis step (1, 2 or 5 × 10^n) so that 4 steps cover `max`. */
function axisStep(max: number): number {
  if (max <= 4) return 1;
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** Dormant vs all billable seats per product; returns the bottom of what it drew. */
function drawBars(p: Painter, summary: ReportSummary, box: Box): number {
  const { ctx } = p;
  let y = box.y;
  p.text("Dormant seats per product", box.x, y, { px: 15, bold: true, role: "panel-title" });
  y += lineHeight(15) + 4;
  // Key: a coloured square for dormant, a grey one for all billable seats.
  const key = (x: number, colour: string, label: string) => {
    ctx.fillStyle = colour;
    ctx.fillRect(x, y + 3, 12, 12);
    return p.text(label, x + 17, y, { px: SMALL, role: "note", colour: MUTED }).width + x + 17;
  };
  const afterDormant = key(box.x, PALETTE[0]!, "dormant (product colour)");
  key(afterDormant + 16, SEATS_FILL, "all billable seats");
  y += lineHeight(SMALL) + 10;

  const products = summary.products;
  if (products.length === 0) {
    p.text("No billable seats in this org.", box.x, y, { px: SMALL, role: "note" });
    return y + lineHeight(SMALL);
  }
  const values = products.map((prod) => `${countText(prod.dormant)} of ${countText(prod.seats)}`);
  const valueW = Math.max(...values.map((v) => p.measure(v, SMALL))) + 8;
  const longest = Math.max(...products.map((prod) => p.measure(prod.label, SMALL)));
  const labelW = Math.min(longest, Math.max(120, box.w * 0.45));
  const barX = box.x + labelW + 10;
  const barW = Math.max(40, box.w - labelW - 10 - valueW);
  const max = Math.max(1, ...products.map((prod) => prod.seats));
  const barH = 16;
  products.forEach((prod, i) => {
    const id = productId(prod);
    const lines = p.wrap(prod.label, labelW, SMALL);
    const rowH = Math.max(lines.length * lineHeight(SMALL), barH + 4);
    lines.forEach((line, k) => {
      p.text(line, box.x, y + k * lineHeight(SMALL), {
        px: SMALL,
        role: "bar-label",
        productId: id,
        maxWidth: labelW,
      });
    });
    const barY = y + Math.max(0, (Math.min(rowH, 2 * lineHeight(SMALL)) - barH) / 2);
    const seatsW = (prod.seats / max) * barW;
    const dormantW = (prod.dormant / max) * barW;
    ctx.fillStyle = SEATS_FILL;
    ctx.fillRect(barX, barY, Math.max(seatsW, 1), barH);
    const colour = productColour(i);
    ctx.fillStyle = colour;
    ctx.fillRect(barX, barY, dormantW, barH);
    p.mark(id, "bar", colour);
    p.text(values[i]!, barX + seatsW + 6, barY + (barH - lineHeight(SMALL)) / 2 + 1, {
      px: SMALL,
      role: "bar-value",
      colour: MUTED,
      maxWidth: valueW,
    });
    y += rowH + 8;
  });
  return y;
}

/** Labels for the trend's x axis: the date, with the time when a day has several crawls. */
function pointLabels(summary: ReportSummary, timeZone: string): string[] {
  const dates = summary.trend.map((t) => dateText(t.at, timeZone));
  const labels = summary.trend.map((t, i) =>
    dates.filter((d) => d === dates[i]).length > 1 ? dateTimeText(t.at, timeZone) : dates[i]!,
  );
  return labels.map((l, i) =>
    labels.filter((x) => x === l).length > 1 ? `${l} (run ${summary.trend[i]!.crawlRunId})` : l,
  );
}

/** Dormant seats per product over past crawls, and the legend; returns the bottom drawn. */
function drawTrend(
  p: Painter,
  summary: ReportSummary,
  box: Box,
  timeZone: string,
  aligned: boolean,
): number {
  const { ctx } = p;
  let y = box.y;
  p.text("Dormant seats over past crawls", box.x, y, { px: 15, bold: true, role: "panel-title" });
  // Side by side, the plot starts level with the bars (below their key).
  y += lineHeight(15) + 4 + (aligned ? lineHeight(SMALL) + 10 : 0);
  const trend = summary.trend;
  const products = summary.products.map((prod, i) => ({
    id: productId(prod),
    label: prod.label,
    colour: productColour(i),
  }));
  const maxValue = Math.max(0, ...trend.flatMap((t) => products.map((x) => t.dormant[x.id] ?? 0)));
  const step = axisStep(maxValue);
  const top = step * 4;
  const ticks = [0, 1, 2, 3, 4].map((k) => countText(k * step));
  const axisW = Math.max(...ticks.map((t) => p.measure(t, SMALL))) + 8;
  const plotX = box.x + axisW;
  const plotW = box.w - axisW - 8;
  const plotY = y + lineHeight(SMALL) / 2;
  const plotH = 190;
  ctx.lineWidth = 1;
  ctx.strokeStyle = GRID;
  ticks.forEach((t, k) => {
    const yy = plotY + plotH - (k / 4) * plotH;
    ctx.beginPath();
    ctx.moveTo(plotX, Math.round(yy) + 0.5);
    ctx.lineTo(plotX + plotW, Math.round(yy) + 0.5);
    ctx.stroke();
    p.text(t, plotX - 6, yy - lineHeight(SMALL) / 2, {
      px: SMALL,
      role: "y-label",
      colour: MUTED,
      align: "right",
    });
  });
  // Below the "0" tick's line box, so the first date never touches it.
  y = plotY + plotH + lineHeight(SMALL) / 2 + 2;

  if (trend.length === 0) {
    p.text("No past crawls yet.", plotX + 8, plotY + plotH / 2 - 8, { px: SMALL, role: "note" });
  }
  // One crawl: a single column of points in the middle; more: evenly spaced, first to last.
  const xAt = (i: number) =>
    trend.length <= 1 ? plotX + plotW / 2 : plotX + 6 + (i / (trend.length - 1)) * (plotW - 12);
  const yAt = (v: number) => plotY + plotH - (v / top) * plotH;
  const radius = trend.length > 26 ? 2 : 3.5;
  for (const prod of products) {
    ctx.strokeStyle = prod.colour;
    ctx.fillStyle = prod.colour;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    trend.forEach((t, i) => {
      const at = [xAt(i), yAt(t.dormant[prod.id] ?? 0)] as const;
      if (i === 0) ctx.moveTo(...at);
      else ctx.lineTo(...at);
    });
    if (trend.length > 1) ctx.stroke();
    trend.forEach((t, i) => {
      ctx.beginPath();
      ctx.arc(xAt(i), yAt(t.dormant[prod.id] ?? 0), radius, 0, Math.PI * 2);
      ctx.fill();
    });
    p.mark(prod.id, "line", prod.colour);
  }

  // X labels: as many as fit without touching, always the first and the last.
  const labels = pointLabels(summary, timeZone);
  const boxes = labels.map((l, i) => {
    const w = p.measure(l, SMALL);
    const centre = xAt(i);
    const left = Math.min(Math.max(centre - w / 2, box.x), box.x + box.w - w);
    return { l, left, right: left + w };
  });
  const shown: number[] = [];
  boxes.forEach((b, i) => {
    const prev = shown[shown.length - 1];
    if (prev === undefined || b.left > boxes[prev]!.right + 10) shown.push(i);
  });
  const last = boxes.length - 1;
  if (last > 0 && shown[shown.length - 1] !== last) {
    while (shown.length > 1 && boxes[shown[shown.length - 1]!]!.right + 10 >= boxes[last]!.left) {
      shown.pop();
    }
    shown.push(last);
  }
  for (const i of shown) {
    const b = boxes[i]!;
    p.text(b.l, b.left, y, { px: SMALL, role: "x-label", colour: MUTED });
  }
  y += lineHeight(SMALL) + 2;
  const caption =
    trend.length === 1
      ? `Crawl finished (${timeZone}); one crawl so far: lines start with the next`
      : trend.length > shown.length
        ? `Crawl finished (${timeZone}); ${shown.length} of ${trend.length} crawls labelled`
        : `Crawl finished (${timeZone})`;
  const captionW = box.x + box.w - plotX;
  for (const line of p.wrap(caption, captionW, SMALL)) {
    p.text(line, plotX, y, { px: SMALL, role: "axis-title", colour: MUTED, maxWidth: captionW });
    y += lineHeight(SMALL);
  }
  y += 12;

  // Legend: a swatch and the full label per product, in as many columns as fit.
  if (products.length === 0) return y;
  const swatch = 14;
  const entryW = Math.max(...products.map((x) => p.measure(x.label, SMALL))) + swatch + 8 + 18;
  // As many columns as fit whole labels, and at least two when the box is wide enough for
  // labels of 230 px (longer ones wrap).
  const columns = Math.max(1, Math.floor(box.w / entryW), Math.min(2, Math.floor(box.w / 270)));
  const colW = box.w / columns;
  const textW = colW - swatch - 8 - 10;
  for (let start = 0; start < products.length; start += columns) {
    const row = products.slice(start, start + columns);
    let rowH = lineHeight(SMALL);
    row.forEach((prod, c) => {
      const x = box.x + c * colW;
      ctx.fillStyle = prod.colour;
      ctx.fillRect(x, y + 2, swatch, swatch);
      p.mark(prod.id, "legend", prod.colour);
      const lines = p.wrap(prod.label, textW, SMALL);
      lines.forEach((line, k) => {
        p.text(line, x + swatch + 8, y + k * lineHeight(SMALL), {
          px: SMALL,
          role: "legend",
          productId: prod.id,
          maxWidth: textW,
        });
      });
      rowH = Math.max(rowH, lines.length * lineHeight(SMALL));
    });
    y += rowH + 6;
  }
  return y;
}

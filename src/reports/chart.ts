/**
 * The Summary chart as a PNG: dormant seats per product (bars, left) and dormant seats over
 * past crawls (lines, right). Drawn by hand with @napi-rs/canvas; the weekly email reuses it.
 */
import { existsSync } from "node:fs";
import { createCanvas, GlobalFonts, type SKRSContext2D } from "@napi-rs/canvas";
import { productId } from "./product-labels.ts";
import type { ReportSummary } from "./summary.ts";

const FONT_DIR = "/usr/share/fonts/truetype/dejavu";
const PALETTE = ["#2f6fb3", "#e07b39", "#3a9d5d", "#c0392b", "#8e6cbf", "#7f8c8d", "#d4ac0d"];
const WIDTH = 1000;
const HEIGHT = 420;

let fontsReady = false;
function ensureFonts(): string {
  if (!fontsReady) {
    fontsReady = true;
    for (const file of ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]) {
      const p = `${FONT_DIR}/${file}`;
      if (existsSync(p)) GlobalFonts.registerFromPath(p, "DejaVu Sans");
    }
  }
  return GlobalFonts.has("DejaVu Sans") ? "DejaVu Sans" : "sans-serif";
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function truncate(ctx: SKRSContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let t = text;
  while (t.length > 1 && ctx.measureText(`${t}…`).width > max) t = t.slice(0, -1);
  return `${t}…`;
}

export function renderDormantChart(summary: ReportSummary): Buffer {
  const font = ensureFonts();
  const canvas = createCanvas(WIDTH, HEIGHT);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, WIDTH, HEIGHT);
  ctx.fillStyle = "#222222";
  ctx.font = `bold 16px "${font}"`;
  const org = summary.orgName ?? summary.orgId;
  ctx.fillText(`Dormant seats (idle ≥ ${summary.dormantAfterDays} days or never) — ${org}`, 20, 28);

  // Bars: dormant vs seats per product.
  const bx = 60;
  const by = 60;
  const bw = 420;
  const bh = 290;
  const products = summary.products;
  const maxSeats = niceMax(Math.max(0, ...products.map((p) => p.seats)));
  axes(ctx, font, bx, by, bw, bh, maxSeats);
  const slot = products.length > 0 ? bw / products.length : bw;
  products.forEach((p, i) => {
    const x = bx + i * slot + slot * 0.15;
    const w = slot * 0.7;
    const seatsH = (p.seats / maxSeats) * bh;
    const dormantH = (p.dormant / maxSeats) * bh;
    ctx.fillStyle = "#dfe6ee";
    ctx.fillRect(x, by + bh - seatsH, w, seatsH);
    ctx.fillStyle = PALETTE[i % PALETTE.length] ?? "#2f6fb3";
    ctx.fillRect(x, by + bh - dormantH, w, dormantH);
    ctx.fillStyle = "#222222";
    ctx.font = `12px "${font}"`;
    ctx.textAlign = "center";
    ctx.fillText(String(p.dormant), x + w / 2, by + bh - dormantH - 4);
    ctx.fillText(truncate(ctx, p.label, slot - 4), x + w / 2, by + bh + 16);
    ctx.textAlign = "left";
  });
  ctx.font = `12px "${font}"`;
  ctx.fillStyle = "#555555";
  ctx.fillText("coloured: dormant · grey: all billable seats", bx, by + bh + 40);

  // Trend lines: dormant seats per product over past crawls.
  const tx = 560;
  const tw = 400;
  const trend = summary.trend;
  // One colour per product in both panels: the product's index in the summary.
  const keys = products.map((p) => ({ id: productId(p), label: p.label }));
  const maxTrend = niceMax(Math.max(0, ...trend.flatMap((t) => Object.values(t.dormant))));
  axes(ctx, font, tx, by, tw, bh, maxTrend);
  ctx.fillStyle = "#222222";
  ctx.font = `bold 13px "${font}"`;
  ctx.fillText("Trend over past crawls", tx, by - 10);
  const xAt = (i: number) => (trend.length <= 1 ? tx + tw / 2 : tx + (i / (trend.length - 1)) * tw);
  keys.forEach(({ id, label }, k) => {
    const colour = PALETTE[k % PALETTE.length] ?? "#2f6fb3";
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    trend.forEach((t, i) => {
      const y = by + bh - ((t.dormant[id] ?? 0) / maxTrend) * bh;
      if (i === 0) ctx.moveTo(xAt(i), y);
      else ctx.lineTo(xAt(i), y);
    });
    ctx.stroke();
    trend.forEach((t, i) => {
      const y = by + bh - ((t.dormant[id] ?? 0) / maxTrend) * bh;
      ctx.beginPath();
      ctx.arc(xAt(i), y, 3, 0, Math.PI * 2);
      ctx.fill();
    });
    ctx.font = `11px "${font}"`;
    ctx.fillText(
      truncate(ctx, label, 124),
      tx + 8 + (k % 3) * 130,
      by + bh + 40 + Math.floor(k / 3) * 14,
    );
  });
  ctx.fillStyle = "#555555";
  ctx.font = `11px "${font}"`;
  const first = trend[0];
  const last = trend[trend.length - 1];
  if (first) ctx.fillText(first.at.slice(0, 10), tx, by + bh + 16);
  if (last && trend.length > 1) {
    ctx.textAlign = "right";
    ctx.fillText(last.at.slice(0, 10), tx + tw, by + bh + 16);
    ctx.textAlign = "left";
  }
  return canvas.toBuffer("image/png");
}

function axes(
  ctx: SKRSContext2D,
  font: string,
  x: number,
  y: number,
  w: number,
  h: number,
  max: number,
): void {
  ctx.strokeStyle = "#bbbbbb";
  ctx.lineWidth = 1;
  ctx.fillStyle = "#555555";
  ctx.font = `11px "${font}"`;
  ctx.textAlign = "right";
  for (let i = 0; i <= 4; i++) {
    const yy = y + h - (i / 4) * h;
    ctx.beginPath();
    ctx.moveTo(x, yy);
    ctx.lineTo(x + w, yy);
    ctx.stroke();
    ctx.fillText(String(Math.round((max * i) / 4)), x - 6, yy + 4);
  }
  ctx.textAlign = "left";
}

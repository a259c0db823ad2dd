/**
 * How numbers, money and times read in the workbook and the chart: Excel number formats, the
 * org's time zone (config `report.timezone`), and text for the chart. Presentation only: the
 * values themselves come from the summary and the rows unchanged.
 */

/** Whole numbers with thousands separators. */
export const COUNT = "#,##0";
export const DATE = "yyyy-mm-dd";
export const DATE_TIME = "yyyy-mm-dd hh:mm";

const symbols = new Map<string, { symbol: string; digits: number }>();

/** The currency's symbol as English-language readers know it ("$", "€", "CHF") and its cents. */
function currencyInfo(currency: string): { symbol: string; digits: number } {
  let info = symbols.get(currency);
  if (info === undefined) {
    const f = new Intl.NumberFormat("en-US", { style: "currency", currency });
    const symbol = f.formatToParts(0).find((p) => p.type === "currency")?.value ?? currency;
    info = { symbol, digits: f.resolvedOptions().maximumFractionDigits ?? 2 };
    symbols.set(currency, info);
  }
  return info;
}

/**
 * An Excel number format for amounts in `currency`: its symbol, thousands separators and the
 * currency's own decimals, e.g. `"$"#,##0.00` or `"CHF "#,##0.00`.
 */
export function moneyFormat(currency: string): string {
  const { symbol, digits } = currencyInfo(currency);
  const prefix = /^[A-Z]{2,}$/.test(symbol) ? `${symbol} ` : symbol;
  const number = digits > 0 ? `#,##0.${"0".repeat(digits)}` : "#,##0";
  return `"${prefix.replace(/"/g, "")}"${number}`;
}

const offsets = new Map<
  string,
  { format: Intl.DateTimeFormat; byQuarterHour: Map<number, number> }
>();
const QUARTER_HOUR = 900_000;

/**
 * Milliseconds to add to a UTC instant to get the wall-clock time in `timeZone`. Offsets only
 * change on quarter hours (every zone's transitions fall on one), so each quarter hour is
 * looked up once: a million rows of dates cost a map lookup each, not an Intl call.
 */
function offsetMs(at: number, timeZone: string): number {
  let zone = offsets.get(timeZone);
  if (zone === undefined) {
    zone = {
      format: new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      }),
      byQuarterHour: new Map(),
    };
    offsets.set(timeZone, zone);
  }
  const bucket = Math.floor(at / QUARTER_HOUR);
  let offset = zone.byQuarterHour.get(bucket);
  if (offset === undefined) {
    const start = bucket * QUARTER_HOUR;
    const parts: Record<string, number> = {};
    for (const p of zone.format.formatToParts(new Date(start))) {
      if (p.type !== "literal") parts[p.type] = Number(p.value);
    }
    const wall = Date.UTC(
      parts.year ?? 1970,
      (parts.month ?? 1) - 1,
      parts.day ?? 1,
      parts.hour ?? 0,
      parts.minute ?? 0,
      parts.second ?? 0,
    );
    offset = wall - start;
    zone.byQuarterHour.set(bucket, offset);
  }
  return offset;
}

/**
 * The instant as Excel should show it in `timeZone`: Excel dates carry no zone, so the cell
 * holds the local wall-clock time (a Date whose UTC fields are the local ones).
 */
export function wallClock(date: Date, timeZone: string): Date {
  if (timeZone === "UTC") return date;
  return new Date(date.getTime() + offsetMs(date.getTime(), timeZone));
}

/** "2026-11-28 13:00" in `timeZone`. */
export function dateTimeText(date: Date | string, timeZone: string): string {
  return wallClock(new Date(date), timeZone).toISOString().slice(0, 16).replace("T", " ");
}

/** "2026-11-28" in `timeZone`. */
export function dateText(date: Date | string, timeZone: string): string {
  return wallClock(new Date(date), timeZone).toISOString().slice(0, 10);
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** "12,345". */
export function countText(n: number): string {
  return integer.format(n);
}

/**
 * Progress for people: one line redrawn in place on a terminal (per org: its name, the phase,
 * done/total, each endpoint class's request rate against its own limit, ETA), with log lines
 * printed above it rather than through it; nothing while running when stderr is not a TTY —
 * the summary line at the end says it all there. Crawls and report builds both report here.
 */
import type { RequestEvent } from "../atlassian/client.ts";

/**
 * A request listener that puts the client's retries on the progress line, so a crawl that
 * seems to stall says why ("acme: users-search HTTP 503, attempt 2 of 6 in 2s").
 */
export function retryNotices(
  progress: ProgressPrinter,
): (event: RequestEvent, org: string) => void {
  return (event, org) => {
    const text = describeRetry(event, org);
    if (text !== undefined) progress.note(text);
  };
}

/** What a long step reports; CrawlProgress and ReportProgress are both of this shape. */
export interface ProgressUpdate {
  orgId: string;
  orgName?: string | null;
  phase: string;
  done: number;
  total: number | undefined;
  rates?: { endpoint: string; perMinute: number; limitPerMinute: number }[];
  etaSeconds?: number;
}

/** Plain functions (not methods): they are handed around as callbacks. */
export interface ProgressPrinter {
  update: (p: ProgressUpdate) => void;
  /** Prints a line (a log line, a notice) above the progress line, which is then redrawn. */
  writeLine: (line: string) => void;
  /** A short notice shown on the progress line for a few seconds (e.g. a retry). */
  note: (text: string) => void;
  end: () => void;
}

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): ProgressPrinter {
  const tty = Boolean(stream.isTTY);
  const latest = new Map<string, ProgressUpdate>();
  let notice = "";
  let noticeUntil = 0;
  let shown = false;
  let lastDraw = 0;
  const line = () =>
    [...latest.values()].map(describe).join(" | ") +
    (notice && Date.now() < noticeUntil ? ` — ${notice}` : "");
  const draw = (force: boolean) => {
    if (!tty) return;
    const now = Date.now();
    if (!force && now - lastDraw < 200) return;
    lastDraw = now;
    const text = line();
    const width = stream.columns > 20 ? stream.columns - 1 : 200;
    stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    shown = text.length > 0;
  };
  return {
    update: (p) => {
      latest.set(p.orgId, p);
      draw(p.phase === "done");
    },
    writeLine: (text) => {
      if (tty && shown) stream.write("\r\x1b[2K");
      stream.write(`${text}\n`);
      if (tty && shown) {
        lastDraw = 0;
        draw(true);
      }
    },
    note: (text) => {
      notice = text;
      noticeUntil = Date.now() + NOTICE_MS;
      draw(true);
    },
    end: () => {
      if (tty && shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
}

/** How long a notice stays on the progress line: long enough to read, short enough to be current. */
const NOTICE_MS = 5_000;

/**
 * What the person watching should know about a request the client will try again, e.g.
 * "acme: last-active-dates HTTP 503, attempt 2 of 6 in 2s"; undefined for any other event.
 */
export function describeRetry(event: RequestEvent, who?: string): string | undefined {
  if (!event.retried) return undefined;
  const what = event.rateLimited
    ? "rate limited (429)"
    : event.status !== undefined
      ? `HTTP ${event.status}`
      : "no answer (timeout or network)";
  const wait =
    event.retryInMs !== undefined
      ? ` in ${formatDuration(Math.max(1, event.retryInMs / 1000))}`
      : "";
  return `${who ? `${who}: ` : ""}${event.endpoint} ${what}, attempt ${event.attempt + 1} of ${event.maxAttempts}${wait}`;
}

function describe(p: ProgressUpdate): string {
  const who = p.orgName ?? p.orgId.slice(0, 8);
  const total = p.total !== undefined ? `/${p.total}` : "";
  const rates = (p.rates ?? [])
    .filter((r) => r.perMinute > 0)
    .map((r) => ` ${r.endpoint} ${r.perMinute}/${r.limitPerMinute} req/min`)
    .join(",");
  const eta = p.etaSeconds !== undefined ? ` ETA ${formatDuration(p.etaSeconds)}` : "";
  return `${who}: ${p.phase} ${p.done}${total}${rates}${eta}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/**
 * Progress for people: one line redrawn in place on a terminal (per org: its name, the phase,
 * done/total, each endpoint class's request rate against its own limit, ETA), with log lines
 * printed above it rather than through it; nothing while running when stderr is not a TTY —
 * the summary line at the end says it all there. Crawls and report builds both report here.
 */

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
  /** A short notice shown on the progress line until the next update (e.g. a retry). */
  note: (text: string) => void;
  end: () => void;
}

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): ProgressPrinter {
  const tty = Boolean(stream.isTTY);
  const latest = new Map<string, ProgressUpdate>();
  let notice = "";
  let shown = false;
  let lastDraw = 0;
  const line = () =>
    [...latest.values()].map(describe).join(" | ") + (notice ? ` — ${notice}` : "");
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
      notice = "";
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
      draw(true);
    },
    end: () => {
      if (tty && shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
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

/**
 * Progress for people: one line redrawn in place on a terminal (per org: phase, done/total,
 * request rate against the limit, ETA); nothing while running when stderr is not a TTY —
 * the summary line at the end says it all there. Crawls and report builds both report here.
 */

/** What a long step reports; CrawlProgress and ReportProgress are both of this shape. */
export interface ProgressUpdate {
  orgId: string;
  phase: string;
  done: number;
  total: number | undefined;
  requestsPerMinute?: number;
  limitPerMinute?: number;
  etaSeconds?: number;
}

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr) {
  if (!stream.isTTY) return { update: () => undefined, end: () => undefined };
  const latest = new Map<string, ProgressUpdate>();
  let lastDraw = 0;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastDraw < 200) return;
    lastDraw = now;
    const parts = [...latest.values()].map((p) => {
      const total = p.total !== undefined ? `/${p.total}` : "";
      const rate =
        p.requestsPerMinute !== undefined && p.limitPerMinute
          ? ` ${p.requestsPerMinute}/${p.limitPerMinute} req/min`
          : "";
      const eta = p.etaSeconds !== undefined ? ` ETA ${formatDuration(p.etaSeconds)}` : "";
      return `${p.orgId.slice(0, 8)} ${p.phase} ${p.done}${total}${rate}${eta}`;
    });
    stream.write(`\r\x1b[2K${parts.join(" | ")}`);
  };
  return {
    update: (p: ProgressUpdate) => {
      latest.set(p.orgId, p);
      draw(p.phase === "done");
    },
    end: () => {
      if (latest.size > 0) stream.write("\r\x1b[2K");
    },
  };
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

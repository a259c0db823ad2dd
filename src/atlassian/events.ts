import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import { path, requestRecords, stringField } from "./http.ts";
import type { Page, PageBounds } from "./pagination.ts";
import { walkPages } from "./pagination.ts";
import { optionalString, timestamp } from "./schemas.ts";

export interface AuditEventRef {
  id: string;
  type?: string | undefined;
  attributes: Record<string, unknown>;
}

export interface AuditEvent {
  id: string;
  time: Date;
  /** Action id, e.g. the one for a suspension; discover ids with event-actions, don't hard-code. */
  action: string;
  actor: { id?: string | undefined; name?: string | undefined; email?: string | undefined };
  context: AuditEventRef[];
  container: AuditEventRef[];
  ip?: string | undefined;
  message?: string | undefined;
}

const ref = z.object({
  id: z.string(),
  type: optionalString,
  attributes: z.record(z.string(), z.unknown()).nullish(),
});

const eventSchema = z.object({
  id: z.string().min(1),
  attributes: z.object({
    time: timestamp,
    action: z.string(),
    actor: z.object({ id: optionalString, name: optionalString, email: optionalString }).nullish(),
    context: z.array(ref).nullish(),
    container: z.array(ref).nullish(),
    location: z.object({ ip: optionalString }).nullish(),
  }),
  message: z.object({ content: optionalString }).nullish(),
});

const eventPage = z.object({
  data: z.array(z.unknown()),
  meta: z.object({ next: z.string().nullish() }).nullish(),
  links: z.object({ next: z.string().nullish() }).nullish(),
});

const toRef = (r: z.output<typeof ref>): AuditEventRef => ({
  id: r.id,
  type: r.type,
  attributes: r.attributes ?? {},
});

function toEvent(e: z.output<typeof eventSchema>): AuditEvent {
  const a = e.attributes;
  return {
    id: e.id,
    time: a.time,
    action: a.action,
    actor: { id: a.actor?.id, name: a.actor?.name, email: a.actor?.email },
    context: (a.context ?? []).map(toRef),
    container: (a.container ?? []).map(toRef),
    ip: a.location?.ip,
    message: e.message?.content,
  };
}

export interface ListEventsParams extends PageBounds {
  orgId: string;
  from?: Date;
  to?: Date;
  /** A single action id. */
  action?: string;
  /** Free-text search term. */
  q?: string;
  /** 1..500, default 100. */
  limit?: number;
  cursor?: string;
  signal?: AbortSignal;
}

/**
 * `GET /admin/v1/orgs/{orgId}/events` — audit events, newest first (family A: `links.next` is a
 * URL; `meta.next` a cursor). Rate limit 10/min; paced by the client; retried after a 500.
 * Scope `read:events:admin`. An event without an id, time or action goes to `page.rejected`.
 */
export function listEvents(
  client: AtlassianClient,
  params: ListEventsParams,
): AsyncIterable<Page<AuditEvent>> {
  const {
    orgId,
    from,
    to,
    action,
    q,
    limit = 100,
    cursor,
    maxPages,
    maxEmptyPages,
    signal,
  } = params;
  const p = path`/admin/v1/orgs/${orgId}/events`;
  return walkPages({
    endpoint: "events",
    label: `GET ${p}`,
    startCursor: cursor,
    maxPages,
    maxEmptyPages,
    expectedTotal: params.expectedTotal,
    signal,
    scrub: (t) => client.redact(t),
    fetchPage: async (c) => {
      const res = await requestRecords(
        client,
        {
          endpoint: "events",
          orgId,
          method: "GET",
          path: p,
          query: {
            // from/to are epoch milliseconds as strings
            from: from ? String(from.getTime()) : undefined,
            to: to ? String(to.getTime()) : undefined,
            action,
            q,
            limit,
            cursor: c,
          },
          idempotent: true,
          signal,
        },
        {
          page: eventPage,
          records: (pg) => pg.data,
          record: eventSchema,
          idOf: (r) => stringField(r, "id"),
          at: "data",
        },
      );
      return {
        items: res.items.map(toEvent),
        rejected: res.rejected,
        next: res.page.links?.next ?? res.page.meta?.next,
      };
    },
  });
}

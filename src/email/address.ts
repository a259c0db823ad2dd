/**
 * Email addresses as people write them: `jane@example.com`, `Jane Doe <jane@example.com>`,
 * `"Doe, Jane" <jane@example.com>`. Parsed with nodemailer's own address parser (so what we
 * accept is what the mailer understands), then checked: one mailbox, a valid address, and
 * nothing left over that the lenient parser would silently turn into a name.
 */
import addressparser from "nodemailer/lib/addressparser/index.js";
import { z } from "zod";

export interface Mailbox {
  /** The display name, "" when none. */
  name: string;
  address: string;
}

const validAddress = z.email();

/** Returns the mailbox, or why `text` is not one address. */
export function parseMailbox(text: string): Mailbox | { problem: string } {
  const trimmed = text.trim();
  const parsed = addressparser(trimmed);
  if (parsed.length !== 1 || !parsed[0] || "group" in parsed[0]) {
    return { problem: `"${trimmed}" is not one email address` };
  }
  const { name, address } = parsed[0];
  const bracketed = /<[^<>]*>$/.test(trimmed);
  const shapeOk = bracketed ? !/[<>]/.test(trimmed.replace(/<[^<>]*>$/, "")) : trimmed === address;
  if (!shapeOk || !validAddress.safeParse(address).success) {
    return {
      problem: `"${trimmed}" is not an email address (use jane@example.com or Jane Doe <jane@example.com>)`,
    };
  }
  return { name, address };
}

/** Splits a comma-separated list (commas inside quoted names are part of the name). */
export function parseMailboxList(text: string): { mailboxes: Mailbox[]; problems: string[] } {
  const mailboxes: Mailbox[] = [];
  const problems: string[] = [];
  for (const part of splitList(text)) {
    const m = parseMailbox(part);
    if ("problem" in m) problems.push(m.problem);
    else mailboxes.push(m);
  }
  return { mailboxes, problems };
}

function splitList(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  let angle = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && quoted) {
      current += c + (text[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === "<") angle = true;
    else if (!quoted && c === ">") angle = false;
    if (c === "," && !quoted && !angle) {
      parts.push(current);
      current = "";
    } else current += c;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** `Name <address>` (name quoted when needed), or the bare address; nodemailer parses it back. */
export function formatMailbox(m: Mailbox): string {
  if (!m.name) return m.address;
  const name = /^[\w .'-]+$/.test(m.name) ? m.name : `"${m.name.replace(/(["\\])/g, "\\$1")}"`;
  return `${name} <${m.address}>`;
}

/** The bare address of a mailbox written as text (formatted by formatMailbox). */
export function addressOf(text: string): string {
  const m = parseMailbox(text);
  return "problem" in m ? text.trim() : m.address;
}

/** The mailboxes once each, by address (case-insensitive), keeping the first form seen. */
export function uniqueByAddress(texts: readonly string[]): string[] {
  const seen = new Set<string>();
  return texts.filter((t) => {
    const key = addressOf(t).toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Config file section `email`: audiences, limits and SMTP behaviour for the weekly email. */
import { z } from "zod";
import { formatMailbox, parseMailbox } from "../../email/address.ts";

/** One address, `jane@example.com` or `Jane Doe <jane@example.com>`; parsed to a normal form. */
export const emailAddress = z.string().transform((text, ctx) => {
  const m = parseMailbox(text);
  if ("problem" in m) {
    ctx.addIssue({ code: "custom", message: m.problem });
    return z.NEVER;
  }
  return formatMailbox(m);
});

const timeoutMs = (fallback: number) => z.number().int().min(100).max(600_000).default(fallback);

export const smtpSectionSchema = z
  .object({
    /** How long to wait for the TCP (and TLS) connection. */
    connectionTimeoutMs: timeoutMs(30_000),
    /** How long to wait for the server's greeting once connected. */
    greetingTimeoutMs: timeoutMs(30_000),
    /** How long the connection may stay silent, e.g. waiting for the reply to DATA. */
    socketTimeoutMs: timeoutMs(60_000),
    /**
     * Send the SMTP_URL password over a connection without TLS. Off: an authenticated smtp://
     * URL requires STARTTLS, and a server that does not offer it gets no password.
     */
    allowInsecureAuth: z.boolean().default(false),
  })
  .strict()
  .prefault({});

export const emailSectionSchema = z
  .object({
    /** Admins: the dormant-account workbook. Merged with REPORT_TO. */
    to: z.array(emailAddress).default([]),
    /** Finance: seat costs and savings. */
    financeTo: z.array(emailAddress).default([]),
    from: emailAddress.optional(),
    /** Attachments over this size are compressed or replaced by a note. */
    maxAttachmentMb: z.number().positive().max(100).default(10),
    smtp: smtpSectionSchema,
  })
  .strict()
  .prefault({});

export type EmailConfig = z.output<typeof emailSectionSchema>;
export type SmtpConfig = z.output<typeof smtpSectionSchema>;

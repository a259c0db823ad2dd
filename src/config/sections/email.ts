/** Config file section `email`: audiences and limits for the weekly report email. */
import { z } from "zod";

export const emailAddress = z.email({ message: "is not an email address" });

export const emailSectionSchema = z
  .object({
    /** Admins: the dormant-account workbook. Merged with REPORT_TO. */
    to: z.array(emailAddress).default([]),
    /** Finance: seat costs and savings. */
    financeTo: z.array(emailAddress).default([]),
    from: emailAddress.optional(),
    /** Attachments over this size are compressed or replaced by a note. */
    maxAttachmentMb: z.number().positive().max(100).default(10),
  })
  .strict()
  .default({ to: [], financeTo: [], maxAttachmentMb: 10 });

export type EmailConfig = z.output<typeof emailSectionSchema>;

import * as z from 'zod/mini';
import { SEVERITIES } from '../events/primitives';

/**
 * One vulnerability finding, the same shape for basic and enhanced scanning: what `EcrRegistry`
 * reads, what a registry snapshot records, and what scan notices carry. One schema, three uses.
 */
export const FindingSchema = z.object({
  /** CVE or other vulnerability id. */
  id: z.string().check(z.minLength(1)),
  severity: z.enum(SEVERITIES),
  title: z.optional(z.string()),
  packageName: z.optional(z.string()),
  installedVersion: z.optional(z.string()),
  fixedVersion: z.optional(z.string()),
  uri: z.optional(z.string()),
  /** CVSS or Inspector score, when known. */
  score: z.optional(z.number()),
});

export type Finding = z.output<typeof FindingSchema>;

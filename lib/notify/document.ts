import type { NoticeSeverity } from './notices';

/**
 * A channel-neutral message: what a notice says, before it is rendered for email, Slack or Amazon Q.
 * Presenters (one per notice kind) build it; renderers (one per channel) format and escape it.
 * All strings are plain text and may contain untrusted content (tags, package names): only
 * renderers escape, each for its own channel.
 */
export interface MessageDocument {
  /** One line, e.g. `FAIL team-a/api:v1.4.0: 2 CRITICAL, 5 HIGH`. */
  subject: string;
  /** One sentence that stands on its own (the Slack fallback and the email's first line). */
  headline: string;
  severity: NoticeSeverity;
  /** Key facts as label/value pairs, shown as a two-column list. */
  facts: DocumentFact[];
  /** Lists, e.g. top findings or the changes made. */
  sections: DocumentSection[];
  /** Where to look next. */
  links: DocumentLink[];
  /** Identifiers for tracing (notice id, event id). */
  footer: string;
  /** Stable thread key (e.g. repository + digest), for channels that thread updates. */
  threadKey: string;
  /** What one section is about (`repository`), for "… and 12 more repositories" when a channel cannot show them all. */
  sectionNoun?: string;
}

export interface DocumentFact {
  label: string;
  value: string;
  /** Render the value as code (digests, image URIs). */
  code?: boolean;
}

export interface DocumentItem {
  /** The leading, optionally linked part (e.g. a CVE id). */
  label?: string;
  url?: string;
  /** The rest of the line. */
  text: string;
}

export interface DocumentSection {
  title: string;
  items: DocumentItem[];
  /** Items left out (the section says "and N more"). */
  omitted?: number;
}

export interface DocumentLink {
  label: string;
  url: string;
}

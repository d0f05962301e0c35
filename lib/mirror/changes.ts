import type { Change } from '../plan/types';

/** Copies one image (every platform, or a subset) from upstream into a private repository. */
export interface CopyImageChange extends Change {
  action: 'oci:CopyImage';
  /** The destination reference, `repository:tag` (the registry host is the account's ECR). */
  target: string;
  source: string;
  repository: string;
  tag: string;
  platforms: 'all' | string[];
  includeReferrers: boolean;
  /** What the destination tag pointed at before, if anything. */
  previousDigest?: string;
  /** What it will point at, when known in advance. */
  expectedDigest?: string;
}

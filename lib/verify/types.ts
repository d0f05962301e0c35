import type { AutopilotConfig } from '../config/types';
import type { RegistryReader } from '../ecr/RegistryReader';
import type { UpstreamReader } from '../mirror/UpstreamReader';
import type { PtcStateReader } from '../pull-through-cache/PtcStateReader';
import type { StackReader } from './StackReader';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skipped';

/** The checklist's sections, in the order a lab is built. */
export const CHECKLIST_SECTIONS = ['Mirrored images', 'Pull-through cache', 'Scanning', 'Event rules', 'Notifications', 'Pull permissions', 'Fleet runs'] as const;
export type ChecklistSection = (typeof CHECKLIST_SECTIONS)[number];

/** One line of the checklist: what was expected, what was found, and the fix when it fails. */
export interface CheckResult {
  id: string;
  section: ChecklistSection;
  title: string;
  status: CheckStatus;
  expected: string;
  found: string;
  fix?: string;
}

/** Everything a check may read. Only readers: a check cannot change anything. */
export interface CheckContext {
  config: AutopilotConfig;
  registry: RegistryReader;
  ptc: PtcStateReader;
  upstream: UpstreamReader;
  stack: StackReader;
  /** The stack's name (`<service>-<stage>`), whose rules and functions are checked. */
  stackName: string;
  topicArn: string;
  /** The run's stop: every read takes it, and a check it cuts short reports `skipped`. */
  signal?: AbortSignal | undefined;
}

/** One lab step's check; it may report several results (e.g. one per image). */
export interface LabCheck {
  id: string;
  section: ChecklistSection;
  run(context: CheckContext): Promise<CheckResult[]>;
}

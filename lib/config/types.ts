import type { FleetSettings, LifecycleSettings, MirrorSettings, NotificationSettings, VerifySettings, ScanSettings, TagMutability, WrittenPtcRule, WrittenPtcTemplate, WrittenRepositoryClass } from './writtenConfigSchema';

export type { FleetSettings, LifecycleSettings, MirrorImageSettings, MirrorSettings, NotificationSettings, VerifySettings, ScanSettings, SeverityThresholds, TagMutability } from './writtenConfigSchema';

/** A lifecycle policy resolved from the configuration: its canonical text and where it came from. */
export interface ResolvedLifecyclePolicy {
  /** Canonical JSON (sorted keys, 2-space indent): what we put, and what we compare against. */
  text: string;
  /** The file it was read from, or `inline`. */
  source: string;
}

/** A repository class after loading: file references resolved, defaults filled. */
export interface RepositoryClass extends Omit<WrittenRepositoryClass, 'lifecyclePolicy'> {
  lifecyclePolicy?: ResolvedLifecyclePolicy;
  tagMutability?: TagMutability;
}

/** Repository creation template settings of a pull-through cache rule, defaults merged and the lifecycle policy resolved. */
export interface PtcTemplateSettings extends Omit<WrittenPtcTemplate, 'lifecyclePolicy'> {
  lifecyclePolicy?: ResolvedLifecyclePolicy;
}

/** A declared pull-through cache rule after loading: its template is complete (`pullThroughCache.template` + overrides). */
export interface PtcRuleConfig extends Omit<WrittenPtcRule, 'template'> {
  template: PtcTemplateSettings;
}

/** `pullThroughCache`: declared rules, which of them are created on demand, and whether to prune. */
export interface PullThroughCacheSettings {
  rules: PtcRuleConfig[];
  /** Prefixes of declared rules created on the first failed pull instead of by the sync. */
  autoCreate: string[];
  prune: boolean;
}

/**
 * The loaded configuration: plain JSON data, so it can be embedded in a Lambda bundle at build
 * time and compared in tests. Matchers are compiled from it on demand (`matchRepositoryClass`).
 */
export interface AutopilotConfig {
  version: 1;
  /** The file it was loaded from (for messages). */
  source: string;
  repositoryClasses: RepositoryClass[];
  scan: ScanSettings;
  notifications: NotificationSettings;
  /** Always set by `loadConfig`; optional so that hand-built configurations (tests) may leave it out. */
  lifecycle?: LifecycleSettings;
  /** Always set by `loadConfig`; optional so that hand-built configurations (tests) may leave it out. */
  mirror?: MirrorSettings;
  /** Always set by `loadConfig`; optional so that hand-built configurations (tests) may leave it out. */
  verify?: VerifySettings;
  /** Always set by `loadConfig`; optional so that hand-built configurations (tests) may leave it out. */
  pullThroughCache?: PullThroughCacheSettings;
  /** Always set by `loadConfig`; optional so that hand-built configurations (tests) may leave it out. */
  fleet?: FleetSettings;
}

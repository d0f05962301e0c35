import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { ConfigError, type ValidationIssue } from '../errors';
import { lifecyclePolicyWarnings } from '../lifecycle/lifecyclePolicyWarnings';
import { formatLifecyclePolicyIssue, parseLifecyclePolicy, validateLifecyclePolicy } from '../lifecycle/validateLifecyclePolicy';
import { canonicalJson } from '../shared/canonicalJson';
import { toValidationIssues } from '../validation/toValidationIssues';
import { checkConfigRules } from './configRules';
import type { AutopilotConfig, PtcTemplateSettings, PullThroughCacheSettings, RepositoryClass, ResolvedLifecyclePolicy } from './types';
import { WrittenConfig, type WrittenPtcTemplate, type WrittenPullThroughCache, type WrittenRepositoryClass } from './writtenConfigSchema';

/** Where the project's own configuration lives: `infra/autopilot.yml` at the repository root. */
export const DEFAULT_CONFIG_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../infra/autopilot.yml');

/** The configuration file to use: `AUTOPILOT_CONFIG` when set, otherwise `infra/autopilot.yml`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.AUTOPILOT_CONFIG;
  return fromEnv && fromEnv.trim() !== '' ? resolve(fromEnv) : DEFAULT_CONFIG_PATH;
}

export interface LoadedConfig {
  config: AutopilotConfig;
  /** Things that are allowed but probably not meant (an unreachable class, an expired acceptance). */
  warnings: string[];
}

export type ConfigReadResult = ({ ok: true } & LoadedConfig) | { ok: false; issues: ValidationIssue[] };

/**
 * Parses, validates and resolves a configuration text. Returns every problem at once; never throws
 * on user mistakes.
 *
 * Steps: 1. parse YAML; 2. check the written schema (unknown keys rejected, defaults filled);
 * 3. resolve lifecycle policy files relative to the configuration file and validate them with ECR's
 * rules; 4. check cross-field rules.
 *
 * @example
 * const result = readConfig(text, '/repo/infra/autopilot.yml');
 * if (!result.ok) console.error(result.issues);
 */
export function readConfig(
  text: string,
  file: string,
  options: { readFile?: (path: string) => string; today?: Date } = {},
): ConfigReadResult {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      issues: document.errors.map((error) => ({
        path: error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '',
        message: error.message.split('\n')[0] ?? error.message,
        fix: 'fix the YAML syntax',
      })),
    };
  }
  const raw: unknown = document.toJS();
  const parsed = WrittenConfig.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: toValidationIssues(parsed.error.issues, raw) };

  const found: PolicyFindings = { issues: [], warnings: [] };
  const baseDir = dirname(file);
  const repositoryClasses = parsed.data.repositoryClasses.map((written, index) =>
    resolveRepositoryClass(written, `repositoryClasses[${index}]`, baseDir, readFile, found),
  );
  const pullThroughCache = resolvePullThroughCache(parsed.data.pullThroughCache, baseDir, readFile, found);
  const config: AutopilotConfig = { ...parsed.data, source: file, repositoryClasses, pullThroughCache };
  const rules = checkConfigRules(config, options.today ?? new Date());
  const issues = [...found.issues, ...rules.issues];
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, config, warnings: [...found.warnings, ...rules.warnings] };
}

/**
 * Loads the configuration file, throwing a `ConfigError` that lists every problem.
 *
 * @example
 * const { config, warnings } = loadConfig(); // AUTOPILOT_CONFIG or infra/autopilot.yml
 */
export function loadConfig(file: string = configPath()): LoadedConfig {
  if (!existsSync(file)) {
    throw new ConfigError(file, [
      { path: '', message: 'file not found', fix: 'create it, or point AUTOPILOT_CONFIG at an existing configuration file' },
    ]);
  }
  const result = readConfig(readFileSync(file, 'utf8'), file);
  if (!result.ok) throw new ConfigError(file, result.issues);
  return { config: result.config, warnings: result.warnings };
}

/** What resolving lifecycle policies found: problems (rejected) and warnings (`lifecycle check`'s). */
interface PolicyFindings {
  issues: ValidationIssue[];
  warnings: string[];
}

function resolveRepositoryClass(
  written: WrittenRepositoryClass,
  path: string,
  baseDir: string,
  readFile: (path: string) => string,
  found: PolicyFindings,
): RepositoryClass {
  const { lifecyclePolicy, ...rest } = written;
  if (lifecyclePolicy === undefined) return rest;
  const resolved = resolveLifecyclePolicy(lifecyclePolicy, `${path}.lifecyclePolicy`, baseDir, readFile, found);
  return resolved ? { ...rest, lifecyclePolicy: resolved } : rest;
}

/**
 * Completes every pull-through cache rule's template: `pullThroughCache.template` with the rule's
 * overrides on top, lifecycle policies loaded and validated like a repository class's (once for the
 * shared default, once per override).
 */
function resolvePullThroughCache(
  written: WrittenPullThroughCache,
  baseDir: string,
  readFile: (path: string) => string,
  found: PolicyFindings,
): PullThroughCacheSettings {
  const resolveTemplate = (template: WrittenPtcTemplate, path: string): PtcTemplateSettings => {
    const { lifecyclePolicy, ...rest } = template;
    if (lifecyclePolicy === undefined) return rest;
    const resolved = resolveLifecyclePolicy(lifecyclePolicy, `${path}.lifecyclePolicy`, baseDir, readFile, found);
    return resolved ? { ...rest, lifecyclePolicy: resolved } : rest;
  };
  const defaults = resolveTemplate(written.template, 'pullThroughCache.template');
  const rules = written.rules.map(({ template, ...rule }, index) => ({
    ...rule,
    template: template ? { ...defaults, ...resolveTemplate(template, `pullThroughCache.rules[${index}].template`) } : defaults,
  }));
  return { rules, autoCreate: written.autoCreate, prune: written.prune };
}

function resolveLifecyclePolicy(
  reference: string | { rules: unknown[] },
  path: string,
  baseDir: string,
  readFile: (path: string) => string,
  { issues, warnings }: PolicyFindings,
): ResolvedLifecyclePolicy | undefined {
  let document: unknown = reference;
  let source = 'inline';
  if (typeof reference === 'string') {
    const file = isAbsolute(reference) ? reference : resolve(baseDir, reference);
    source = relative(baseDir, file) || reference;
    let text: string;
    try {
      text = readFile(file);
    } catch {
      issues.push({ path, message: `lifecycle policy file ${reference} cannot be read`, fix: `create ${file} or correct the path (relative to the configuration file)` });
      return undefined;
    }
    try {
      document = JSON.parse(text);
    } catch (error) {
      issues.push({ path, message: `${reference} is not valid JSON: ${(error as Error).message}`, fix: 'fix the JSON syntax' });
      return undefined;
    }
  }
  const policyIssues = validateLifecyclePolicy(document);
  if (policyIssues.length > 0) {
    for (const issue of policyIssues) {
      issues.push({ ...issue, path: `${path}${typeof reference === 'string' ? ` (${reference})` : ''}${issue.path ? `.${issue.path}` : ''}` });
    }
    return undefined;
  }
  for (const warning of lifecyclePolicyWarnings(parseLifecyclePolicy(document))) {
    warnings.push(`${path} (${source}): ${formatLifecyclePolicyIssue(warning)}`);
  }
  return { text: canonicalJson(document), source };
}

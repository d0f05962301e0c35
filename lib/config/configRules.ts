import type { ValidationIssue } from '../errors';
import { checkFleetConfig } from '../fleet/planFleet';
import { PTC_CONFIG_RULES } from '../pull-through-cache/ptcConfigRules';
import { placeGeneratedRepositories } from './placeGeneratedRepositories';
import { isCatchAllGlob } from './repositoryGlob';
import type { AutopilotConfig } from './types';

/**
 * Cross-field rules the schema alone cannot express. Each rule pushes issues (the configuration is
 * rejected) or warnings (allowed, but probably not what was meant).
 */
type ConfigRule = (config: AutopilotConfig, today: Date, out: { issues: ValidationIssue[]; warnings: string[] }) => void;

const uniqueClassNames: ConfigRule = (config, _today, out) => {
  const seen = new Map<string, number>();
  config.repositoryClasses.forEach((repositoryClass, index) => {
    const first = seen.get(repositoryClass.name);
    if (first !== undefined) {
      out.issues.push({
        path: `repositoryClasses[${index}].name`,
        message: `"${repositoryClass.name}" is already the name of repositoryClasses[${first}]`,
        fix: 'give every repository class a unique name',
      });
    } else {
      seen.set(repositoryClass.name, index);
    }
  });
};

const exclusionsMatchMutability: ConfigRule = (config, _today, out) => {
  config.repositoryClasses.forEach((repositoryClass, index) => {
    const withExclusion = repositoryClass.tagMutability?.endsWith('_WITH_EXCLUSION') ?? false;
    const hasExclusions = (repositoryClass.tagMutabilityExclusions?.length ?? 0) > 0;
    if (withExclusion && !hasExclusions) {
      out.issues.push({
        path: `repositoryClasses[${index}].tagMutabilityExclusions`,
        message: `is required when tagMutability is ${repositoryClass.tagMutability}`,
        fix: 'list 1 to 5 tag filters such as "latest" or "dev-*"',
      });
    }
    if (!withExclusion && hasExclusions) {
      out.issues.push({
        path: `repositoryClasses[${index}].tagMutabilityExclusions`,
        message: `is only allowed with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION (tagMutability is ${repositoryClass.tagMutability ?? 'not set'})`,
        fix: 'set tagMutability to a *_WITH_EXCLUSION value or remove the exclusions',
      });
    }
  });
};

const expireOnPushNeedsPolicy: ConfigRule = (config, _today, out) => {
  config.repositoryClasses.forEach((repositoryClass, index) => {
    if (repositoryClass.expireOnPush && !repositoryClass.lifecyclePolicy) {
      out.issues.push({
        path: `repositoryClasses[${index}].expireOnPush`,
        message: 'needs a lifecyclePolicy to evaluate',
        fix: 'add a lifecyclePolicy to the class or set expireOnPush: false',
      });
    }
  });
};

/** A class after a catch-all (`**`) can never match: almost certainly an ordering mistake. */
const reachableClasses: ConfigRule = (config, _today, out) => {
  const catchAll = config.repositoryClasses.findIndex((repositoryClass) => repositoryClass.repositories.some(isCatchAllGlob));
  if (catchAll === -1) return;
  config.repositoryClasses.slice(catchAll + 1).forEach((repositoryClass, offset) => {
    out.warnings.push(
      `repositoryClasses[${catchAll + 1 + offset}] (${repositoryClass.name}) can never match: repositoryClasses[${catchAll}] (${config.repositoryClasses[catchAll]?.name}) matches every repository first; move the catch-all last`,
    );
  });
};

const acceptedFindingsCurrent: ConfigRule = (config, today, out) => {
  const todayIso = today.toISOString().slice(0, 10);
  config.scan.acceptedFindings.forEach((accepted, index) => {
    if (accepted.expires !== undefined && accepted.expires < todayIso) {
      out.warnings.push(`scan.acceptedFindings[${index}] (${accepted.id}) expired on ${accepted.expires}; it counts against thresholds again`);
    }
  });
};

/**
 * Mirrored repositories and pull-through cache repositories are created by ecr-autopilot or ECR,
 * not by people: a class should name them. Landing in a catch-all class (or in none) is almost
 * always a prefix that no longer matches its class (`repositoryPrefix: mirrors` beside a class for
 * `mirror/**`), and the repositories get settings meant for other images.
 */
const generatedRepositoriesNamed: ConfigRule = (config, _today, out) => {
  for (const placement of placeGeneratedRepositories(config)) {
    if (placement.named) continue;
    const where = placement.className
      ? `governed by class ${placement.className} only through its catch-all "${placement.glob ?? ''}", a class not meant for them`
      : 'governed by no repository class';
    out.warnings.push(`${placement.path} (${placement.value}): ${placement.what}, ${where}; add "${placement.suggestedGlob}" to the class meant for them, before any catch-all`);
  }
};

const RULES: readonly ConfigRule[] = [uniqueClassNames, exclusionsMatchMutability, expireOnPushNeedsPolicy, reachableClasses, acceptedFindingsCurrent, generatedRepositoriesNamed, ...PTC_CONFIG_RULES, checkFleetConfig];

export function checkConfigRules(config: AutopilotConfig, today: Date): { issues: ValidationIssue[]; warnings: string[] } {
  const out = { issues: [] as ValidationIssue[], warnings: [] as string[] };
  for (const rule of RULES) rule(config, today, out);
  return out;
}

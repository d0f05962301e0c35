import { matchRepositoryClass } from '../config/matchRepositoryClass';
import type { AutopilotConfig, PtcRuleConfig } from '../config/types';
import type { ValidationIssue } from '../errors';
import { normalizePrefix, PTC_SECRET_PREFIX, ROOT_PREFIX } from './limits';
import { requiresSecret, UPSTREAMS } from './upstreams';

/**
 * Cross-field rules of the `pullThroughCache` section, checked by `loadConfig` with the other
 * configuration rules: what ECR would reject becomes an issue (path + fix), what is allowed but
 * probably not meant becomes a warning.
 */
type PtcConfigRule = (config: AutopilotConfig, today: Date, out: { issues: ValidationIssue[]; warnings: string[] }) => void;

function rulesOf(config: AutopilotConfig): PtcRuleConfig[] {
  return config.pullThroughCache?.rules ?? [];
}

/** ECR keys rules by prefix (`a` and `a/` are the same): a second rule for a prefix can never be created. */
const uniquePrefixes: PtcConfigRule = (config, _today, out) => {
  const seen = new Map<string, number>();
  rulesOf(config).forEach((rule, index) => {
    const prefix = normalizePrefix(rule.prefix);
    const first = seen.get(prefix);
    if (first === undefined) {
      seen.set(prefix, index);
    } else {
      out.issues.push({
        path: `pullThroughCache.rules[${index}].prefix`,
        message: `"${rule.prefix}" is already the prefix of pullThroughCache.rules[${first}]; ECR allows one rule per prefix`,
        fix: 'give every rule a unique prefix',
      });
    }
  });
};

/** Fixed upstreams have one URL; Azure and ECR-to-ECR need the rule's own (aws-ecr-facts §3.1). */
const upstreamUrls: PtcConfigRule = (config, _today, out) => {
  rulesOf(config).forEach((rule, index) => {
    const upstream = UPSTREAMS[rule.upstream];
    const path = `pullThroughCache.rules[${index}].upstreamUrl`;
    if (upstream.urlPattern) {
      if (rule.upstreamUrl === undefined) {
        out.issues.push({ path, message: `is required for upstream ${rule.upstream} (${upstream.title})`, fix: `add upstreamUrl, e.g. ${upstream.urlExample ?? ''}` });
      } else if (!upstream.urlPattern.test(rule.upstreamUrl)) {
        out.issues.push({ path, message: `"${rule.upstreamUrl}" is not a ${upstream.title} URL`, fix: `use the form ${upstream.urlExample ?? ''}` });
      }
    } else if (rule.upstreamUrl !== undefined && rule.upstreamUrl !== upstream.url && rule.upstream !== 'chainguard') {
      out.issues.push({ path, message: `upstream ${rule.upstream} is always ${upstream.url}, found "${rule.upstreamUrl}"`, fix: 'remove upstreamUrl' });
    }
    if (upstream.unconfirmed && rule.upstreamUrl === undefined) out.warnings.push(`pullThroughCache.rules[${index}] (${rule.prefix}): ${upstream.unconfirmed}`);
  });
};

/** An authenticated upstream without a secret is rejected by ECR; a role only makes sense ECR-to-ECR. */
const credentials: PtcConfigRule = (config, _today, out) => {
  rulesOf(config).forEach((rule, index) => {
    const upstream = UPSTREAMS[rule.upstream];
    const path = `pullThroughCache.rules[${index}]`;
    if (requiresSecret(rule.upstream) && rule.credentialSecret === undefined) {
      out.issues.push({
        path: `${path}.credentialSecret`,
        message: `is required: ${upstream.title} needs credentials`,
        fix: `add credentialSecret: ${PTC_SECRET_PREFIX}${normalizePrefix(rule.prefix).replaceAll('/', '-')} and create that secret with username and accessToken`,
      });
    }
    if (upstream.credential === 'none' && rule.credentialSecret !== undefined) {
      out.warnings.push(`${path} (${rule.prefix}): ${upstream.title} needs no credential; credentialSecret ${rule.credentialSecret} is passed to ECR anyway`);
    }
    if (upstream.credential === 'role' && rule.credentialSecret !== undefined) {
      out.issues.push({ path: `${path}.credentialSecret`, message: 'ECR-to-ECR rules authenticate with an IAM role, not a secret', fix: 'remove credentialSecret; set customRoleArn for another account' });
    }
    if (rule.customRoleArn !== undefined && upstream.credential !== 'role') {
      out.issues.push({ path: `${path}.customRoleArn`, message: `is only for ECR-to-ECR rules (upstream ecr), not ${rule.upstream}`, fix: 'remove customRoleArn' });
    }
    if (rule.upstreamRepositoryPrefix !== undefined && normalizePrefix(rule.prefix) === ROOT_PREFIX) {
      out.issues.push({ path: `${path}.upstreamRepositoryPrefix`, message: 'cannot be set when prefix is ROOT (ECR rejects it)', fix: 'remove upstreamRepositoryPrefix or use a prefix other than ROOT' });
    }
  });
};

/** `autoCreate` names declared rules: the upstream and secret of an alias must be known. */
const autoCreateDeclared: PtcConfigRule = (config, _today, out) => {
  const prefixes = new Set(rulesOf(config).map((rule) => normalizePrefix(rule.prefix)));
  (config.pullThroughCache?.autoCreate ?? []).forEach((alias, index) => {
    const path = `pullThroughCache.autoCreate[${index}]`;
    if (normalizePrefix(alias) === ROOT_PREFIX) {
      out.issues.push({ path, message: 'ROOT cannot be created on demand: a failed pull names no ROOT path segment', fix: 'remove ROOT from autoCreate (sync creates it)' });
    } else if (!prefixes.has(normalizePrefix(alias))) {
      out.issues.push({
        path,
        message: `"${alias}" is not the prefix of a declared rule, so its upstream and secret are unknown`,
        fix: `declare a rule with prefix ${alias} under pullThroughCache.rules, or remove it from autoCreate`,
      });
    }
  });
};

/** The same constraints as repository classes: exclusions need a *_WITH_EXCLUSION mutability; a KMS key needs KMS. */
const templateSettings: PtcConfigRule = (config, _today, out) => {
  rulesOf(config).forEach((rule, index) => {
    const template = rule.template;
    // The template is merged from pullThroughCache.template and the rule's own: name the rule's.
    const path = `pullThroughCache.rules[${index}].template`;
    const withExclusion = template.tagMutability?.endsWith('_WITH_EXCLUSION') ?? false;
    const hasExclusions = (template.tagMutabilityExclusions?.length ?? 0) > 0;
    if (withExclusion !== hasExclusions) {
      out.issues.push({
        path: `${path}.tagMutabilityExclusions`,
        message: withExclusion ? `is required when tagMutability is ${template.tagMutability}` : 'is only allowed with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION',
        fix: withExclusion ? 'list 1 to 5 tag filters' : 'set tagMutability to a *_WITH_EXCLUSION value or remove the exclusions',
      });
    }
    if (template.kmsKey !== undefined && (template.encryption ?? 'AES256') === 'AES256') {
      out.issues.push({ path: `${path}.kmsKey`, message: 'is only used with encryption KMS or KMS_DSSE', fix: 'set encryption: KMS or remove kmsKey' });
    }
  });
};

/**
 * Every template applies in the one region the stack runs in, and ECR uses only a key of the
 * repository's region (API Reference, EncryptionConfigurationForRepositoryCreationTemplate: "The key
 * must exist in the same Region as the repository",
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_EncryptionConfigurationForRepositoryCreationTemplate.html):
 * keys of two regions cannot all be right. The region itself is checked where it is known, by the
 * planner (`kmsKeyRegionProblem`), before any request.
 */
const templateKeysInOneRegion: PtcConfigRule = (config, _today, out) => {
  const keys = rulesOf(config).flatMap((rule, index) => (rule.template.kmsKey ? [{ index, key: rule.template.kmsKey, region: rule.template.kmsKey.split(':')[3] ?? '' }] : []));
  const first = keys[0];
  if (!first) return;
  for (const other of keys) {
    if (other.region === first.region) continue;
    out.issues.push({
      path: `pullThroughCache.rules[${other.index}].template.kmsKey`,
      message: `is a key of ${other.region}, but rule ${first.index}'s template key is of ${first.region}: templates apply in the one region the stack runs in, and ECR uses only a key of that region`,
      fix: 'give every template a key of the region you deploy to (for a multi-Region key, its replica there)',
    });
  }
};

/** The role policy a repository creation role needs, as the ECR User Guide gives it, scoped to the key when one is named. */
function templateRolePolicy(kmsKeys: readonly string[], needsKms: boolean): string {
  const statements: object[] = [{ Effect: 'Allow', Action: ['ecr:CreateRepository', 'ecr:ReplicateImage', 'ecr:TagResource'], Resource: '*' }];
  if (needsKms) statements.push({ Effect: 'Allow', Action: ['kms:CreateGrant', 'kms:RetireGrant', 'kms:DescribeKey'], Resource: kmsKeys.length > 0 ? [...kmsKeys] : '*' });
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/**
 * The commands that create a role ECR can assume for repository creation templates
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-create-iam.html:
 * trust principal ecr.amazonaws.com; permissions from repository-creation-templates-custom.html).
 */
export function templateRoleCommands(kmsKeys: readonly string[], needsKms: boolean, roleName = 'ecr-repository-creation'): string {
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ecr.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  return [
    `aws iam create-role --role-name ${roleName} --assume-role-policy-document '${trust}'`,
    `aws iam put-role-policy --role-name ${roleName} --policy-name repository-creation --policy-document '${templateRolePolicy(kmsKeys, needsKms)}'`,
  ].join(' && ');
}

/**
 * ECR creates a template's repositories with its service-linked role, which can neither use a KMS
 * key nor tag: a template with KMS encryption or resource tags needs a `customRoleArn` ECR can
 * assume (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-create.html:
 * "If you intend to use KMS keys, resource tags, or a combination of both in one or more templates,
 * you need to … create an IAM role for repository creation templates"). When every rule lacks it
 * (the shared template asks for it), it is said once, at pullThroughCache.template.
 */
const templateRoleForKmsAndTags: PtcConfigRule = (config, _today, out) => {
  const rules = rulesOf(config);
  const missing = rules.flatMap((rule, index) => {
    const template = rule.template;
    const kms = (template.encryption ?? 'AES256') !== 'AES256';
    const tags = Object.keys(template.resourceTags ?? {}).length > 0;
    if ((!kms && !tags) || template.customRoleArn !== undefined) return [];
    const uses = [...(kms ? [`${template.encryption} encryption`] : []), ...(tags ? ['resource tags'] : [])].join(' and ');
    return [{ index, prefix: normalizePrefix(rule.prefix), uses, kms, kmsKey: template.kmsKey }];
  });
  if (missing.length === 0) return;
  const issue = (path: string, prefixes: string, uses: string, entries: typeof missing) => {
    const kmsKeys = [...new Set(entries.flatMap((entry) => (entry.kmsKey ? [entry.kmsKey] : [])))];
    out.issues.push({
      path,
      message: `is required: the repositories of ${prefixes} are created with ${uses}, which ECR does only through a role it can assume (its service-linked role cannot)`,
      fix: `create the role, then set customRoleArn: arn:aws:iam::<account>:role/ecr-repository-creation: ${templateRoleCommands(kmsKeys, entries.some((entry) => entry.kms))}`,
    });
  };
  if (missing.length === rules.length && rules.length > 1 && new Set(missing.map((entry) => entry.uses)).size === 1) {
    issue('pullThroughCache.template.customRoleArn', `every rule (${missing.map((entry) => entry.prefix).join(', ')})`, missing[0]?.uses ?? '', missing);
    return;
  }
  for (const entry of missing) issue(`pullThroughCache.rules[${entry.index}].template.customRoleArn`, `rule ${entry.prefix}`, entry.uses, [entry]);
};

/**
 * Repositories a rule creates are governed by the repository class matching `<prefix>/…` as soon as
 * onImagePush or the sweep sees them; a template that disagrees with that class means drift on
 * day one. Allowed, but said.
 */
const templateMatchesClass: PtcConfigRule = (config, _today, out) => {
  rulesOf(config).forEach((rule, index) => {
    const prefix = normalizePrefix(rule.prefix);
    if (prefix === ROOT_PREFIX) return;
    const repositoryClass = matchRepositoryClass(config, `${prefix}/example`);
    if (!repositoryClass) return;
    const template = rule.template;
    const differences: string[] = [];
    if (repositoryClass.lifecyclePolicy && template.lifecyclePolicy?.text !== repositoryClass.lifecyclePolicy.text) {
      differences.push(`lifecycle policy (template: ${template.lifecyclePolicy?.source ?? 'none'}, class: ${repositoryClass.lifecyclePolicy.source})`);
    }
    if (repositoryClass.tagMutability && (template.tagMutability ?? 'MUTABLE') !== repositoryClass.tagMutability) {
      differences.push(`tag mutability (template: ${template.tagMutability ?? 'MUTABLE'}, class: ${repositoryClass.tagMutability})`);
    }
    if (differences.length > 0) {
      out.warnings.push(
        `pullThroughCache.rules[${index}] (${rule.prefix}): its template differs from repository class ${repositoryClass.name}, which governs ${prefix}/…: ${differences.join('; ')}; align them so cached repositories are not fixed right after creation`,
      );
    }
  });
};

export const PTC_CONFIG_RULES: readonly PtcConfigRule[] = [uniquePrefixes, upstreamUrls, credentials, autoCreateDeclared, templateSettings, templateKeysInOneRegion, templateRoleForKmsAndTags, templateMatchesClass];
